//! Tone generators: sines, dual tones and cadenced call-progress tones, as `i16` frames at
//! any sample rate. The phase is computed from the absolute sample position, so frames of
//! any size join without clicks and long tones do not drift.
//!
//! The Goertzel detector lives in [`crate::media::goertzel`](mod@crate::media::goertzel) and is
//! re-exported here.

use std::f64::consts::TAU;
use std::time::Duration;

pub use super::goertzel::{ToneMeasurement, dominant_frequency, goertzel};

/// Default level of the preset tones: about −10 dBFS per tone in total.
pub const DEFAULT_AMPLITUDE: i16 = 10000;

/// A periodic tone: one or more sine components, optionally switched on and off by a cadence.
#[derive(Debug, Clone, PartialEq)]
pub struct ToneGenerator {
    frequencies: Vec<f64>,
    amplitude: f64,
    sample_rate: u32,
    /// `(on, off)` pairs in samples; empty for a continuous tone.
    cadence: Vec<(u64, u64)>,
    position: u64,
}

impl ToneGenerator {
    /// A continuous sine of `frequency` Hz with peak `amplitude`.
    pub fn sine(frequency: f64, amplitude: i16, sample_rate: u32) -> Self {
        Self::multi(&[frequency], amplitude, sample_rate)
    }

    /// A continuous sum of sines whose peaks add up to `amplitude` (no clipping).
    pub fn multi(frequencies: &[f64], amplitude: i16, sample_rate: u32) -> Self {
        ToneGenerator {
            frequencies: frequencies.to_vec(),
            amplitude: f64::from(amplitude.max(0)),
            sample_rate: sample_rate.max(1),
            cadence: Vec::new(),
            position: 0,
        }
    }

    /// Switches the tone on and off: `(on, off)` pairs, repeated forever.
    pub fn with_cadence(mut self, pattern: &[(Duration, Duration)]) -> Self {
        let samples = |d: Duration| (u128::from(self.sample_rate) * d.as_nanos() / 1_000_000_000) as u64;
        self.cadence = pattern.iter().map(|&(on, off)| (samples(on), samples(off))).collect();
        if self.cadence.iter().all(|&(on, off)| on + off == 0) {
            self.cadence.clear();
        }
        self
    }

    /// ETSI ring-back tone (ETSI ES 201 970, used across Europe): 425 Hz, 1 s on, 4 s off.
    pub fn ringback_etsi(sample_rate: u32) -> Self {
        Self::sine(425.0, DEFAULT_AMPLITUDE, sample_rate).with_cadence(&[(secs(1000), secs(4000))])
    }

    /// North-American ring-back tone: 440 + 480 Hz, 2 s on, 4 s off.
    pub fn ringback_us(sample_rate: u32) -> Self {
        Self::multi(&[440.0, 480.0], DEFAULT_AMPLITUDE, sample_rate).with_cadence(&[(secs(2000), secs(4000))])
    }

    /// ETSI busy tone: 425 Hz, 0.5 s on, 0.5 s off.
    pub fn busy_etsi(sample_rate: u32) -> Self {
        Self::sine(425.0, DEFAULT_AMPLITUDE, sample_rate).with_cadence(&[(secs(500), secs(500))])
    }

    /// The local ringing tone for an incoming call (played on our speaker, not sent): the
    /// familiar "double ring", 400 + 450 Hz, 0.4 s on, 0.2 s off, 0.4 s on, 2 s off.
    pub fn ringing(sample_rate: u32) -> Self {
        Self::multi(&[400.0, 450.0], DEFAULT_AMPLITUDE, sample_rate)
            .with_cadence(&[(secs(400), secs(200)), (secs(400), secs(2000))])
    }

    /// The sample rate in Hz.
    pub fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    /// Samples produced so far.
    pub fn position(&self) -> u64 {
        self.position
    }

    /// Restarts at the beginning of the cadence with phase zero.
    pub fn reset(&mut self) {
        self.position = 0;
    }

    /// True when the cadence has the tone on at sample `position`.
    pub fn is_on_at(&self, position: u64) -> bool {
        let period: u64 = self.cadence.iter().map(|&(on, off)| on + off).sum();
        if period == 0 {
            return true;
        }
        let mut t = position % period;
        for &(on, off) in &self.cadence {
            if t < on {
                return true;
            }
            if t < on + off {
                return false;
            }
            t -= on + off;
        }
        false
    }

    /// Fills `out` with the next samples.
    pub fn fill(&mut self, out: &mut [i16]) {
        let rate = f64::from(self.sample_rate);
        let per_component =
            if self.frequencies.is_empty() { 0.0 } else { self.amplitude / self.frequencies.len() as f64 };
        for sample in out.iter_mut() {
            let n = self.position;
            self.position += 1;
            if !self.is_on_at(n) {
                *sample = 0;
                continue;
            }
            let value: f64 = self
                .frequencies
                .iter()
                .map(|&f| {
                    // Phase in cycles, reduced before scaling so that it stays exact for hours.
                    let cycles = (f * n as f64 / rate).fract();
                    (TAU * cycles).sin()
                })
                .sum();
            *sample = (value * per_component).round().clamp(-32768.0, 32767.0) as i16;
        }
    }

    /// The next `len` samples.
    pub fn next_frame(&mut self, len: usize) -> Vec<i16> {
        let mut frame = vec![0; len];
        self.fill(&mut frame);
        frame
    }
}

fn secs(ms: u64) -> Duration {
    Duration::from_millis(ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sine_is_continuous_across_frames() {
        let mut split = ToneGenerator::sine(1000.0, 8000, 8000);
        let mut whole = split.clone();
        let mut joined = split.next_frame(37);
        joined.extend(split.next_frame(123));
        assert_eq!(joined, whole.next_frame(160));
        assert_eq!(&joined[..4], &[0, 5657, 8000, 5657]);
        assert_eq!(split.position(), 160);
    }

    #[test]
    fn detected_at_its_frequency() {
        for (rate, f) in [(8000, 1000.0), (16000, 425.0), (48000, 3150.0)] {
            let samples = ToneGenerator::sine(f, 8000, rate).next_frame(rate as usize / 2);
            let found = dominant_frequency(&samples, rate, 100.0..(f64::from(rate) / 2.0 - 100.0)).expect("tone");
            assert!((found - f).abs() / f < 0.01, "{f} Hz at {rate}: {found}");
            assert!(goertzel(&samples, rate, f).snr_db > 40.0);
        }
    }

    #[test]
    fn ringback_cadences() {
        let etsi = ToneGenerator::ringback_etsi(8000);
        assert!(etsi.is_on_at(0) && etsi.is_on_at(7999));
        assert!(!etsi.is_on_at(8000) && !etsi.is_on_at(39_999));
        assert!(etsi.is_on_at(40_000), "period is 5 s");
        let us = ToneGenerator::ringback_us(8000);
        assert!(us.is_on_at(15_999) && !us.is_on_at(16_000) && us.is_on_at(48_000));
        let ringing = ToneGenerator::ringing(8000);
        let on: Vec<bool> = [0, 3300, 4900, 7900, 8100, 24_000].iter().map(|&n| ringing.is_on_at(n)).collect();
        assert_eq!(on, vec![true, false, true, true, false, true]);
    }

    #[test]
    fn us_ringback_contains_both_tones_and_silence() {
        let mut generator = ToneGenerator::ringback_us(8000);
        let on = generator.next_frame(8000);
        assert!(on.iter().all(|s| s.unsigned_abs() <= DEFAULT_AMPLITUDE as u16));
        for f in [440.0, 480.0] {
            let m = goertzel(&on, 8000, f);
            assert!(m.power > 0.4 * m.total_power, "{f} Hz carries half the power: {m:?}");
        }
        let mut off = vec![0; 8000];
        generator.fill(&mut off); // seconds 1..2 still on
        generator.fill(&mut off); // seconds 2..3 off
        assert!(off.iter().all(|&s| s == 0));
    }

    #[test]
    fn etsi_tones_are_425_hz() {
        for mut generator in [ToneGenerator::ringback_etsi(16000), ToneGenerator::busy_etsi(16000)] {
            let frame = generator.next_frame(4000);
            let f = dominant_frequency(&frame, 16000, 300.0..3400.0).expect("tone");
            assert!((f - 425.0).abs() < 4.25, "{f}");
        }
    }
}
