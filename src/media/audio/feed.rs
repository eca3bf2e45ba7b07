//! The call's side of a device stream: rate conversion and a ring held near a small level.
//!
//! [`PlaybackFeed`] takes the call's 20 ms frames at the codec rate, converts them to the device
//! rate and pushes them into the ring the playback callback drains; [`CaptureFeed`] drains the
//! ring the capture callback fills, converts to the codec rate and hands out 20 ms frames. Both
//! run on the call's thread, never in a callback (they may allocate when a frame is larger than
//! expected; in steady state they do not).
//!
//! The level between the two clocks (device crystal, our timer) is held near a small target by a
//! [`LevelKeeper`] and corrected by a [`Splicer`] splice at the codec rate — a few milliseconds
//! taken out or put in where the waveform repeats, never a dropped or zero-filled block:
//!
//! * playback looks at the lowest level a callback left since the previous write (the margin
//!   before the device would have starved, whatever its period) and at underruns;
//! * capture looks at what is left over after each read and at short reads.
//!
//! A hard cap of [`MAX_QUEUE_MS`] remains for a stalled call thread.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use ringbuf::traits::{Consumer, Observer, Producer};

use super::level::{Adjust, LevelKeeper};
use super::rate::RateConverter;
use super::ring::{HeapCons, HeapProd, StreamStatus};
use super::stretch::Splicer;
use super::{StreamLatency, f32_to_i16, i16_to_f32};

/// Hard cap on the audio kept between the device and the call (ms); beyond it old samples are
/// dropped. Only reached when the level keeper cannot keep up (a stalled call thread).
pub const MAX_QUEUE_MS: usize = 200;
/// Playback ring: starting target, floor and ceiling of the level the callbacks leave. The
/// floor is raised to one device period: with 20 ms writes and a period-sized pull, a write
/// that comes a little late lets one more callback in before it, which takes a whole period
/// from the margin; the start is 2 ms above the floor.
pub const PLAYBACK_LEVEL: (Duration, Duration, Duration) =
    (Duration::from_millis(7), Duration::from_millis(5), Duration::from_millis(40));
/// Capture: starting target, floor and ceiling of the audio left over after a read.
pub const CAPTURE_LEVEL: (Duration, Duration, Duration) =
    (Duration::from_millis(4), Duration::from_millis(2), Duration::from_millis(40));

fn duration_of(samples: usize, rate: u32) -> Duration {
    Duration::from_nanos((samples as u64).saturating_mul(1_000_000_000) / u64::from(rate.max(1)))
}

fn samples_of(d: Duration, rate: u32) -> usize {
    (u128::from(rate) * d.as_nanos() / 1_000_000_000) as usize
}

/// The call's side of a capture stream; see the module docs.
pub struct CaptureFeed {
    ring: HeapCons<f32>,
    status: Arc<StreamStatus>,
    converter: RateConverter,
    rate: u32,
    device_rate: u32,
    /// Device-rate samples taken from the ring.
    scratch: Vec<f32>,
    /// Codec-rate samples taken from the converter.
    converted: Vec<f32>,
    /// Codec-rate samples not yet read (the level the keeper holds near its target).
    pending: Vec<f32>,
    max_pending: usize,
    keeper: LevelKeeper,
    splicer: Splicer,
    /// True once the device delivered its first samples.
    started: bool,
}

impl std::fmt::Debug for CaptureFeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CaptureFeed").field("rate", &self.rate).field("device_rate", &self.device_rate).finish()
    }
}

impl CaptureFeed {
    /// Reads `ring` (filled by a capture callback at `device_rate`) as frames at `rate`.
    pub fn new(ring: HeapCons<f32>, status: Arc<StreamStatus>, device_rate: u32, rate: u32) -> Result<Self, String> {
        let converter = RateConverter::new(device_rate, rate)?;
        let frame = (rate as usize / 50).max(1);
        let (target, min, max) = CAPTURE_LEVEL;
        let max_pending = rate as usize * MAX_QUEUE_MS / 1000 + frame;
        Ok(CaptureFeed {
            ring,
            status,
            converter,
            rate,
            device_rate,
            scratch: vec![0.0; device_rate as usize / 50 + 1],
            converted: vec![0.0; frame * 4],
            pending: Vec::with_capacity(max_pending + frame * 4),
            max_pending,
            keeper: LevelKeeper::new(rate, target, min, max),
            splicer: Splicer::new(rate),
            started: false,
        })
    }

    /// The stream's counters and failure flag.
    pub fn status(&self) -> &StreamStatus {
        &self.status
    }

    /// Codec-rate samples waiting after the last read.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// Fills `out` with the next samples; returns how many came from the device (the rest are
    /// silence, before the device has started or after a stall).
    pub fn read(&mut self, out: &mut [i16]) -> usize {
        // Bounded: the ring holds at most 500 ms, taken 20 ms at a time.
        for _ in 0..64 {
            let n = self.ring.pop_slice(&mut self.scratch);
            if n == 0 {
                break;
            }
            self.converter.push(&self.scratch[..n]);
        }
        // Bounded: the converter keeps at most 200 ms.
        for _ in 0..256 {
            let n = self.converter.pop(&mut self.converted);
            if n == 0 {
                break;
            }
            self.pending.extend_from_slice(&self.converted[..n]);
        }
        if self.pending.len() > self.max_pending {
            // Last resort (the call's thread stalled for a long time): drop the oldest.
            let excess = self.pending.len() - self.max_pending;
            self.pending.drain(..excess);
        }
        let n = out.len();
        if !self.started && !self.pending.is_empty() {
            // The first audio: keep one read and the target, the rest is stale.
            self.started = true;
            let keep = n + self.keeper.target();
            if self.pending.len() > keep {
                let stale = self.pending.len() - keep;
                self.pending.drain(..stale);
            }
        } else if self.started {
            let short = self.pending.len() < n;
            let left = self.pending.len().saturating_sub(n);
            match self.keeper.update(left, short) {
                Adjust::Shorten(k) => {
                    self.splicer.shorten(&mut self.pending, k);
                }
                Adjust::Lengthen(k) => {
                    let missing = n.saturating_sub(self.pending.len());
                    let want = (k + missing).max(self.splicer.min_shift());
                    self.splicer.lengthen(&mut self.pending, want);
                }
                Adjust::Keep => {}
            }
        }
        let m = n.min(self.pending.len());
        for (o, &s) in out[..m].iter_mut().zip(&self.pending[..m]) {
            *o = f32_to_i16(s);
        }
        self.pending.drain(..m);
        out[m..].fill(0);
        m
    }

    /// What this side adds, with the device's period as the host reported it.
    pub fn latency(&self, period_frames: Option<u32>, fixed_period: bool) -> StreamLatency {
        StreamLatency {
            device_rate: self.device_rate,
            period_frames,
            fixed_period,
            host_delay: self.status.host_delay(),
            ring_target: self.keeper.target_duration(),
            resampler_delay: duration_of(self.converter.delay(), self.rate),
            resampler_block: duration_of(self.converter.block(), self.device_rate),
        }
    }
}

/// The call's side of a playback stream; see the module docs.
pub struct PlaybackFeed {
    ring: HeapProd<f32>,
    status: Arc<StreamStatus>,
    converter: RateConverter,
    rate: u32,
    device_rate: u32,
    max_queued: usize,
    /// The frame being written, as floats at the codec rate (spliced here).
    frame: Vec<f32>,
    converted: Vec<f32>,
    keeper: LevelKeeper,
    splicer: Splicer,
    /// True after the first write.
    started: bool,
    /// Underrun count at the previous write.
    last_xruns: u64,
}

impl std::fmt::Debug for PlaybackFeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlaybackFeed").field("rate", &self.rate).field("device_rate", &self.device_rate).finish()
    }
}

impl PlaybackFeed {
    /// Writes frames at `rate` into `ring`, drained by a playback callback at `device_rate`
    /// taking `period` frames at a time (when the host says).
    pub fn new(
        ring: HeapProd<f32>,
        status: Arc<StreamStatus>,
        rate: u32,
        device_rate: u32,
        period: Option<u32>,
    ) -> Result<Self, String> {
        let converter = RateConverter::new(rate, device_rate)?;
        let (target, min, max) = PLAYBACK_LEVEL;
        let period = duration_of(period.unwrap_or(0) as usize, device_rate);
        let min = min.max(period);
        let target = target.max(min + Duration::from_millis(2));
        let splicer = Splicer::new(rate);
        Ok(PlaybackFeed {
            ring,
            status,
            converter,
            rate,
            device_rate,
            max_queued: device_rate as usize * MAX_QUEUE_MS / 1000,
            frame: Vec::with_capacity(rate as usize / 10 + 2 * splicer.max_shift()),
            converted: vec![0.0; device_rate as usize / 10 + 1],
            keeper: LevelKeeper::new(rate, target, min, max),
            splicer,
            started: false,
            last_xruns: 0,
        })
    }

    /// The stream's counters and failure flag.
    pub fn status(&self) -> &StreamStatus {
        &self.status
    }

    /// Device-rate samples waiting in the ring.
    pub fn queued(&self) -> usize {
        self.ring.occupied_len()
    }

    /// Queues `frame` for playing; returns how many samples were taken (all of them).
    pub fn write(&mut self, frame: &[i16]) -> usize {
        let low = self.status.take_low_water();
        let xruns = self.status.xruns.load(Ordering::Relaxed);
        let starved = self.started && xruns > self.last_xruns;
        self.last_xruns = xruns;
        self.frame.clear();
        self.frame.extend(frame.iter().map(|&s| i16_to_f32(s)));
        if !self.started {
            // Start at the target level: the first callbacks find audio waiting.
            self.started = true;
            let prefill = samples_of(self.keeper.target_duration(), self.device_rate);
            self.ring.push_iter(std::iter::repeat_n(0.0, prefill));
        } else {
            let level = low.unwrap_or_else(|| self.ring.occupied_len());
            let floor = (level as u64 * u64::from(self.rate) / u64::from(self.device_rate.max(1))) as usize;
            match self.keeper.update(floor, starved) {
                Adjust::Shorten(k) => {
                    self.splicer.shorten(&mut self.frame, k);
                }
                Adjust::Lengthen(k) => {
                    let want = k.max(self.splicer.min_shift());
                    self.splicer.lengthen(&mut self.frame, want);
                }
                Adjust::Keep => {}
            }
        }
        self.converter.push(&self.frame);
        // Bounded: the converter keeps at most 200 ms, taken 100 ms at a time.
        for _ in 0..16 {
            let n = self.converter.pop(&mut self.converted);
            if n == 0 {
                break;
            }
            let room = self.max_queued.saturating_sub(self.ring.occupied_len());
            self.ring.push_slice(&self.converted[..n.min(room)]);
        }
        frame.len()
    }

    /// What this side adds, with the device's period as the host reported it.
    pub fn latency(&self, period_frames: Option<u32>, fixed_period: bool) -> StreamLatency {
        StreamLatency {
            device_rate: self.device_rate,
            period_frames,
            fixed_period,
            host_delay: self.status.host_delay(),
            ring_target: self.keeper.target_duration(),
            resampler_delay: duration_of(self.converter.delay(), self.device_rate),
            resampler_block: duration_of(self.converter.block(), self.rate),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::audio::ring::{capture_into_ring, mono_ring, playback_from_ring};

    /// A deterministic ±`spread` µs timing noise.
    fn wobble(k: u64, spread: u64) -> i64 {
        let x = k.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40;
        (x % (2 * spread + 1)) as i64 - spread as i64
    }

    fn tone_at(rate: u32, hz: f64, i: u64) -> f32 {
        (0.5 * (std::f64::consts::TAU * hz * i as f64 / f64::from(rate)).sin()) as f32
    }

    fn max_step(x: &[f32]) -> f32 {
        x.windows(2).map(|w| (w[1] - w[0]).abs()).fold(0.0, f32::max)
    }

    /// 60 s of a 440 Hz tone written every 20 ms (±2 ms) into a device that takes 480 frames
    /// every 10 ms on a clock `ppm` parts per million off ours.
    fn play(ppm: i64) -> (Vec<f32>, PlaybackFeed, u64) {
        let (producer, mut consumer) = mono_ring(24_000);
        let status = StreamStatus::new();
        let mut feed = PlaybackFeed::new(producer, Arc::clone(&status), 8000, 48_000, Some(480)).expect("rates");
        let period_us = (10_000 * (1_000_000 + ppm) / 1_000_000) as u64;
        let mut out = Vec::new();
        let mut block = vec![0.0f32; 480];
        let (mut next_cb, mut k, mut sample) = (period_us, 0u64, 0u64);
        let mut xruns_after_start = 0;
        for j in 0..3000u64 {
            let write_at = (j * 20_000).saturating_add_signed(wobble(j, 2000));
            while next_cb <= write_at {
                playback_from_ring(&mut block, 1, |x| x, &mut consumer, &status);
                out.extend_from_slice(&block);
                k += 1;
                next_cb = (k + 1) * period_us;
            }
            if j == 500 {
                xruns_after_start = status.xruns.load(Ordering::Relaxed);
            }
            let frame: Vec<i16> = (0..160).map(|i| f32_to_i16(tone_at(8000, 440.0, sample + i))).collect();
            sample += 160;
            feed.write(&frame);
            assert!(feed.queued() <= 48 * 60, "ring at {} samples", feed.queued());
        }
        let late_xruns = status.xruns.load(Ordering::Relaxed) - xruns_after_start;
        (out, feed, late_xruns)
    }

    #[test]
    fn playback_ring_stays_small_and_smooth_on_a_fast_or_slow_device() {
        for ppm in [-1000i64, -100, 0, 100, 1000] {
            let (out, feed, late_xruns) = play(ppm);
            // The first 10 s may adapt the target; after that: no starvation, no click.
            let steady = &out[480_000..];
            let natural = 0.5 * std::f32::consts::TAU * 440.0 / 48_000.0;
            assert!(max_step(steady) < natural * 1.3, "{ppm} ppm: a click, step {}", max_step(steady));
            assert_eq!(late_xruns, 0, "{ppm} ppm: the device starved");
            let target = feed.keeper.target_duration();
            println!("{ppm} ppm: playback target {target:?}, {} samples queued", feed.queued());
            assert!(target <= Duration::from_millis(14), "{ppm} ppm: target {target:?}");
        }
    }

    #[test]
    fn capture_leftover_stays_small_and_smooth_on_a_fast_or_slow_device() {
        for ppm in [-1000i64, -100, 0, 100, 1000] {
            let (mut producer, consumer) = mono_ring(24_000);
            let status = StreamStatus::new();
            let mut feed = CaptureFeed::new(consumer, Arc::clone(&status), 48_000, 8000).expect("rates");
            let period_us = (10_000 * (1_000_000 + ppm) / 1_000_000) as u64;
            let (mut next_cb, mut k, mut sample) = (period_us, 0u64, 0u64);
            let mut heard = Vec::new();
            let mut frame = vec![0i16; 160];
            let mut short_reads = 0;
            // The device starts 35 ms before the first read (opening, then the first tick).
            for j in 0..1500u64 {
                let read_at = 35_000 + (j * 20_000).saturating_add_signed(wobble(j, 2000));
                while next_cb <= read_at {
                    let block: Vec<f32> = (0..480).map(|i| tone_at(48_000, 440.0, sample + i)).collect();
                    sample += 480;
                    capture_into_ring(&block, 1, |x| x, &mut producer, &status);
                    k += 1;
                    next_cb = (k + 1) * period_us;
                }
                if feed.read(&mut frame) < 160 && j > 500 {
                    short_reads += 1;
                }
                assert!(feed.pending() <= 8 * 40, "{ppm} ppm: {} samples waiting", feed.pending());
                heard.extend(frame.iter().map(|&s| f32::from(s) / 32768.0));
            }
            assert_eq!(short_reads, 0, "{ppm} ppm");
            println!("{ppm} ppm: capture target {:?}", feed.keeper.target_duration());
            let natural = 0.5 * std::f32::consts::TAU * 440.0 / 8000.0;
            let steady = &heard[80_000..];
            assert!(max_step(steady) < natural * 1.3, "{ppm} ppm: a click, step {}", max_step(steady));
        }
    }
}
