//! Keeps the audio waiting between a device and the call near a small target, instead of
//! letting it grow until a cap drops a block of samples.
//!
//! The device and the call run on different clocks (the sound card's crystal, our timer; the
//! playout tick also moves its phase to follow the jitter buffer), so the fill level of the
//! ring between them drifts. [`LevelKeeper`] looks at the *floor* of the level once per 20 ms
//! frame — the lowest it got since the last look, i.e. the margin left before the device would
//! have starved — and over a short window decides to take out or put in a few milliseconds
//! with a [`super::stretch::Splicer`] (never a click):
//!
//! * floor above target + [`DEADBAND`] over a whole window of [`WINDOW_FRAMES`]: shorten by
//!   the excess (at most 10 ms per splice);
//! * floor below target − [`LOW_DEADBAND`] in any frame: lengthen by the shortfall at once
//!   (running low is urgent, running high is not);
//! * a starvation (the device found the ring empty, or a read came up short): the target
//!   rises by [`STARVE_STEP`] (up to `max`) and the shortfall is filled at once. The raised
//!   target becomes the floor for the rest of the stream (a level that starved once is not
//!   tried again); otherwise after [`CALM_FRAMES`] frames without trouble the target falls by
//!   1 ms towards `min`.
//!
//! Sans-IO: levels are sample counts passed in.

use std::time::Duration;

/// Frames over which the floor is taken before shortening (1 s of 20 ms frames). Long enough
/// to see the dips a device period makes when a callback falls on the other side of a write.
pub const WINDOW_FRAMES: u32 = 50;
/// A floor this far above the target is left alone.
pub const DEADBAND: Duration = Duration::from_micros(2500);
/// A floor this far below the target is left alone.
pub const LOW_DEADBAND: Duration = Duration::from_millis(1);
/// How much the target rises after a starvation.
pub const STARVE_STEP: Duration = Duration::from_millis(4);
/// Frames without starvation after which the target falls by 1 ms (10 s of 20 ms frames).
pub const CALM_FRAMES: u32 = 500;

/// What to do with the frame at hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Adjust {
    /// Nothing.
    Keep,
    /// Take out about this many samples.
    Shorten(usize),
    /// Put in about this many samples.
    Lengthen(usize),
}

/// Decides when a device ring's level needs a gentle correction; see the module docs.
#[derive(Debug, Clone)]
pub struct LevelKeeper {
    rate: u32,
    target: usize,
    min: usize,
    max: usize,
    deadband: usize,
    low_deadband: usize,
    floor: usize,
    frames: u32,
    calm: u32,
}

fn samples(rate: u32, d: Duration) -> usize {
    (u128::from(rate) * d.as_nanos() / 1_000_000_000) as usize
}

impl LevelKeeper {
    /// A keeper for levels counted in samples at `rate` Hz, aiming at `target` and moving the
    /// target within `min..=max` as starvations come and go.
    pub fn new(rate: u32, target: Duration, min: Duration, max: Duration) -> Self {
        let min_s = samples(rate, min);
        let max_s = samples(rate, max).max(min_s);
        LevelKeeper {
            rate,
            target: samples(rate, target).clamp(min_s, max_s),
            min: min_s,
            max: max_s,
            deadband: samples(rate, DEADBAND).max(1),
            low_deadband: samples(rate, LOW_DEADBAND).max(1),
            floor: usize::MAX,
            frames: 0,
            calm: 0,
        }
    }

    /// The current target level, in samples.
    pub fn target(&self) -> usize {
        self.target
    }

    /// The current target level as a duration.
    pub fn target_duration(&self) -> Duration {
        Duration::from_nanos((self.target as u64).saturating_mul(1_000_000_000) / u64::from(self.rate.max(1)))
    }

    /// Once per frame: `floor` is the lowest level (samples) since the previous call, `starved`
    /// whether the device ran dry (or a read came up short) since then.
    pub fn update(&mut self, floor: usize, starved: bool) -> Adjust {
        if starved {
            self.target = (self.target + samples(self.rate, STARVE_STEP)).min(self.max);
            self.min = self.target;
            self.calm = 0;
            self.reset_window();
            return match self.target.saturating_sub(floor) {
                0 => Adjust::Keep,
                short => Adjust::Lengthen(short),
            };
        }
        self.calm = self.calm.saturating_add(1);
        if self.calm >= CALM_FRAMES {
            self.calm = 0;
            self.target = self.target.saturating_sub(samples(self.rate, Duration::from_millis(1))).max(self.min);
        }
        if floor + self.low_deadband < self.target {
            self.reset_window();
            return Adjust::Lengthen(self.target - floor);
        }
        self.floor = self.floor.min(floor);
        self.frames += 1;
        if self.frames < WINDOW_FRAMES {
            return Adjust::Keep;
        }
        let floor = self.floor;
        self.reset_window();
        if floor > self.target + self.deadband { Adjust::Shorten(floor - self.target) } else { Adjust::Keep }
    }

    /// Forgets the window (after a correction was applied, or the stream was re-opened).
    pub fn reset_window(&mut self) {
        self.floor = usize::MAX;
        self.frames = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keeper() -> LevelKeeper {
        // 8 kHz: 1 ms = 8 samples; target 5 ms, 3..=30 ms.
        LevelKeeper::new(8000, Duration::from_millis(5), Duration::from_millis(3), Duration::from_millis(30))
    }

    #[test]
    fn a_high_floor_is_shortened_once_per_window() {
        let mut k = keeper();
        assert_eq!(k.target(), 40);
        let w = WINDOW_FRAMES as usize;
        let decisions: Vec<Adjust> = (0..2 * w).map(|i| k.update(200 + (i % 3) * 40, false)).collect();
        assert_eq!(decisions[w - 1], Adjust::Shorten(160));
        assert_eq!(decisions[2 * w - 1], Adjust::Shorten(160));
        assert_eq!(decisions.iter().filter(|d| **d != Adjust::Keep).count(), 2);
    }

    #[test]
    fn small_errors_are_left_alone_and_a_low_floor_is_filled() {
        let mut k = keeper();
        for _ in 0..WINDOW_FRAMES {
            assert_eq!(k.update(55, false), Adjust::Keep, "within the 2.5 ms dead band");
        }
        assert_eq!(k.update(33, false), Adjust::Keep, "within the 1 ms dead band below");
        assert_eq!(k.update(4, false), Adjust::Lengthen(36), "at once");
        assert_eq!(k.update(35, false), Adjust::Keep);
    }

    #[test]
    fn starvation_raises_the_target_and_calm_lowers_it() {
        let mut k = keeper();
        assert_eq!(k.update(0, true), Adjust::Lengthen(72));
        assert_eq!(k.target(), 72);
        for _ in 0..20 {
            k.update(0, true);
        }
        assert_eq!(k.target(), 240, "capped at 30 ms");
        for _ in 0..CALM_FRAMES * 40 {
            k.update(k.target(), false);
        }
        assert_eq!(k.target(), 240, "a level that starved is not tried again");
        let mut calm = keeper();
        for _ in 0..CALM_FRAMES * 40 {
            calm.update(calm.target(), false);
        }
        assert_eq!(calm.target(), 24, "without trouble down to the 3 ms floor");
        assert_eq!(calm.target_duration(), Duration::from_millis(3));
    }
}
