//! Gentle time-scale changes of a mono stream: a few milliseconds taken out or put in without
//! a click, so a device ring can be held near a small fill level ([`super::level`]).
//!
//! One splice per change, in the manner of WSOLA (waveform-similarity overlap-add): among the
//! allowed shifts `k` the one whose segment looks most like the segment it replaces (highest
//! normalised cross-correlation) is chosen, and the two are cross-faded over an overlap of
//! [`OVERLAP`] with a raised-cosine window. For voiced speech and tones `k` lands on a
//! multiple of the period and the splice is inaudible; for noise any `k` is as good as another
//! and the cross-fade keeps it smooth. The waveform stays continuous at both ends of the
//! splice, so there is never a step (a click).
//!
//! All scratch memory is allocated when the [`Splicer`] is made; [`Splicer::shorten`] and
//! [`Splicer::lengthen`] do not allocate as long as the buffer has room for what is added.

use std::time::Duration;

/// Length of the cross-fade.
pub const OVERLAP: Duration = Duration::from_millis(5);
/// Smallest change made by one splice.
pub const MIN_SHIFT: Duration = Duration::from_micros(2500);
/// Largest change made by one splice.
pub const MAX_SHIFT: Duration = Duration::from_millis(10);

fn samples(rate: u32, d: Duration) -> usize {
    ((u128::from(rate) * d.as_nanos() / 1_000_000_000) as usize).max(1)
}

/// Takes out or puts in a few milliseconds of a mono `f32` stream at one sample rate.
#[derive(Debug, Clone)]
pub struct Splicer {
    overlap: usize,
    min_shift: usize,
    max_shift: usize,
    /// Shifts tried are multiples of this (coarser search at high rates).
    search_step: usize,
    scratch: Vec<f32>,
    window: Vec<f32>,
}

impl Splicer {
    /// A splicer for audio at `rate` Hz.
    pub fn new(rate: u32) -> Self {
        let overlap = samples(rate, OVERLAP);
        let max_shift = samples(rate, MAX_SHIFT);
        // Raised cosine from 0 to 1 over the overlap (the weight of the incoming segment).
        let window = (0..overlap)
            .map(|i| 0.5 - 0.5 * (std::f32::consts::PI * (i as f32 + 0.5) / overlap as f32).cos())
            .collect();
        Splicer {
            overlap,
            min_shift: samples(rate, MIN_SHIFT),
            max_shift,
            search_step: (rate as usize / 16_000).max(1),
            scratch: vec![0.0; overlap + max_shift],
            window,
        }
    }

    /// The smallest change one splice makes, in samples.
    pub fn min_shift(&self) -> usize {
        self.min_shift
    }

    /// The largest change one splice makes, in samples.
    pub fn max_shift(&self) -> usize {
        self.max_shift
    }

    /// Fewest samples a buffer needs for a splice of `k` samples.
    fn needs(&self, k: usize) -> usize {
        self.overlap + k
    }

    /// Removes between [`Splicer::min_shift`] and `want` samples (at most
    /// [`Splicer::max_shift`]) from the start of `buf`; returns how many were removed (0 when
    /// `want` or `buf` is too short). The first sample stays the first, so the stream stays
    /// continuous with what was played before.
    pub fn shorten(&mut self, buf: &mut Vec<f32>, want: usize) -> usize {
        let n = buf.len();
        let top = want.min(self.max_shift).min(n.saturating_sub(self.overlap));
        if top < self.min_shift || n < self.needs(self.min_shift) {
            return 0;
        }
        let w = self.overlap;
        let k = self.best_shift(buf, 0, top, |k| k);
        for i in 0..w {
            let g = self.window[i];
            buf[i] = buf[i] * (1.0 - g) + buf[k + i] * g;
        }
        buf.drain(w..w + k);
        k
    }

    /// Adds between [`Splicer::min_shift`] and `want` samples (at most
    /// [`Splicer::max_shift`]) near the end of `buf` by repeating a stretch of it; returns how
    /// many were added (0 when `want` or `buf` is too short). The last sample stays the last,
    /// so the stream stays continuous with what follows.
    pub fn lengthen(&mut self, buf: &mut Vec<f32>, want: usize) -> usize {
        let n = buf.len();
        let w = self.overlap;
        let Some(b) = n.checked_sub(w) else { return 0 };
        let top = want.min(self.max_shift).min(b);
        if top < self.min_shift {
            return 0;
        }
        // The segment at b fades out while the one k earlier fades in; then b − k + w.. follows.
        let k = self.best_shift(buf, b, top, |k| b - k);
        for i in 0..w {
            let g = self.window[i];
            self.scratch[i] = buf[b + i] * (1.0 - g) + buf[b - k + i] * g;
        }
        self.scratch[w..w + k].copy_from_slice(&buf[b - k + w..n]);
        buf.truncate(b);
        buf.extend_from_slice(&self.scratch[..w + k]);
        k
    }

    /// The shift in `min_shift..=top` whose segment (starting at `other(k)`) best matches the
    /// one at `at`, by normalised cross-correlation over the overlap.
    fn best_shift(&self, buf: &[f32], at: usize, top: usize, other: impl Fn(usize) -> usize) -> usize {
        let w = self.overlap;
        let a = &buf[at..at + w];
        let energy_a: f32 = a.iter().map(|x| x * x).sum();
        let mut best = (f32::MIN, self.min_shift);
        let mut k = self.min_shift;
        // Bounded: at most max_shift / search_step candidates.
        while k <= top {
            let start = other(k);
            let b = &buf[start..start + w];
            let (mut dot, mut energy_b) = (0.0f32, 0.0f32);
            for (x, y) in a.iter().zip(b) {
                dot += x * y;
                energy_b += y * y;
            }
            let score = dot / (energy_a * energy_b).sqrt().max(1e-9);
            if score > best.0 {
                best = (score, k);
            }
            k += self.search_step;
        }
        best.1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(rate: u32, hz: f32, n: usize, phase: usize) -> Vec<f32> {
        (phase..phase + n).map(|i| 0.5 * (std::f32::consts::TAU * hz * i as f32 / rate as f32).sin()).collect()
    }

    /// Largest sample-to-sample step (a click shows as a step far above the tone's own).
    fn max_step(x: &[f32]) -> f32 {
        x.windows(2).map(|w| (w[1] - w[0]).abs()).fold(0.0, f32::max)
    }

    #[test]
    fn shortening_a_tone_keeps_it_smooth_and_continuous() {
        let rate = 8000;
        let mut s = Splicer::new(rate);
        let mut frame = tone(rate, 1000.0, 160, 0);
        let smooth = max_step(&frame) * 1.05;
        let removed = s.shorten(&mut frame, 40);
        assert!((s.min_shift()..=40).contains(&removed), "{removed}");
        assert_eq!(frame.len(), 160 - removed);
        // A 1 kHz tone at 8 kHz repeats every 8 samples: the splice lands on the period.
        assert_eq!(removed % 8, 0, "{removed}");
        assert!(max_step(&frame) <= smooth, "{} > {smooth}", max_step(&frame));
        // It continues into the next frame of the tone without a step.
        let mut joined = frame.clone();
        joined.extend(tone(rate, 1000.0, 160, 160));
        assert!(max_step(&joined) <= smooth);
    }

    #[test]
    fn lengthening_a_tone_keeps_it_smooth_and_continuous() {
        let rate = 48_000;
        let mut s = Splicer::new(rate);
        let mut previous = tone(rate, 440.0, 960, 0);
        let mut frame = tone(rate, 440.0, 960, 960);
        let smooth = max_step(&frame) * 1.05;
        let added = s.lengthen(&mut frame, 300);
        assert!((s.min_shift()..=300).contains(&added), "{added}");
        assert_eq!(frame.len(), 960 + added);
        previous.extend_from_slice(&frame);
        previous.extend(tone(rate, 440.0, 960, 1920));
        assert!(max_step(&previous) <= smooth, "{} > {smooth}", max_step(&previous));
        // The level is kept: no dip where the segments overlap.
        let peak = frame.iter().fold(0.0f32, |m, x| m.max(x.abs()));
        assert!(peak > 0.48, "{peak}");
    }

    #[test]
    fn noise_is_spliced_without_a_step() {
        let rate = 16_000;
        let mut s = Splicer::new(rate);
        let mut state = 0x1234_5678u32;
        // Smooth noise: a random walk, so the raw steps are small.
        let mut level = 0.0f32;
        let mut frame: Vec<f32> = (0..320)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                level = (level + (state as f32 / u32::MAX as f32 - 0.5) * 0.02).clamp(-0.9, 0.9);
                level
            })
            .collect();
        let before = max_step(&frame);
        let (first, last) = (frame[0], frame[319]);
        assert!(s.shorten(&mut frame, 100) >= s.min_shift());
        assert!((frame[0] - first).abs() < 0.01, "the splice starts where the stream was");
        assert!(max_step(&frame) <= before * 3.0, "{} vs {before}", max_step(&frame));
        assert!(s.lengthen(&mut frame, 100) >= s.min_shift());
        assert_eq!(*frame.last().expect("samples"), last);
    }

    #[test]
    fn too_short_requests_and_buffers_change_nothing() {
        let mut s = Splicer::new(8000);
        let mut frame = tone(8000, 500.0, 160, 0);
        assert_eq!(s.shorten(&mut frame, 5), 0);
        assert_eq!(s.lengthen(&mut frame, 5), 0);
        let mut tiny = vec![0.1f32; 30];
        assert_eq!(s.shorten(&mut tiny, 80), 0);
        assert_eq!(s.lengthen(&mut tiny, 80), 0);
        assert_eq!((frame.len(), tiny.len()), (160, 30));
    }

    #[test]
    fn splicing_does_not_allocate_within_capacity() {
        let mut s = Splicer::new(8000);
        let mut buf = Vec::with_capacity(400);
        buf.extend(tone(8000, 300.0, 160, 0));
        let ptr = buf.as_ptr();
        for _ in 0..20 {
            s.lengthen(&mut buf, 80);
            s.shorten(&mut buf, 80);
        }
        assert_eq!(buf.as_ptr(), ptr, "the buffer was not reallocated");
    }
}
