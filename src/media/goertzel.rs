//! Goertzel tone detection: the power of one frequency in a block of samples, its share of
//! the total power, and a scan for the dominant frequency.
//!
//! Powers are mean-square values in squared sample units, so a sine of peak `A` has power
//! `A²/2` both in total and at its frequency, and the two can be compared directly.

use std::f64::consts::TAU;
use std::ops::Range;

/// The result of [`goertzel`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ToneMeasurement {
    /// Power at the frequency (`A²/2` for a sine of peak `A` at exactly that frequency).
    pub power: f64,
    /// Total power of the block (mean square).
    pub total_power: f64,
    /// `power` against everything else (`total_power − power`), in dB; −∞ for silence.
    pub snr_db: f64,
}

/// Measures `frequency` (0 < f < rate/2) over all of `samples` with the Goertzel algorithm.
///
/// The frequency resolution is about `sample_rate / samples.len()`: measure the frequency a
/// tone was sent at, or pass a block short enough for the tolerance you need.
pub fn goertzel(samples: &[i16], sample_rate: u32, frequency: f64) -> ToneMeasurement {
    let n = samples.len() as f64;
    let total_power =
        if samples.is_empty() { 0.0 } else { samples.iter().map(|&s| f64::from(s) * f64::from(s)).sum::<f64>() / n };
    if total_power == 0.0 || sample_rate == 0 {
        return ToneMeasurement { power: 0.0, total_power, snr_db: f64::NEG_INFINITY };
    }
    let magnitude2 = goertzel_magnitude2(samples.iter().map(|&s| f64::from(s)), sample_rate, frequency);
    let power = (2.0 * magnitude2 / (n * n)).min(total_power);
    // Rounding can leave a pure tone with a hair more power than the total; cap the SNR at 120 dB.
    let rest = (total_power - power).max(total_power * 1e-12);
    ToneMeasurement { power, total_power, snr_db: 10.0 * (power / rest).log10() }
}

/// |X(f)|² of a sequence, by the Goertzel recurrence.
fn goertzel_magnitude2(samples: impl Iterator<Item = f64>, sample_rate: u32, frequency: f64) -> f64 {
    let coefficient = 2.0 * (TAU * frequency / f64::from(sample_rate)).cos();
    let (mut s1, mut s2) = (0.0f64, 0.0f64);
    for x in samples {
        let s0 = x + coefficient * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    s1 * s1 + s2 * s2 - coefficient * s1 * s2
}

/// Mean power at `frequency` over Hann-windowed blocks one percent of the frequency wide
/// (`100 · rate / f` samples, at most the whole input).
fn scan_power(samples: &[i16], sample_rate: u32, frequency: f64) -> f64 {
    let wanted = (100.0 * f64::from(sample_rate) / frequency).round() as usize;
    let block = wanted.clamp(16, samples.len().max(16)).min(samples.len());
    if block == 0 {
        return 0.0;
    }
    let window: Vec<f64> = (0..block).map(|i| 0.5 - 0.5 * (TAU * i as f64 / block as f64).cos()).collect();
    let gain: f64 = window.iter().sum();
    let mut sum = 0.0;
    let mut blocks = 0usize;
    for chunk in samples.chunks_exact(block) {
        let weighted = chunk.iter().zip(&window).map(|(&s, &w)| f64::from(s) * w);
        sum += 2.0 * goertzel_magnitude2(weighted, sample_rate, frequency) / (gain * gain);
        blocks += 1;
    }
    if blocks == 0 { 0.0 } else { sum / blocks as f64 }
}

/// The strongest frequency in `range` (Hz), to ±1 %: a scan in 1 % steps with Hann-windowed
/// Goertzel filters one percent wide, refined in 0.1 % steps around the best one. `None` for
/// silence, an empty input or a range outside `0..rate/2`.
pub fn dominant_frequency(samples: &[i16], sample_rate: u32, range: Range<f64>) -> Option<f64> {
    let nyquist = f64::from(sample_rate) / 2.0;
    let low = range.start.max(1.0);
    let high = range.end.min(nyquist);
    let ordered = low.partial_cmp(&high) == Some(std::cmp::Ordering::Less);
    if samples.is_empty() || !ordered || samples.iter().all(|&s| s == 0) {
        return None;
    }
    let strongest = |candidates: &mut dyn Iterator<Item = f64>| {
        candidates.map(|f| (f, scan_power(samples, sample_rate, f))).fold(None, |best: Option<(f64, f64)>, (f, p)| {
            match best {
                Some((_, bp)) if bp >= p => best,
                _ => Some((f, p)),
            }
        })
    };
    let steps = ((high / low).ln() / 1.01f64.ln()).ceil() as i32;
    let mut coarse = (0..=steps).map(|k| (low * 1.01f64.powi(k)).min(high));
    let (centre, _) = strongest(&mut coarse)?;
    let mut fine = (-10..=10).map(|k| (centre * (1.0 + f64::from(k) * 0.001)).clamp(low, high));
    strongest(&mut fine).map(|(f, _)| f)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(f: f64, amplitude: f64, rate: u32, len: usize) -> Vec<i16> {
        (0..len).map(|n| (amplitude * (TAU * f * n as f64 / f64::from(rate)).sin()).round() as i16).collect()
    }

    #[test]
    fn power_of_a_pure_tone() {
        let samples = sine(1000.0, 10000.0, 8000, 8000);
        let m = goertzel(&samples, 8000, 1000.0);
        let expected = 10000.0 * 10000.0 / 2.0;
        assert!((m.power - expected).abs() / expected < 0.01, "{m:?}");
        assert!((m.total_power - expected).abs() / expected < 0.01);
        assert!(m.snr_db > 40.0);
        let off = goertzel(&samples, 8000, 1100.0);
        assert!(off.power < expected * 1e-3 && off.snr_db < -30.0, "{off:?}");
    }

    #[test]
    fn snr_of_tone_plus_noise() {
        // A tone with 10 % of its power added as a second, unrelated tone: SNR 10 dB.
        let a = sine(1000.0, 10000.0, 8000, 8000);
        let b = sine(2300.0, 10000.0 * 0.1f64.sqrt(), 8000, 8000);
        let mixed: Vec<i16> = a.iter().zip(&b).map(|(x, y)| x + y).collect();
        let m = goertzel(&mixed, 8000, 1000.0);
        assert!((m.snr_db - 10.0).abs() < 0.3, "{m:?}");
    }

    #[test]
    fn dominant_frequency_within_one_percent() {
        for f in [300.0, 440.0, 997.0, 1000.0, 1633.0, 2999.0, 3400.0] {
            let samples = sine(f, 5000.0, 8000, 4000);
            let found = dominant_frequency(&samples, 8000, 200.0..3800.0).expect("tone");
            assert!((found - f).abs() / f < 0.01, "{f}: {found}");
        }
        // The stronger of two tones wins.
        let a = sine(700.0, 3000.0, 16000, 8000);
        let b = sine(1900.0, 6000.0, 16000, 8000);
        let mixed: Vec<i16> = a.iter().zip(&b).map(|(x, y)| x + y).collect();
        let found = dominant_frequency(&mixed, 16000, 300.0..3400.0).expect("tone");
        assert!((found - 1900.0).abs() < 19.0, "{found}");
    }

    #[test]
    fn degenerate_inputs() {
        assert_eq!(goertzel(&[], 8000, 1000.0).snr_db, f64::NEG_INFINITY);
        assert_eq!(goertzel(&[0; 160], 8000, 1000.0).power, 0.0);
        assert_eq!(dominant_frequency(&[0; 160], 8000, 300.0..3400.0), None);
        assert_eq!(dominant_frequency(&[], 8000, 300.0..3400.0), None);
        assert_eq!(dominant_frequency(&[1, 2, 3], 8000, 5000.0..6000.0), None, "above Nyquist");
        assert!(dominant_frequency(&[100, -100, 100], 8000, 300.0..3400.0).is_some(), "short input");
    }
}
