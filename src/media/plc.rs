//! Packet-loss concealment for PCM frames: repeat the last good frame, at full level for the
//! first 10 ms, then fading linearly to silence at 60 ms (the attenuation schedule of ITU-T
//! G.711 Appendix I: 20 % per 10 ms after the first 10 ms).
//!
//! This is the simplest concealment that avoids both clicks of silence and a frozen buzz. The
//! pitch-synchronous one of G.711 Appendix I repeats the last pitch period instead of the last
//! frame and sounds better on speech; it can replace [`Concealer::conceal`] later.

use std::time::Duration;

/// Default time at full level before the fade starts.
pub const DEFAULT_HOLD: Duration = Duration::from_millis(10);
/// Default time after which concealment is silent.
pub const DEFAULT_SILENCE_AFTER: Duration = Duration::from_millis(60);

/// Conceals missing frames of one audio stream.
#[derive(Debug, Clone)]
pub struct Concealer {
    last: Vec<i16>,
    concealed: usize,
    hold_samples: usize,
    silent_after: usize,
}

impl Concealer {
    /// A concealer for audio at `sample_rate` with the default timing (10 ms hold, silent
    /// after 60 ms).
    pub fn new(sample_rate: u32) -> Self {
        Self::with_timing(sample_rate, DEFAULT_HOLD, DEFAULT_SILENCE_AFTER)
    }

    /// A concealer that repeats at full level for `hold`, then fades linearly to silence at
    /// `silent_after` (taken as at least `hold`).
    pub fn with_timing(sample_rate: u32, hold: Duration, silent_after: Duration) -> Self {
        let samples = |d: Duration| (u128::from(sample_rate) * d.as_nanos() / 1_000_000_000) as usize;
        let hold_samples = samples(hold);
        Concealer {
            last: Vec::new(),
            concealed: 0,
            hold_samples,
            silent_after: samples(silent_after).max(hold_samples),
        }
    }

    /// Records a good (decoded) frame; the next loss repeats it.
    pub fn good_frame(&mut self, pcm: &[i16]) {
        self.last.clear();
        self.last.extend_from_slice(pcm);
        self.concealed = 0;
    }

    /// Samples concealed since the last good frame.
    pub fn concealed_samples(&self) -> usize {
        self.concealed
    }

    /// A replacement for one missing frame of `len` samples: the last good frame repeated
    /// (cyclically, if the lengths differ) with the hold-then-fade gain; silence before any
    /// good frame and once the fade has run out.
    pub fn conceal(&mut self, len: usize) -> Vec<i16> {
        let mut out = vec![0i16; len];
        if !self.last.is_empty() {
            let fade = (self.silent_after - self.hold_samples).max(1) as f32;
            for (k, sample) in out.iter_mut().enumerate() {
                let position = self.concealed + k;
                if position >= self.silent_after {
                    break;
                }
                let gain = 1.0 - position.saturating_sub(self.hold_samples) as f32 / fade;
                let source = self.last[position % self.last.len()];
                *sample = (f32::from(source) * gain).round() as i16;
            }
        }
        self.concealed = self.concealed.saturating_add(len);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silence_before_any_good_frame() {
        let mut plc = Concealer::new(8000);
        assert_eq!(plc.conceal(160), vec![0; 160]);
    }

    #[test]
    fn repeats_with_fade_then_silence() {
        let mut plc = Concealer::new(8000);
        plc.good_frame(&[10000; 160]);
        let first = plc.conceal(160);
        let second = plc.conceal(160);
        let third = plc.conceal(160);
        let fourth = plc.conceal(160);
        assert!(first[..80].iter().all(|&s| s == 10000), "full level for 10 ms");
        assert_eq!(first[159], 8025, "then 20 % per 10 ms");
        assert!(first[159] > second[0]);
        assert!(second.windows(2).all(|w| w[0] >= w[1]), "monotonic fade");
        assert!(third[0] > 0 && third[159] < 100);
        assert_eq!(fourth, vec![0; 160], "silent after 60 ms");
        assert_eq!(plc.concealed_samples(), 640);
        plc.good_frame(&[5; 160]);
        assert_eq!(plc.conceal(1), vec![5], "a good frame restarts the fade");
    }

    #[test]
    fn repeats_the_waveform_cyclically() {
        let mut plc = Concealer::with_timing(8000, Duration::from_secs(1), Duration::from_secs(2));
        plc.good_frame(&[1000, 2000, 3000]);
        let out = plc.conceal(7);
        assert_eq!(out, vec![1000, 2000, 3000, 1000, 2000, 3000, 1000]);
    }
}
