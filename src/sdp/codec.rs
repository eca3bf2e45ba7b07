//! Audio codecs as SDP names them (`encoding/clock-rate[/channels]`) and the RFC 3551 static
//! payload types.

use std::fmt;
use std::str::FromStr;

/// The encoding name of RFC 4733 DTMF events.
pub const TELEPHONE_EVENT: &str = "telephone-event";

/// The events we send and accept in `telephone-event` payloads: DTMF digits, `*`, `#`, A–D, flash.
pub const TELEPHONE_EVENT_FMTP: &str = "0-16";

/// The codecs offered when the configuration names none, best first.
pub const DEFAULT_CODECS: [&str; 4] = ["opus/48000/2", "G722/8000", "PCMU/8000", "PCMA/8000"];

/// First dynamic RTP payload type (RFC 3551 §3).
pub const FIRST_DYNAMIC_PAYLOAD_TYPE: u8 = 96;

/// Last valid RTP payload type (the field has 7 bits).
pub const LAST_PAYLOAD_TYPE: u8 = 127;

/// An RTP encoding as an `a=rtpmap` names it: `opus/48000/2`, `PCMU/8000`.
///
/// `clock_rate` is the RTP timestamp rate, which is not always the sampling rate: G.722 samples
/// at 16 kHz but says `G722/8000` (RFC 3551 §4.5.2). Names compare case-insensitively
/// ([`Codec::matches`]); the derived `PartialEq` is exact and is what round-trip tests use.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Codec {
    /// Encoding name as written (`opus`, `PCMU`, `telephone-event`).
    pub name: String,
    /// RTP clock rate in Hz.
    pub clock_rate: u32,
    /// Audio channels; 1 when the rtpmap has no encoding parameters.
    pub channels: u16,
}

/// A codec string that is not `name/clock-rate[/channels]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodecParseError(pub String);

impl fmt::Display for CodecParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "not a codec (want name/clock-rate[/channels]): {:?}", self.0)
    }
}

impl std::error::Error for CodecParseError {}

/// RFC 3551 table 4: the audio payload types with a static meaning.
const STATIC_AUDIO: [(u8, &str, u32, u16); 17] = [
    (0, "PCMU", 8000, 1),
    (3, "GSM", 8000, 1),
    (4, "G723", 8000, 1),
    (5, "DVI4", 8000, 1),
    (6, "DVI4", 16000, 1),
    (7, "LPC", 8000, 1),
    (8, "PCMA", 8000, 1),
    (9, "G722", 8000, 1),
    (10, "L16", 44100, 2),
    (11, "L16", 44100, 1),
    (12, "QCELP", 8000, 1),
    (13, "CN", 8000, 1),
    (14, "MPA", 90000, 1),
    (15, "G728", 8000, 1),
    (16, "DVI4", 11025, 1),
    (17, "DVI4", 22050, 1),
    (18, "G729", 8000, 1),
];

impl Codec {
    /// A codec from its parts.
    pub fn new(name: impl Into<String>, clock_rate: u32, channels: u16) -> Self {
        Codec { name: name.into(), clock_rate, channels }
    }

    /// `telephone-event` at `clock_rate` (RFC 4733).
    pub fn telephone_event(clock_rate: u32) -> Self {
        Codec::new(TELEPHONE_EVENT, clock_rate, 1)
    }

    /// Same encoding: name (ignoring ASCII case), clock rate and channel count.
    pub fn matches(&self, other: &Codec) -> bool {
        self.name.eq_ignore_ascii_case(&other.name)
            && self.clock_rate == other.clock_rate
            && self.channels == other.channels
    }

    /// Whether this is RFC 4733 `telephone-event` (at any rate).
    pub fn is_telephone_event(&self) -> bool {
        self.name.eq_ignore_ascii_case(TELEPHONE_EVENT)
    }

    /// The meaning of a static audio payload type (RFC 3551 table 4), for m-lines without an
    /// `a=rtpmap` for it; `None` for unassigned and dynamic numbers.
    pub fn from_static_payload_type(payload_type: u8) -> Option<Codec> {
        STATIC_AUDIO
            .iter()
            .find(|(pt, ..)| *pt == payload_type)
            .map(|&(_, name, rate, channels)| Codec::new(name, rate, channels))
    }

    /// The static payload type RFC 3551 assigns to this codec, if any (`PCMU/8000` → 0).
    pub fn static_payload_type(&self) -> Option<u8> {
        STATIC_AUDIO
            .iter()
            .find(|&&(_, name, rate, channels)| self.matches(&Codec::new(name, rate, channels)))
            .map(|(pt, ..)| *pt)
    }

    /// Builds a codec from the typed rtpmap of ezk-sdp-types. Encoding parameters that are not a
    /// channel count (never seen for audio) count as one channel.
    pub(crate) fn from_rtpmap(rtpmap: &ezk_sdp_types::RtpMap) -> Codec {
        let channels = rtpmap.params.as_ref().and_then(|p| p.trim().parse::<u16>().ok()).unwrap_or(1);
        Codec::new(rtpmap.encoding.trim(), rtpmap.clock_rate, channels)
    }
}

impl fmt::Display for Codec {
    /// `name/clock-rate`, plus `/channels` when there is more than one: the `a=rtpmap` form.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.name, self.clock_rate)?;
        if self.channels != 1 {
            write!(f, "/{}", self.channels)?;
        }
        Ok(())
    }
}

impl FromStr for Codec {
    type Err = CodecParseError;

    /// Parses the configuration form `opus/48000/2`, `G722/8000`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || CodecParseError(s.to_owned());
        let mut parts = s.trim().split('/');
        let name = parts.next().filter(|n| !n.is_empty() && !n.contains(char::is_whitespace)).ok_or_else(err)?;
        let clock_rate = parts.next().and_then(|r| r.parse::<u32>().ok()).filter(|&r| r > 0).ok_or_else(err)?;
        let channels = match parts.next() {
            None => 1,
            Some(c) => c.parse::<u16>().ok().filter(|&c| c > 0).ok_or_else(err)?,
        };
        if parts.next().is_some() {
            return Err(err());
        }
        Ok(Codec::new(name, clock_rate, channels))
    }
}

/// The `a=fmtp` parameters we put on our own payload types: `useinbandfec=1` for Opus
/// (RFC 7587 §6.1: we decode in-band FEC), none for the others.
pub fn local_fmtp(codec: &Codec) -> Option<&'static str> {
    (codec.name.eq_ignore_ascii_case("opus") && codec.clock_rate == 48000).then_some("useinbandfec=1")
}

/// [`DEFAULT_CODECS`] parsed.
pub fn default_codecs() -> Vec<Codec> {
    // The strings are constants of this module; the unit tests parse every one of them.
    DEFAULT_CODECS.iter().filter_map(|s| s.parse().ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_configuration_names() {
        assert_eq!("opus/48000/2".parse(), Ok(Codec::new("opus", 48000, 2)));
        assert_eq!("G722/8000".parse(), Ok(Codec::new("G722", 8000, 1)));
        assert_eq!(" PCMU/8000/1 ".parse(), Ok(Codec::new("PCMU", 8000, 1)));
        for bad in ["", "PCMU", "PCMU/", "PCMU/x", "PCMU/0", "/8000", "a b/8000", "PCMU/8000/0", "PCMU/8000/1/2"] {
            assert!(bad.parse::<Codec>().is_err(), "{bad:?}");
        }
        assert_eq!(default_codecs().len(), DEFAULT_CODECS.len());
        assert_eq!(local_fmtp(&Codec::new("OPUS", 48000, 2)), Some("useinbandfec=1"));
        assert_eq!(local_fmtp(&Codec::new("G722", 8000, 1)), None);
    }

    #[test]
    fn displays_rtpmap_form() {
        assert_eq!(Codec::new("opus", 48000, 2).to_string(), "opus/48000/2");
        assert_eq!(Codec::new("PCMA", 8000, 1).to_string(), "PCMA/8000");
        for s in DEFAULT_CODECS {
            assert_eq!(s.parse::<Codec>().map(|c| c.to_string()).as_deref(), Ok(s));
        }
    }

    #[test]
    fn static_payload_types_both_ways() {
        assert_eq!(Codec::from_static_payload_type(0), Some(Codec::new("PCMU", 8000, 1)));
        assert_eq!(Codec::from_static_payload_type(8), Some(Codec::new("PCMA", 8000, 1)));
        assert_eq!(Codec::from_static_payload_type(9), Some(Codec::new("G722", 8000, 1)));
        assert_eq!(Codec::from_static_payload_type(2), None);
        assert_eq!(Codec::from_static_payload_type(96), None);
        assert_eq!(Codec::new("pcmu", 8000, 1).static_payload_type(), Some(0));
        assert_eq!(Codec::new("G722", 8000, 1).static_payload_type(), Some(9));
        assert_eq!(Codec::new("G722", 16000, 1).static_payload_type(), None);
        assert_eq!(Codec::new("opus", 48000, 2).static_payload_type(), None);
    }

    #[test]
    fn matching_ignores_case_only() {
        let opus = Codec::new("opus", 48000, 2);
        assert!(opus.matches(&Codec::new("OPUS", 48000, 2)));
        assert!(!opus.matches(&Codec::new("opus", 48000, 1)));
        assert!(!opus.matches(&Codec::new("opus", 16000, 2)));
        assert!(Codec::new("Telephone-Event", 8000, 1).is_telephone_event());
    }
}
