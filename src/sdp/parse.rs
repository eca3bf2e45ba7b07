//! Reading an SDP body into a [`SessionDescription`], tolerantly.
//!
//! The body is read line by line; `o=`, `c=`, `a=rtpmap`, `a=fmtp` and `a=rtcp` go through the
//! typed parsers of ezk-sdp-types. Its whole-message parser is not used because one odd line
//! sinks the whole body there: a T.38 `m=image` line, a malformed `a=candidate` or `a=rtcp`, a
//! stray one-letter line all make it fail, and it drops non-numeric formats.
//!
//! Tolerance: CRLF, LF or CR line ends; surrounding blanks; unknown line types are skipped;
//! unknown (or unparsable) attributes are kept verbatim; `a=rtpmap`/`a=fmtp` for payload types
//! not in the m-line are dropped; static audio payload types without `a=rtpmap` get their RFC
//! 3551 meaning; `s=` and `t=` may be missing. Refused: bodies over [`MAX_SDP_LEN`], a missing
//! `v=0` or `o=`, and unreadable `o=`, `c=` or `m=` lines (they decide where media goes).

use super::codec::Codec;
use super::direction::Direction;
use super::session::{
    Address, Attribute, MediaDescription, MediaType, Origin, PayloadFormat, Rtcp, SessionDescription,
};
use bytesstr::BytesStr;
use std::fmt;

/// Largest SDP body we read, in bytes (64 KiB; real ones are under 2 KiB).
pub const MAX_SDP_LEN: usize = 64 * 1024;

/// Why an SDP body could not be read. Produced from network input: never panics, short
/// reasons only (never the body).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    /// The body is larger than [`MAX_SDP_LEN`].
    TooLarge,
    /// There is no `v=` line, or it is not `v=0`.
    NotSdp,
    /// There is no `o=` line.
    MissingOrigin,
    /// The `o=` line cannot be read (the reason says why).
    BadOrigin(String),
    /// A `c=` line cannot be read.
    BadConnection(String),
    /// An `m=` line cannot be read.
    BadMedia(String),
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseError::TooLarge => write!(f, "SDP body larger than {MAX_SDP_LEN} bytes"),
            ParseError::NotSdp => f.write_str("not an SDP body (no v=0)"),
            ParseError::MissingOrigin => f.write_str("SDP without o= line"),
            ParseError::BadOrigin(why) => write!(f, "unreadable o= line: {why}"),
            ParseError::BadConnection(why) => write!(f, "unreadable c= line: {why}"),
            ParseError::BadMedia(why) => write!(f, "unreadable m= line: {why}"),
        }
    }
}

impl std::error::Error for ParseError {}

/// At most this many characters of a bad line go into an error (for a log line).
const REASON_LEN: usize = 60;

fn reason(line: &str) -> String {
    line.chars().take(REASON_LEN).collect()
}

impl SessionDescription {
    /// Reads an SDP body (see the module documentation for what is tolerated).
    pub fn parse(body: &[u8]) -> Result<SessionDescription, ParseError> {
        if body.len() > MAX_SDP_LEN {
            return Err(ParseError::TooLarge);
        }
        let text = String::from_utf8_lossy(body);
        let mut reader = Reader::default();
        for line in text.split(['\r', '\n']).map(str::trim) {
            // Lines are `x=value` with a one-letter type; anything else is skipped.
            let Some((kind, value)) = line.split_once('=') else { continue };
            match kind {
                "v" => reader.version_seen |= value.trim() == "0",
                "o" if reader.origin.is_none() => reader.origin = Some(parse_origin(value)?),
                "s" if reader.session_name.is_none() => reader.session_name = Some(value.to_owned()),
                "c" => reader.connection(parse_connection(value)?),
                "m" => reader.media_line(value)?,
                "a" => reader.attribute(value),
                _ => {}
            }
        }
        reader.finish()
    }
}

/// The ezk-sdp-types parsers slice their input out of a `Bytes` buffer; give them one holding
/// just this value (they panic if the slice is not inside the buffer they get).
fn with_ezk<T>(value: &str, parse: impl FnOnce(&bytes::Bytes, &str) -> Option<T>) -> Option<T> {
    let src = BytesStr::from(value.trim());
    parse(src.as_ref(), src.as_str())
}

fn parse_origin(value: &str) -> Result<Origin, ParseError> {
    let bad = || ParseError::BadOrigin(reason(value));
    let origin = with_ezk(value, |src, s| match ezk_sdp_types::Origin::parse(src, s) {
        Ok((rest, o)) if rest.trim().is_empty() => Some(o),
        _ => None,
    })
    .ok_or_else(bad)?;
    let address = Address::from_tagged(&origin.address);
    if address.is_empty_host() {
        return Err(bad());
    }
    Ok(Origin {
        username: origin.username.as_str().to_owned(),
        session_id: origin.session_id.as_str().to_owned(),
        session_version: origin.session_version.parse().map_err(|_| bad())?,
        address,
    })
}

fn parse_connection(value: &str) -> Result<Address, ParseError> {
    // ezk-sdp-types stops at the first character that cannot be in a host and accepts an empty
    // host: insist on the whole value (`/ttl` included) and a name.
    with_ezk(value, |src, s| match ezk_sdp_types::Connection::parse(src, s) {
        Ok((rest, c)) if rest.trim().is_empty() => Some(Address::from_tagged(&c.address)),
        _ => None,
    })
    .filter(|address| !address.is_empty_host())
    .ok_or_else(|| ParseError::BadConnection(reason(value)))
}

/// `media port[/count] proto fmt…`, read by hand: ezk-sdp-types knows four media types only
/// and keeps numeric formats only.
fn parse_media(value: &str) -> Result<MediaDescription, ParseError> {
    let bad = || ParseError::BadMedia(reason(value));
    let mut tokens = value.split_ascii_whitespace();
    let media_type = MediaType::from_token(tokens.next().ok_or_else(bad)?);
    let port_token = tokens.next().ok_or_else(bad)?;
    let (port, port_count) = match port_token.split_once('/') {
        None => (port_token.parse().map_err(|_| bad())?, None),
        Some((port, count)) => (port.parse().map_err(|_| bad())?, Some(count.parse().map_err(|_| bad())?)),
    };
    let mut media = MediaDescription::new(media_type, port, tokens.next().ok_or_else(bad)?);
    media.port_count = port_count;
    for token in tokens {
        match token.parse::<u8>() {
            Ok(pt) if media.payload(pt).is_none() => {
                media.payloads.push(PayloadFormat { payload_type: pt, codec: None, fmtp: None })
            }
            Ok(_) => {} // a repeated payload type says nothing new
            Err(_) => media.other_formats.push(token.to_owned()),
        }
    }
    Ok(media)
}

#[derive(Default)]
struct Reader {
    version_seen: bool,
    origin: Option<Origin>,
    session_name: Option<String>,
    connection: Option<Address>,
    direction: Option<Direction>,
    attributes: Vec<Attribute>,
    media: Vec<MediaDescription>,
    /// Payload types of the current m-line that got an explicit `a=rtpmap` / `a=fmtp`.
    mapped: Vec<u8>,
    with_fmtp: Vec<u8>,
}

impl Reader {
    fn connection(&mut self, address: Address) {
        match self.media.last_mut() {
            Some(m) => m.connection = Some(address),
            None => self.connection = Some(address),
        }
    }

    fn media_line(&mut self, value: &str) -> Result<(), ParseError> {
        let media = parse_media(value)?;
        self.end_media();
        self.media.push(media);
        Ok(())
    }

    /// Fills in static payload types the m-line left without `a=rtpmap`.
    fn end_media(&mut self) {
        if let Some(m) = self.media.last_mut().filter(|m| m.media_type == MediaType::Audio) {
            for p in m.payloads.iter_mut().filter(|p| p.codec.is_none()) {
                p.codec = Codec::from_static_payload_type(p.payload_type);
            }
        }
        self.mapped.clear();
        self.with_fmtp.clear();
    }

    fn attribute(&mut self, line: &str) {
        let (name, value) = match line.split_once(':') {
            Some((name, value)) => (name, Some(value)),
            None => (line, None),
        };
        let Some(media) = self.media.last_mut() else {
            match (Direction::from_attribute(name), value) {
                (Some(d), None) => self.direction = Some(d),
                _ => self.attributes.push(Attribute { name: name.to_owned(), value: value.map(str::to_owned) }),
            }
            return;
        };
        let understood = match (name, value) {
            ("rtpmap", Some(v)) => read_rtpmap(media, &mut self.mapped, v),
            ("fmtp", Some(v)) => read_fmtp(media, &mut self.with_fmtp, v),
            ("ptime", Some(v)) => v.trim().parse().map(|ms| media.ptime = Some(ms)).is_ok(),
            ("maxptime", Some(v)) => v.trim().parse().map(|ms| media.maxptime = Some(ms)).is_ok(),
            ("rtcp", Some(v)) => read_rtcp(v).map(|rtcp| media.rtcp = Some(rtcp)).is_some(),
            ("rtcp-mux", None) => {
                media.rtcp_mux = true;
                true
            }
            (_, None) => Direction::from_attribute(name).map(|d| media.direction = Some(d)).is_some(),
            _ => false,
        };
        if !understood {
            media.attributes.push(Attribute { name: name.to_owned(), value: value.map(str::to_owned) });
        }
    }

    fn finish(mut self) -> Result<SessionDescription, ParseError> {
        self.end_media();
        if !self.version_seen {
            return Err(ParseError::NotSdp);
        }
        Ok(SessionDescription {
            origin: self.origin.ok_or(ParseError::MissingOrigin)?,
            session_name: self.session_name.unwrap_or_default(),
            connection: self.connection,
            direction: self.direction,
            attributes: self.attributes,
            media: self.media,
        })
    }
}

/// Applies an `a=rtpmap` value; `false` if it cannot be read (it is then kept verbatim). The
/// first mapping of a payload type wins; mappings of types not in the m-line are dropped.
fn read_rtpmap(media: &mut MediaDescription, mapped: &mut Vec<u8>, value: &str) -> bool {
    let Some(rtpmap) = with_ezk(value, |src, s| ezk_sdp_types::RtpMap::parse(src, s).ok().map(|(_, r)| r)) else {
        return false;
    };
    if !mapped.contains(&rtpmap.payload) {
        mapped.push(rtpmap.payload);
        if let Some(p) = media.payloads.iter_mut().find(|p| p.payload_type == rtpmap.payload) {
            p.codec = Some(Codec::from_rtpmap(&rtpmap));
        }
    }
    true
}

/// Applies an `a=fmtp` value, like [`read_rtpmap`].
fn read_fmtp(media: &mut MediaDescription, with_fmtp: &mut Vec<u8>, value: &str) -> bool {
    let Some(fmtp) = with_ezk(value, |src, s| ezk_sdp_types::Fmtp::parse(src, s).ok().map(|(_, f)| f)) else {
        return false;
    };
    if !with_fmtp.contains(&fmtp.format) {
        with_fmtp.push(fmtp.format);
        if let Some(p) = media.payloads.iter_mut().find(|p| p.payload_type == fmtp.format) {
            p.fmtp = Some(fmtp.params.trim().to_owned());
        }
    }
    true
}

fn read_rtcp(value: &str) -> Option<Rtcp> {
    with_ezk(value, |src, s| {
        let (rest, rtcp) = ezk_sdp_types::Rtcp::parse(src, s).ok()?;
        // `a=rtcp:53021 IN IP4` (truncated address) must not silently lose the address part.
        rest.trim()
            .is_empty()
            .then(|| Rtcp { port: rtcp.port, address: rtcp.address.as_ref().map(Address::from_tagged) })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{IpAddr, Ipv4Addr};

    const HEAD: &str = "v=0\r\no=- 1 2 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n";

    fn parse(body: &str) -> Result<SessionDescription, ParseError> {
        SessionDescription::parse(body.as_bytes())
    }

    #[test]
    fn reads_origin_and_connection() {
        let sdp = parse(HEAD).expect("minimal SDP");
        assert_eq!(sdp.origin.session_id, "1");
        assert_eq!(sdp.origin.session_version, 2);
        assert_eq!(sdp.connection, Some(Address::Ip(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)))));
        assert!(sdp.media.is_empty());
    }

    #[test]
    fn refuses_what_is_not_sdp() {
        assert_eq!(parse(""), Err(ParseError::NotSdp));
        assert_eq!(parse("v=0\r\ns=-\r\n"), Err(ParseError::MissingOrigin));
        assert_eq!(parse(&HEAD.replace("v=0", "v=1")), Err(ParseError::NotSdp));
        assert!(matches!(parse(&HEAD.replace("2 IN", "x IN")), Err(ParseError::BadOrigin(_))));
        for bad_c in ["c=IN IP9 192.0.2.1", "c=IN IP4 ", "c=IN IP4 192.0.2.1 x", "c=IN IP4 1\u{1}2"] {
            let body = HEAD.replace("c=IN IP4 192.0.2.1", bad_c);
            assert!(matches!(parse(&body), Err(ParseError::BadConnection(_))), "{bad_c}");
        }
        assert!(matches!(parse(&HEAD.replace("192.0.2.1\r\ns", "\r\ns")), Err(ParseError::BadOrigin(_))));
        assert!(matches!(parse(&format!("{HEAD}m=audio x RTP/AVP 0\r\n")), Err(ParseError::BadMedia(_))));
        assert!(matches!(parse(&format!("{HEAD}m=audio 70000 RTP/AVP 0\r\n")), Err(ParseError::BadMedia(_))));
        assert!(matches!(parse(&format!("{HEAD}m=audio 4000\r\n")), Err(ParseError::BadMedia(_))));
        assert_eq!(SessionDescription::parse(&vec![b'a'; MAX_SDP_LEN + 1]), Err(ParseError::TooLarge));
    }

    #[test]
    fn media_formats_and_attributes() {
        let body = format!(
            "{HEAD}m=audio 4000/2 RTP/AVP 96 0 0 8 101\r\na=rtpmap:96 opus/48000/2\r\na=rtpmap:96 PCMU/8000\r\n\
             a=fmtp:96 useinbandfec=1\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=rtpmap:97 x/1\r\n\
             a=ptime:30\r\na=maxptime:40\r\na=rtcp:4003 IN IP4 192.0.2.9\r\na=rtcp-mux\r\na=recvonly\r\n\
             a=candidate:garbage\r\na=rtcp:oops\r\na=ptime:x\r\nm=image 0 udptl t38\r\na=T38FaxVersion:0\r\n"
        );
        let sdp = parse(&body).expect("parses");
        let audio = &sdp.media[0];
        assert_eq!((audio.port, audio.port_count), (4000, Some(2)));
        let pts: Vec<_> = audio.payloads.iter().map(|p| p.payload_type).collect();
        assert_eq!(pts, [96, 0, 8, 101]);
        assert_eq!(audio.payloads[0].codec, Some(Codec::new("opus", 48000, 2)));
        assert_eq!(audio.payloads[0].fmtp.as_deref(), Some("useinbandfec=1"));
        assert_eq!(audio.payloads[1].codec, Some(Codec::new("PCMU", 8000, 1)), "static type inferred");
        assert_eq!(audio.payloads[3].fmtp.as_deref(), Some("0-16"));
        assert_eq!((audio.ptime, audio.maxptime), (Some(30), Some(40)));
        let rtcp = audio.rtcp.as_ref().expect("a=rtcp");
        assert_eq!(rtcp.port, 4003);
        assert_eq!(rtcp.address, Some(Address::Ip(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 9)))));
        assert!(audio.rtcp_mux);
        assert_eq!(audio.direction, Some(Direction::RecvOnly));
        let kept: Vec<_> = audio.attributes.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(kept, ["candidate", "rtcp", "ptime"]);
        let image = &sdp.media[1];
        assert_eq!(image.media_type, MediaType::Other("image".into()));
        assert_eq!(image.other_formats, ["t38"]);
        assert_eq!(image.attributes.len(), 1);
    }

    #[test]
    fn tolerates_line_ends_blanks_and_session_level_lines() {
        let body = "v=0\no=alice 5 5 IN IP6 2001:db8::1 \n\nfoo\na=sendonly\na=tool:x\nc=IN IP6 2001:db8::1\n\
                    m=audio 5004 RTP/AVP 9 \r\n";
        let sdp = parse(body).expect("LF-only body");
        assert_eq!(sdp.session_name, "");
        assert_eq!(sdp.direction, Some(Direction::SendOnly));
        assert_eq!(sdp.attributes, [Attribute { name: "tool".into(), value: Some("x".into()) }]);
        assert_eq!(sdp.media[0].payloads[0].codec, Some(Codec::new("G722", 8000, 1)));
        assert!(sdp.connection.as_ref().and_then(Address::ip).is_some_and(|ip| ip.is_ipv6()));
    }

    #[test]
    fn multicast_connection_keeps_its_address() {
        let sdp = parse(&HEAD.replace("c=IN IP4 192.0.2.1", "c=IN IP4 224.2.1.1/127")).expect("multicast c=");
        assert_eq!(sdp.connection, Some(Address::Ip(IpAddr::V4(Ipv4Addr::new(224, 2, 1, 1)))));
    }

    #[test]
    fn dynamic_type_without_rtpmap_stays_unknown() {
        let sdp = parse(&format!("{HEAD}m=audio 4000 RTP/AVP 97\r\nm=video 4002 RTP/AVP 34\r\n")).expect("parses");
        assert_eq!(sdp.media[0].payloads[0].codec, None);
        assert_eq!(sdp.media[1].payloads[0].codec, None, "no static inference for video");
    }
}
