//! ITU-T G.711 companding: µ-law (PCMU) and A-law (PCMA).
//!
//! Samples are linear 16-bit PCM (`i16`) at 8 kHz; every sample becomes one code byte.
//! Encoding follows the ITU-T G.191 reference (`ulaw_compress`, `alaw_compress`): µ-law
//! works on the 14 most significant bits, A-law on the 13 most significant bits, and
//! negative samples use the one's complement, exactly like the reference. Decoding is a
//! lookup in 256-entry tables that are computed at compile time from the reference
//! expansion (`ulaw_expand`, `alaw_expand`).
//!
//! Round trip: `encode(decode(x)) == x` for all 256 A-law bytes and for 255 of the 256
//! µ-law bytes. The exception is µ-law `0x7F`, the "negative zero" code: it decodes to 0
//! like `0xFF` (an `i16` has no negative zero), and 0 encodes as `0xFF`. The reference
//! implementation behaves the same way.

/// Decoding table for µ-law: index is the code byte, value the linear sample.
static ULAW_TO_LINEAR: [i16; 256] = build_table(false);

/// Decoding table for A-law: index is the code byte, value the linear sample.
static ALAW_TO_LINEAR: [i16; 256] = build_table(true);

/// Builds the 256-entry decoding table of A-law (`alaw`) or µ-law from the reference expansion.
const fn build_table(alaw: bool) -> [i16; 256] {
    let mut table = [0i16; 256];
    let mut code = 0usize;
    while code < 256 {
        table[code] = if alaw { alaw_expand(code as u8) } else { ulaw_expand(code as u8) };
        code += 1;
    }
    table
}

/// Reference µ-law expansion of one code byte (G.191 `ulaw_expand`).
const fn ulaw_expand(code: u8) -> i16 {
    let inverted = !code;
    let exponent = ((inverted >> 4) & 0x07) as i32;
    let mantissa = (inverted & 0x0F) as i32;
    let step = 4 << (exponent + 1);
    // Largest value: (0x80 << 7) + 1024 * 15 + 512 - 132 = 32124, which fits an i16.
    let magnitude = (0x80 << exponent) + step * mantissa + step / 2 - 4 * 33;
    if code < 0x80 { -magnitude as i16 } else { magnitude as i16 }
}

/// Reference A-law expansion of one code byte (G.191 `alaw_expand`).
const fn alaw_expand(code: u8) -> i16 {
    let toggled = ((code ^ 0x55) & 0x7F) as i32;
    let exponent = toggled >> 4;
    let mut mantissa = toggled & 0x0F;
    if exponent > 0 {
        mantissa += 16;
    }
    mantissa = (mantissa << 4) + 8;
    if exponent > 1 {
        // Largest value: ((31 << 4) + 8) << 6 = 32256, which fits an i16.
        mantissa <<= exponent - 1;
    }
    if code > 0x7F { mantissa as i16 } else { -mantissa as i16 }
}

/// Encodes one linear sample as a µ-law byte (G.191 `ulaw_compress`).
pub fn linear_to_ulaw(sample: i16) -> u8 {
    let value = i32::from(sample);
    let magnitude = if value < 0 { (!value) >> 2 } else { value >> 2 };
    let biased = (magnitude + 33).min(0x1FFF);
    // Segment number 1..=8: one more than the position of the highest set bit above bit 5.
    let mut rest = biased >> 6;
    let mut segment = 1;
    while rest != 0 {
        segment += 1;
        rest >>= 1;
    }
    let high = 8 - segment;
    let low = 0x0F - ((biased >> segment) & 0x0F);
    let code = (high << 4) | low;
    if value >= 0 { (code | 0x80) as u8 } else { code as u8 }
}

/// Decodes one µ-law byte to a linear sample (table lookup).
pub fn ulaw_to_linear(code: u8) -> i16 {
    ULAW_TO_LINEAR[usize::from(code)]
}

/// Encodes one linear sample as an A-law byte (G.191 `alaw_compress`).
pub fn linear_to_alaw(sample: i16) -> u8 {
    let value = i32::from(sample);
    let mut code = if value < 0 { (!value) >> 4 } else { value >> 4 };
    if code > 15 {
        let mut exponent = 1;
        while code > 16 + 15 {
            code >>= 1;
            exponent += 1;
        }
        code -= 16;
        code += exponent << 4;
    }
    if value >= 0 {
        code |= 0x80;
    }
    (code ^ 0x55) as u8
}

/// Decodes one A-law byte to a linear sample (table lookup).
pub fn alaw_to_linear(code: u8) -> i16 {
    ALAW_TO_LINEAR[usize::from(code)]
}

/// Encodes a block of linear samples as µ-law bytes (one byte per sample).
pub fn encode_ulaw(pcm: &[i16]) -> Vec<u8> {
    pcm.iter().map(|&s| linear_to_ulaw(s)).collect()
}

/// Decodes a block of µ-law bytes to linear samples (one sample per byte).
pub fn decode_ulaw(codes: &[u8]) -> Vec<i16> {
    codes.iter().map(|&c| ulaw_to_linear(c)).collect()
}

/// Encodes a block of linear samples as A-law bytes (one byte per sample).
pub fn encode_alaw(pcm: &[i16]) -> Vec<u8> {
    pcm.iter().map(|&s| linear_to_alaw(s)).collect()
}

/// Decodes a block of A-law bytes to linear samples (one sample per byte).
pub fn decode_alaw(codes: &[u8]) -> Vec<i16> {
    codes.iter().map(|&c| alaw_to_linear(c)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ulaw_round_trip_every_byte_except_negative_zero() {
        for code in 0..=255u8 {
            let back = linear_to_ulaw(ulaw_to_linear(code));
            if code == 0x7F {
                assert_eq!(back, 0xFF, "negative zero re-encodes as positive zero");
            } else {
                assert_eq!(back, code, "µ-law byte {code:#04x}");
            }
        }
    }

    #[test]
    fn alaw_round_trip_every_byte() {
        for code in 0..=255u8 {
            assert_eq!(linear_to_alaw(alaw_to_linear(code)), code, "A-law byte {code:#04x}");
        }
    }

    #[test]
    fn reference_values() {
        // Values of the G.191 / Sun reference tables.
        assert_eq!(ulaw_to_linear(0x00), -32124);
        assert_eq!(ulaw_to_linear(0x80), 32124);
        assert_eq!(ulaw_to_linear(0xFF), 0);
        assert_eq!(ulaw_to_linear(0x7F), 0);
        assert_eq!(ulaw_to_linear(0xFE), 8);
        assert_eq!(ulaw_to_linear(0x7E), -8);
        assert_eq!(alaw_to_linear(0xD5), 8);
        assert_eq!(alaw_to_linear(0x55), -8);
        assert_eq!(alaw_to_linear(0xAA), 32256);
        assert_eq!(alaw_to_linear(0x2A), -32256);
        assert_eq!(linear_to_ulaw(0), 0xFF);
        assert_eq!(linear_to_ulaw(-1), 0x7F);
        assert_eq!(linear_to_ulaw(i16::MAX), 0x80);
        assert_eq!(linear_to_ulaw(i16::MIN), 0x00);
        assert_eq!(linear_to_alaw(0), 0xD5);
        assert_eq!(linear_to_alaw(-1), 0x55);
        assert_eq!(linear_to_alaw(i16::MAX), 0xAA);
        assert_eq!(linear_to_alaw(i16::MIN), 0x2A);
    }

    #[test]
    fn decode_is_odd_symmetric() {
        for code in 0..=0x7Fu8 {
            assert_eq!(ulaw_to_linear(code), -ulaw_to_linear(code | 0x80));
            assert_eq!(alaw_to_linear(code), -alaw_to_linear(code | 0x80));
        }
    }

    #[test]
    fn quantisation_error_is_bounded_by_the_segment_step() {
        // Every 16-bit input decodes back within half a quantisation step of its segment
        // (µ-law steps go up to 1024, A-law steps up to 1024 as well), except in the clipped
        // range beyond the largest code.
        for sample in i16::MIN..=i16::MAX {
            let u = ulaw_to_linear(linear_to_ulaw(sample));
            let a = alaw_to_linear(linear_to_alaw(sample));
            let s = i32::from(sample);
            let bound = |x: i32| (x.abs() / 16).max(16) + 8;
            if s.abs() < 32000 {
                assert!((i32::from(u) - s).abs() <= bound(s), "µ-law {sample} -> {u}");
                assert!((i32::from(a) - s).abs() <= bound(s), "A-law {sample} -> {a}");
            }
            // Encoding keeps the sign (zero and -1 map to the smallest codes).
            assert!(i32::from(u) * s >= 0 && i32::from(a) * s >= 0);
        }
    }

    #[test]
    fn decode_is_monotonic_within_each_half() {
        // Positive µ-law codes 0xFF..=0x80 decode to increasing magnitudes.
        let ulaw: Vec<i16> = (0x80..=0xFFu8).rev().map(ulaw_to_linear).collect();
        assert!(ulaw.windows(2).all(|w| w[0] < w[1]));
        // Positive A-law codes, un-toggled, increase with the code.
        let alaw: Vec<i16> = (0..=0x7Fu8).map(|c| alaw_to_linear((c | 0x80) ^ 0x55)).collect();
        assert!(alaw.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn block_helpers_match_per_sample_functions() {
        let pcm = [0i16, 1, -1, 1000, -1000, i16::MAX, i16::MIN];
        let u = encode_ulaw(&pcm);
        let a = encode_alaw(&pcm);
        assert_eq!(u.len(), pcm.len());
        assert_eq!(decode_ulaw(&u), u.iter().map(|&c| ulaw_to_linear(c)).collect::<Vec<_>>());
        assert_eq!(decode_alaw(&a), a.iter().map(|&c| alaw_to_linear(c)).collect::<Vec<_>>());
    }
}
