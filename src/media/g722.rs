//! ITU-T G.722 at 64 kbit/s: 7 kHz audio sampled at 16 kHz, split by a 24-tap quadrature
//! mirror filter (QMF) into two 8 kHz sub-bands, each coded with adaptive differential PCM:
//! 6 bits per sample in the lower band, 2 bits in the upper band. One code octet per pair of
//! input samples, the upper-band bits in the two most significant positions (RFC 3551 §4.5.2).
//!
//! Written from the block diagrams of the Recommendation (§3 and §4 and their block names:
//! SUBTRA, QUANTL, INVQAL, LOGSCL, SCALEL, the adaptive predictor RECONS … PREDIC), in the
//! 16-bit fixed-point arithmetic the Recommendation prescribes so that our bit stream and
//! anyone else's decode alike. Only mode 1 (64 kbit/s) is produced; the decoder follows mode 1
//! too (the 56 and 48 kbit/s modes drop lower-band bits and are not used over RTP).
//!
//! Samples are linear 16-bit PCM (`i16`); the Recommendation's 14-bit input is the upper 14 bits.

/// Half of the symmetric 24-tap QMF (coefficients h0, h2, …, h22; the odd ones are the same
/// numbers in reverse order).
const QMF: [i32; 12] = [3, -11, 12, 32, -210, 951, 3876, -805, 362, -156, 53, -11];

/// QUANTL decision levels of the 6-bit lower-band quantizer (scaled by the step size).
const Q6: [i32; 31] = [
    0, 35, 72, 110, 150, 190, 233, 276, 323, 370, 422, 473, 530, 587, 650, 714, 786, 858, 940, 1023, 1121, 1219, 1339,
    1458, 1612, 1765, 1980, 2195, 2557, 2919, 0,
];

/// QUANTL codes for a negative difference, per quantizer interval.
const ILN: [u8; 31] = [
    0, 63, 62, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4,
];

/// QUANTL codes for a positive difference, per quantizer interval.
const ILP: [u8; 31] = [
    0, 61, 60, 59, 58, 57, 56, 55, 54, 53, 52, 51, 50, 49, 48, 47, 46, 45, 44, 43, 42, 41, 40, 39, 38, 37, 36, 35, 34,
    33, 32,
];

/// INVQAL: the 4-bit inverse quantizer used for prediction (index: 6-bit code >> 2).
const QM4: [i32; 16] =
    [0, -20456, -12896, -8968, -6288, -4240, -2584, -1200, 20456, 12896, 8968, 6288, 4240, 2584, 1200, 0];

/// INVQBL: the 6-bit inverse quantizer used for the decoder output.
const QM6: [i32; 64] = [
    -136, -136, -136, -136, -24808, -21904, -19008, -16704, -14984, -13512, -12280, -11192, -10232, -9360, -8576,
    -7856, -7192, -6576, -6000, -5456, -4944, -4464, -4008, -3576, -3168, -2776, -2400, -2032, -1688, -1360, -1040,
    -728, 24808, 21904, 19008, 16704, 14984, 13512, 12280, 11192, 10232, 9360, 8576, 7856, 7192, 6576, 6000, 5456,
    4944, 4464, 4008, 3576, 3168, 2776, 2400, 2032, 1688, 1360, 1040, 728, 432, 136, -432, -136,
];

/// LOGSCL: magnitude class of a 4-bit code.
const RL42: [usize; 16] = [0, 7, 6, 5, 4, 3, 2, 1, 7, 6, 5, 4, 3, 2, 1, 0];

/// LOGSCL: log step-size multipliers per magnitude class.
const WL: [i32; 8] = [-60, -30, 58, 172, 334, 538, 1198, 3042];

/// SCALEL/SCALEH: 2048 · 2^(i/32), the antilog table.
const ILB: [i32; 32] = [
    2048, 2093, 2139, 2186, 2233, 2282, 2332, 2383, 2435, 2489, 2543, 2599, 2656, 2714, 2774, 2834, 2896, 2960, 3025,
    3091, 3158, 3228, 3298, 3371, 3444, 3520, 3597, 3676, 3756, 3838, 3922, 4008,
];

/// INVQAH: the 2-bit upper-band inverse quantizer.
const QM2: [i32; 4] = [-7408, -1616, 7408, 1616];

/// LOGSCH: magnitude class of a 2-bit code.
const RH2: [usize; 4] = [2, 1, 2, 1];

/// LOGSCH: log step-size multipliers per magnitude class.
const WH: [i32; 3] = [0, -214, 798];

/// Limits of the log step size (NBL, NBH) and the start step sizes (DETL, DETH).
const NBL_MAX: i32 = 18432;
const NBH_MAX: i32 = 22528;
const DETL_START: i32 = 32;
const DETH_START: i32 = 8;

/// Clamps to the 16-bit range, as every adder of the Recommendation does.
fn sat(x: i32) -> i32 {
    x.clamp(-32768, 32767)
}

/// The state of one sub-band's ADPCM: step size and the pole-zero adaptive predictor.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Band {
    /// Predicted signal (SL / SH).
    s: i32,
    /// Pole part of the prediction (SPL / SPH).
    sp: i32,
    /// Zero part of the prediction (SZL / SZH).
    sz: i32,
    /// Reconstructed signal, now and the two before.
    r: [i32; 3],
    /// Pole coefficients a1, a2 (index 0 unused).
    a: [i32; 3],
    /// Partial reconstructed signal, now and the two before.
    p: [i32; 3],
    /// Quantized differences, now and the six before.
    d: [i32; 7],
    /// Zero coefficients b1..b6 (index 0 unused).
    b: [i32; 7],
    /// Log step size (NBL / NBH).
    nb: i32,
    /// Step size (DETL / DETH).
    det: i32,
}

impl Band {
    fn new(det: i32) -> Self {
        Band { s: 0, sp: 0, sz: 0, r: [0; 3], a: [0; 3], p: [0; 3], d: [0; 7], b: [0; 7], nb: 0, det }
    }

    /// LOGSCL/LOGSCH and SCALEL/SCALEH: adapts the step size. `weight` is WL or WH of the
    /// code's magnitude class, `max` the limit of the log step and `shift` 8 (lower) or 10 (upper).
    fn adapt_scale(&mut self, weight: i32, max: i32, shift: i32) {
        self.nb = (((self.nb * 127) >> 7) + weight).clamp(0, max);
        let mantissa = ILB[((self.nb >> 6) & 31) as usize];
        let exponent = shift - (self.nb >> 11);
        let scaled = if exponent < 0 { mantissa << -exponent } else { mantissa >> exponent };
        self.det = scaled << 2;
    }

    /// Block 4: reconstructs with the quantized difference `d` and updates the predictor.
    fn predict(&mut self, d: i32) {
        // RECONS and PARREC.
        self.d[0] = d;
        self.r[0] = sat(self.s + d);
        self.p[0] = sat(self.sz + d);
        let sign = |x: i32| x >> 15;
        // UPPOL2: second pole coefficient.
        let (sg0, sg1, sg2) = (sign(self.p[0]), sign(self.p[1]), sign(self.p[2]));
        let fa1 = sat(self.a[1] << 2);
        let term = (if sg0 == sg1 { -fa1 } else { fa1 }).min(32767);
        let pull = if sg0 == sg2 { 128 } else { -128 };
        let a2 = ((term >> 7) + pull + ((self.a[2] * 32512) >> 15)).clamp(-12288, 12288);
        // UPPOL1: first pole coefficient, kept inside the stability triangle.
        let leak = (self.a[1] * 32640) >> 15;
        let limit = sat(15360 - a2);
        let push = if sg0 == sg1 { 192 } else { -192 };
        let a1 = sat(push + leak).clamp(-limit, limit);
        // UPZERO: the six zero coefficients.
        let step = if d == 0 { 0 } else { 128 };
        let sgd = sign(d);
        let mut b = [0i32; 7];
        for ((new, &old), &past) in b.iter_mut().zip(&self.b).zip(&self.d).skip(1) {
            let term = if sign(past) == sgd { step } else { -step };
            *new = sat(term + ((old * 32640) >> 15));
        }
        // DELAYA: shift the delay lines.
        for i in (1..7).rev() {
            self.d[i] = self.d[i - 1];
        }
        self.b = b;
        for i in (1..3).rev() {
            self.r[i] = self.r[i - 1];
            self.p[i] = self.p[i - 1];
        }
        self.a[1] = a1;
        self.a[2] = a2;
        // FILTEP, FILTEZ, PREDIC: the next prediction.
        let pole = |a: i32, r: i32| (a * sat(r + r)) >> 15;
        self.sp = sat(pole(self.a[1], self.r[1]) + pole(self.a[2], self.r[2]));
        let zero: i32 = (1..7).map(|i| (self.b[i] * sat(self.d[i] + self.d[i])) >> 15).sum();
        self.sz = sat(zero);
        self.s = sat(self.sp + self.sz);
    }
}

/// The 24-sample delay line of a QMF; index 23 is the newest sample.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Qmf {
    x: [i32; 24],
}

impl Qmf {
    fn new() -> Self {
        Qmf { x: [0; 24] }
    }

    /// Pushes two samples and returns the filter sums over the even and the odd positions.
    fn push(&mut self, first: i32, second: i32) -> (i32, i32) {
        self.x.copy_within(2.., 0);
        self.x[22] = first;
        self.x[23] = second;
        let mut even = 0;
        let mut odd = 0;
        for i in 0..12 {
            even += self.x[2 * i] * QMF[i];
            odd += self.x[2 * i + 1] * QMF[11 - i];
        }
        (even, odd)
    }
}

/// A G.722 encoder (64 kbit/s): 16 kHz samples in, one octet per two samples out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct G722Encoder {
    qmf: Qmf,
    low: Band,
    high: Band,
}

impl Default for G722Encoder {
    fn default() -> Self {
        Self::new()
    }
}

impl G722Encoder {
    /// An encoder in the reset state of the Recommendation.
    pub fn new() -> Self {
        G722Encoder { qmf: Qmf::new(), low: Band::new(DETL_START), high: Band::new(DETH_START) }
    }

    /// Encodes `pcm` (16 kHz): `⌈len/2⌉` octets; an odd last sample is paired with silence.
    pub fn encode(&mut self, pcm: &[i16], out: &mut Vec<u8>) {
        for pair in pcm.chunks(2) {
            let first = i32::from(pair[0]);
            let second = pair.get(1).map_or(0, |&s| i32::from(s));
            out.push(self.encode_pair(first, second));
        }
    }

    fn encode_pair(&mut self, first: i32, second: i32) -> u8 {
        let (even, odd) = self.qmf.push(first, second);
        let xlow = (odd + even) >> 14;
        let xhigh = (odd - even) >> 14;

        // Lower band. SUBTRA, QUANTL.
        let el = sat(xlow - self.low.s);
        let magnitude = if el >= 0 { el } else { -(el + 1) };
        let interval = (1..30).find(|&i| magnitude < (Q6[i] * self.low.det) >> 12).unwrap_or(30);
        let ilow = if el < 0 { ILN[interval] } else { ILP[interval] };
        // INVQAL, LOGSCL, SCALEL, predictor.
        let code4 = usize::from(ilow >> 2);
        let dlow = (self.low.det * QM4[code4]) >> 15;
        self.low.adapt_scale(WL[RL42[code4]], NBL_MAX, 8);
        self.low.predict(dlow);

        // Upper band. SUBTRA, QUANTH.
        let eh = sat(xhigh - self.high.s);
        let magnitude = if eh >= 0 { eh } else { -(eh + 1) };
        let large = magnitude >= (564 * self.high.det) >> 12;
        let ihigh: u8 = match (eh < 0, large) {
            (true, false) => 1,
            (true, true) => 0,
            (false, false) => 3,
            (false, true) => 2,
        };
        // INVQAH, LOGSCH, SCALEH, predictor.
        let dhigh = (self.high.det * QM2[usize::from(ihigh)]) >> 15;
        self.high.adapt_scale(WH[RH2[usize::from(ihigh)]], NBH_MAX, 10);
        self.high.predict(dhigh);

        (ihigh << 6) | ilow
    }
}

/// A G.722 decoder (64 kbit/s): one octet in, two 16 kHz samples out. Every octet is valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct G722Decoder {
    qmf: Qmf,
    low: Band,
    high: Band,
}

impl Default for G722Decoder {
    fn default() -> Self {
        Self::new()
    }
}

impl G722Decoder {
    /// A decoder in the reset state of the Recommendation.
    pub fn new() -> Self {
        G722Decoder { qmf: Qmf::new(), low: Band::new(DETL_START), high: Band::new(DETH_START) }
    }

    /// Decodes `octets`, appending two samples per octet to `out`.
    pub fn decode(&mut self, octets: &[u8], out: &mut Vec<i16>) {
        out.reserve(octets.len() * 2);
        for &code in octets {
            let (first, second) = self.decode_octet(code);
            out.push(first);
            out.push(second);
        }
    }

    fn decode_octet(&mut self, code: u8) -> (i16, i16) {
        let ilow = usize::from(code & 0x3F);
        let ihigh = usize::from(code >> 6);

        // Lower band: INVQBL and RECONS for the output, LIMIT.
        let rlow = (self.low.s + ((self.low.det * QM6[ilow]) >> 15)).clamp(-16384, 16383);
        // INVQAL, LOGSCL, SCALEL and the predictor, as in the encoder.
        let code4 = ilow >> 2;
        let dlow = (self.low.det * QM4[code4]) >> 15;
        self.low.adapt_scale(WL[RL42[code4]], NBL_MAX, 8);
        self.low.predict(dlow);

        // Upper band: INVQAH, RECONS, LIMIT, LOGSCH, SCALEH, predictor.
        let dhigh = (self.high.det * QM2[ihigh]) >> 15;
        let rhigh = (dhigh + self.high.s).clamp(-16384, 16383);
        self.high.adapt_scale(WH[RH2[ihigh]], NBH_MAX, 10);
        self.high.predict(dhigh);

        // Receive QMF.
        let (even, odd) = self.qmf.push(rlow + rhigh, rlow - rhigh);
        (sat(odd >> 11) as i16, sat(even >> 11) as i16)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::goertzel::goertzel;
    use crate::media::tone::ToneGenerator;

    #[test]
    fn antilog_table_is_two_to_the_i_over_32() {
        for (i, &v) in ILB.iter().enumerate() {
            let exact = 2048.0 * 2f64.powf(i as f64 / 32.0);
            assert!((f64::from(v) - exact).abs() <= 5.0, "ILB[{i}] = {v}, 2048·2^(i/32) = {exact:.1}");
        }
    }

    #[test]
    fn quantizer_codes_are_a_permutation() {
        let mut seen = [false; 64];
        for i in 1..31 {
            for code in [ILN[i], ILP[i]] {
                assert!(!seen[usize::from(code)], "code {code} twice");
                seen[usize::from(code)] = true;
                // The output levels have the sign of the interval.
                assert_eq!(QM6[usize::from(code)] < 0, ILN[i] == code, "code {code}");
            }
        }
        assert_eq!(seen.iter().filter(|&&s| s).count(), 60, "codes 0..=3 are never sent");
    }

    #[test]
    fn silence_stays_silent_and_lengths_match() {
        let mut enc = G722Encoder::new();
        let mut dec = G722Decoder::new();
        let mut octets = Vec::new();
        enc.encode(&[0; 320], &mut octets);
        assert_eq!(octets.len(), 160);
        let mut pcm = Vec::new();
        dec.decode(&octets, &mut pcm);
        assert_eq!(pcm.len(), 320);
        assert!(pcm.iter().all(|s| s.unsigned_abs() < 8), "{:?}", &pcm[..16]);
    }

    #[test]
    fn tones_in_both_sub_bands_survive() {
        for (f, min_snr) in [(1000.0, 30.0), (5000.0, 15.0)] {
            let input = ToneGenerator::sine(f, 10000, 16000).next_frame(16000);
            let mut octets = Vec::new();
            G722Encoder::new().encode(&input, &mut octets);
            let mut out = Vec::new();
            G722Decoder::new().decode(&octets, &mut out);
            let m = goertzel(&out[4000..], 16000, f);
            assert!(m.snr_db > min_snr, "{f} Hz: {m:?}");
            let amplitude = (2.0 * m.power).sqrt();
            assert!((amplitude - 10000.0).abs() < 1500.0, "{f} Hz level {amplitude}");
        }
    }

    #[test]
    fn garbage_decodes_without_panicking() {
        let junk: Vec<u8> = (0..=255).cycle().take(4096).collect();
        let mut out = Vec::new();
        G722Decoder::new().decode(&junk, &mut out);
        assert_eq!(out.len(), 8192);
        let loud = vec![i16::MAX; 64].into_iter().chain(vec![i16::MIN; 64]).cycle().take(8000).collect::<Vec<_>>();
        let mut octets = Vec::new();
        G722Encoder::new().encode(&loud, &mut octets);
        assert_eq!(octets.len(), 4000);
    }
}
