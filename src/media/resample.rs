//! A small streaming sample-rate converter: linear interpolation, with a windowed-sinc
//! low-pass in front when decimating (so 48 kHz → 8 kHz does not fold 4–24 kHz into the
//! voice band). Good enough for tones, prompts and tests; the audio path to the sound card
//! will use a proper band-limited resampler (`rubato`, see `DEPENDENCIES.md`).
//!
//! Positions are kept as exact fractions of the two rates, so long streams do not drift, and
//! feeding a signal in chunks gives exactly the samples of one call with the whole signal.

use std::f64::consts::{PI, TAU};

/// Longest anti-aliasing filter.
const MAX_TAPS: usize = 255;

/// Converts one mono stream from one rate to another.
#[derive(Debug, Clone)]
pub struct Resampler {
    /// Input rate divided by gcd(from, to): the position step per output sample.
    step: u64,
    /// Output rate divided by the gcd: positions are counted in 1/`denominator` input samples.
    denominator: u64,
    /// Anti-aliasing filter taps (empty when not decimating).
    taps: Vec<f32>,
    /// The last `taps.len() − 1` inputs, oldest first.
    line: Vec<f32>,
    /// Filtered outputs still to discard (the filter's group delay).
    skip: usize,
    /// Filtered samples not yet passed by the output position.
    pending: Vec<f32>,
    /// Position of the next output relative to `pending[0]`, in 1/`denominator` samples.
    position: u64,
}

impl Resampler {
    /// A converter from `from_rate` to `to_rate` Hz (zero rates are taken as 1).
    pub fn new(from_rate: u32, to_rate: u32) -> Self {
        let (from, to) = (u64::from(from_rate.max(1)), u64::from(to_rate.max(1)));
        let divisor = gcd(from, to);
        let taps = if to < from { low_pass(to as f64 / from as f64) } else { Vec::new() };
        let delay = taps.len().saturating_sub(1) / 2;
        Resampler {
            step: from / divisor,
            denominator: to / divisor,
            line: vec![0.0; taps.len().saturating_sub(1)],
            taps,
            skip: delay,
            pending: Vec::new(),
            position: 0,
        }
    }

    /// Converts the next chunk of input; returns the output samples that are complete.
    pub fn process(&mut self, input: &[i16]) -> Vec<i16> {
        let samples: Vec<f32> = input.iter().map(|&s| f32::from(s)).collect();
        self.push_filtered(&samples);
        self.emit(false)
    }

    /// Ends the stream: returns the remaining samples and makes the converter ready for a
    /// new stream.
    pub fn flush(&mut self) -> Vec<i16> {
        let delay = self.taps.len().saturating_sub(1) / 2;
        self.push_filtered(&vec![0.0; delay]);
        let out = self.emit(true);
        self.pending.clear();
        self.position = 0;
        self.line.iter_mut().for_each(|x| *x = 0.0);
        self.skip = delay;
        out
    }

    fn push_filtered(&mut self, samples: &[f32]) {
        if self.taps.is_empty() {
            self.pending.extend_from_slice(samples);
            return;
        }
        let history = self.line.len();
        let mut extended = std::mem::take(&mut self.line);
        extended.extend_from_slice(samples);
        for window in extended.windows(self.taps.len()) {
            if self.skip > 0 {
                self.skip -= 1;
                continue;
            }
            let y: f32 = window.iter().zip(&self.taps).map(|(x, h)| x * h).sum();
            self.pending.push(y);
        }
        self.line = extended.split_off(extended.len() - history);
    }

    /// Interpolates every output whose neighbours are known (at the end of the stream the
    /// last sample is held).
    fn emit(&mut self, at_end: bool) -> Vec<i16> {
        let mut out = Vec::new();
        loop {
            let index = (self.position / self.denominator) as usize;
            let Some(&left) = self.pending.get(index) else { break };
            let right = match self.pending.get(index + 1) {
                Some(&right) => right,
                None if at_end => left,
                None => break,
            };
            let fraction = (self.position % self.denominator) as f32 / self.denominator as f32;
            let value = left + (right - left) * fraction;
            out.push(value.round().clamp(-32768.0, 32767.0) as i16);
            self.position += self.step;
        }
        let consumed = ((self.position / self.denominator) as usize).min(self.pending.len());
        self.pending.drain(..consumed);
        self.position -= consumed as u64 * self.denominator;
        out
    }
}

/// Converts a whole signal (`len · to / from` samples out).
pub fn resample(input: &[i16], from_rate: u32, to_rate: u32) -> Vec<i16> {
    let mut resampler = Resampler::new(from_rate, to_rate);
    let mut out = resampler.process(input);
    out.extend(resampler.flush());
    out
}

/// Hamming-windowed sinc low-pass for decimation by `ratio` (= to/from < 1): pass band up
/// to 0.4·ratio, stop band from 0.6·ratio (cycles per input sample), unity DC gain.
fn low_pass(ratio: f64) -> Vec<f32> {
    let cutoff = 0.5 * ratio;
    let len = ((3.3 / (0.2 * ratio)).ceil() as usize | 1).min(MAX_TAPS);
    let middle = (len / 2) as f64;
    let raw: Vec<f64> = (0..len)
        .map(|k| {
            let t = k as f64 - middle;
            let ideal = if t == 0.0 { 2.0 * cutoff } else { (TAU * cutoff * t).sin() / (PI * t) };
            let hamming = 0.54 - 0.46 * (TAU * k as f64 / (len - 1) as f64).cos();
            ideal * hamming
        })
        .collect();
    let sum: f64 = raw.iter().sum();
    raw.iter().map(|h| (h / sum) as f32).collect()
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::goertzel::{dominant_frequency, goertzel};
    use crate::media::tone::ToneGenerator;

    #[test]
    fn lengths_follow_the_ratio() {
        let input = vec![100i16; 960];
        assert_eq!(resample(&input, 48000, 8000).len(), 160);
        assert_eq!(resample(&input[..160], 8000, 16000).len(), 320);
        assert_eq!(resample(&input[..160], 8000, 48000).len(), 960);
        assert_eq!(resample(&input[..441], 44100, 16000).len(), 160);
        assert_eq!(resample(&input, 8000, 8000), input, "same rate is the identity");
    }

    #[test]
    fn tone_survives_up_and_down() {
        let tone = ToneGenerator::sine(1000.0, 8000, 8000).next_frame(8000);
        for rate in [16000, 48000] {
            let up = resample(&tone, 8000, rate);
            let f = dominant_frequency(&up, rate, 300.0..3400.0).expect("tone");
            assert!((f - 1000.0).abs() < 10.0, "{rate}: {f}");
            let down = resample(&up, rate, 8000);
            let m = goertzel(&down[100..7900], 8000, 1000.0);
            assert!(m.snr_db > 30.0, "{rate} and back: {m:?}");
            // Linear interpolation droops about 0.5 dB at 1 kHz from 8 kHz; allow 10 %.
            assert!((m.power.sqrt() * std::f64::consts::SQRT_2 - 8000.0).abs() < 800.0, "level kept: {m:?}");
        }
    }

    #[test]
    fn decimation_suppresses_aliases() {
        // 6 kHz at 48 kHz would fold to 2 kHz at 8 kHz without the low-pass.
        let high = ToneGenerator::sine(6000.0, 10000, 48000).next_frame(48000);
        let down = resample(&high, 48000, 8000);
        let alias = goertzel(&down[200..7800], 8000, 2000.0);
        let input_power = 10000.0f64 * 10000.0 / 2.0;
        assert!(alias.power < input_power * 1e-3, "alias at {:.1} dB", 10.0 * (alias.power / input_power).log10());
    }

    #[test]
    fn chunked_equals_whole() {
        let tone = ToneGenerator::sine(700.0, 9000, 48000).next_frame(4800);
        for (from, to) in [(48000, 8000), (48000, 16000), (8000, 48000), (44100, 8000)] {
            let whole = resample(&tone, from, to);
            let mut resampler = Resampler::new(from, to);
            let mut chunked = Vec::new();
            for chunk in tone.chunks(37) {
                chunked.extend(resampler.process(chunk));
            }
            chunked.extend(resampler.flush());
            assert_eq!(chunked, whole, "{from} -> {to}");
        }
    }
}
