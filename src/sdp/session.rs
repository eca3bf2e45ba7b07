//! Our view of a session description (RFC 4566) and its serialisation.
//!
//! The model keeps what a softphone negotiates with: the origin, the connection addresses,
//! every m-line (so an answer can mirror them one for one), and for RTP m-lines the payload
//! list with its rtpmap/fmtp, `ptime`, `a=rtcp` and direction. Other attributes are kept
//! verbatim in [`Attribute`]s. Lines other than `v o s c t m a` are dropped; `t=` is always
//! `0 0` on output. Parsing lives in `parse.rs`.

use super::codec::Codec;
use super::direction::Direction;
use std::fmt::{self, Write as _};
use std::net::IpAddr;

/// A connection or origin address (`IN IP4 …`, `IN IP6 …`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Address {
    /// A literal IPv4 or IPv6 address.
    Ip(IpAddr),
    /// A host name (RFC 4566 allows them; SIP peers practically never send one).
    Host {
        /// Whether the address type is `IP6`.
        ipv6: bool,
        /// The name as written.
        name: String,
    },
}

impl Address {
    /// The IP address, unless this is a host name.
    pub fn ip(&self) -> Option<IpAddr> {
        match self {
            Address::Ip(ip) => Some(*ip),
            Address::Host { .. } => None,
        }
    }

    /// `0.0.0.0` or `::`, the pre-RFC 3264 way of saying "do not send to me" (hold).
    pub fn is_unspecified(&self) -> bool {
        self.ip().is_some_and(|ip| ip.is_unspecified())
    }

    /// A host name that is empty: what a truncated address line leaves.
    pub(crate) fn is_empty_host(&self) -> bool {
        matches!(self, Address::Host { name, .. } if name.is_empty())
    }

    pub(crate) fn from_tagged(tagged: &ezk_sdp_types::TaggedAddress) -> Address {
        use ezk_sdp_types::TaggedAddress as T;
        match tagged {
            T::IP4(ip) => Address::Ip(IpAddr::V4(*ip)),
            T::IP6(ip) => Address::Ip(IpAddr::V6(*ip)),
            T::IP4FQDN(name) => Address::Host { ipv6: false, name: name.as_str().to_owned() },
            T::IP6FQDN(name) => Address::Host { ipv6: true, name: name.as_str().to_owned() },
        }
    }
}

impl From<IpAddr> for Address {
    fn from(ip: IpAddr) -> Self {
        Address::Ip(ip)
    }
}

impl fmt::Display for Address {
    /// `IN IP4 192.0.2.1`, `IN IP6 2001:db8::1`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Address::Ip(IpAddr::V4(ip)) => write!(f, "IN IP4 {ip}"),
            Address::Ip(IpAddr::V6(ip)) => write!(f, "IN IP6 {ip}"),
            Address::Host { ipv6: false, name } => write!(f, "IN IP4 {name}"),
            Address::Host { ipv6: true, name } => write!(f, "IN IP6 {name}"),
        }
    }
}

/// The `o=` line: who made the description, and which revision of the session it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// `-` unless the author wants to name a user.
    pub username: String,
    /// The session id: numeric by RFC 4566, kept as text because peers vary.
    pub session_id: String,
    /// Incremented by one for every changed description in the session (RFC 3264 §8).
    pub session_version: u64,
    /// The author's address.
    pub address: Address,
}

/// An attribute this model does not interpret, kept verbatim: `a=name` or `a=name:value`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    /// The part before the first `:`.
    pub name: String,
    /// The part after the first `:`, if there is one.
    pub value: Option<String>,
}

/// The media type of an m-line.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MediaType {
    /// `audio`
    Audio,
    /// `video`
    Video,
    /// Anything else (`image` for T.38, `application`, `text`, `message`), as written.
    Other(String),
}

impl MediaType {
    /// Classifies an m-line's first token.
    pub fn from_token(token: &str) -> MediaType {
        match token {
            "audio" => MediaType::Audio,
            "video" => MediaType::Video,
            other => MediaType::Other(other.to_owned()),
        }
    }
}

impl fmt::Display for MediaType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MediaType::Audio => "audio",
            MediaType::Video => "video",
            MediaType::Other(token) => token,
        })
    }
}

/// One RTP payload type of an m-line, with what `a=rtpmap` and `a=fmtp` say about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayloadFormat {
    /// The number in the m-line.
    pub payload_type: u8,
    /// The encoding: from `a=rtpmap`, or from RFC 3551 for static audio payload types without
    /// one; `None` for a dynamic type nobody described.
    pub codec: Option<Codec>,
    /// The `a=fmtp` parameters, verbatim (`0-16`, `useinbandfec=1`).
    pub fmtp: Option<String>,
}

impl PayloadFormat {
    /// A payload type with a known codec and no fmtp.
    pub fn new(payload_type: u8, codec: Codec) -> Self {
        PayloadFormat { payload_type, codec: Some(codec), fmtp: None }
    }
}

/// The `a=rtcp` attribute (RFC 3605): where the author receives RTCP when not at port + 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rtcp {
    /// RTCP port.
    pub port: u16,
    /// RTCP address, when it differs from the connection address.
    pub address: Option<Address>,
}

/// One m-line with its own lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaDescription {
    /// `audio`, `video`, …
    pub media_type: MediaType,
    /// The port; 0 means the stream is rejected or disabled.
    pub port: u16,
    /// The `/n` after the port (hierarchical encoding; not used by SIP phones).
    pub port_count: Option<u16>,
    /// The transport protocol as written (`RTP/AVP`, `RTP/SAVP`, `udptl`).
    pub protocol: String,
    /// The formats that are payload type numbers, in m-line order, without duplicates.
    pub payloads: Vec<PayloadFormat>,
    /// The formats that are not numbers (`t38`, `webrtc-datachannel`, `*`), written after
    /// the payload types.
    pub other_formats: Vec<String>,
    /// Media-level `c=`, overriding the session's.
    pub connection: Option<Address>,
    /// Media-level direction attribute, overriding the session's.
    pub direction: Option<Direction>,
    /// `a=ptime`, in milliseconds.
    pub ptime: Option<u32>,
    /// `a=maxptime`, in milliseconds.
    pub maxptime: Option<u32>,
    /// `a=rtcp`.
    pub rtcp: Option<Rtcp>,
    /// `a=rtcp-mux` (RFC 5761) is present.
    pub rtcp_mux: bool,
    /// Every other media-level attribute, in order.
    pub attributes: Vec<Attribute>,
}

impl MediaDescription {
    /// An m-line with no payloads and no attributes.
    pub fn new(media_type: MediaType, port: u16, protocol: impl Into<String>) -> Self {
        MediaDescription {
            media_type,
            port,
            port_count: None,
            protocol: protocol.into(),
            payloads: Vec::new(),
            other_formats: Vec::new(),
            connection: None,
            direction: None,
            ptime: None,
            maxptime: None,
            rtcp: None,
            rtcp_mux: false,
            attributes: Vec::new(),
        }
    }

    /// The answer's line for a stream we reject (RFC 3264 §6): same media type, protocol and
    /// formats, port 0, nothing else.
    pub fn rejected(&self) -> MediaDescription {
        let mut m = MediaDescription::new(self.media_type.clone(), 0, self.protocol.clone());
        m.payloads = self
            .payloads
            .iter()
            .map(|p| PayloadFormat { payload_type: p.payload_type, codec: None, fmtp: None })
            .collect();
        m.other_formats = self.other_formats.clone();
        m
    }

    /// Port 0: rejected in an answer, disabled in an offer.
    pub fn is_rejected(&self) -> bool {
        self.port == 0
    }

    /// Plain (unencrypted) RTP: `RTP/AVP` or `RTP/AVPF`, the profiles we can answer.
    pub fn is_plain_rtp(&self) -> bool {
        self.protocol.eq_ignore_ascii_case("RTP/AVP") || self.protocol.eq_ignore_ascii_case("RTP/AVPF")
    }

    /// The payload with this number.
    pub fn payload(&self, payload_type: u8) -> Option<&PayloadFormat> {
        self.payloads.iter().find(|p| p.payload_type == payload_type)
    }

    /// The `telephone-event` payloads (RFC 4733), in m-line order.
    pub fn telephone_events(&self) -> impl Iterator<Item = &PayloadFormat> {
        self.payloads.iter().filter(|p| p.codec.as_ref().is_some_and(Codec::is_telephone_event))
    }
}

/// A session description: our view of an SDP body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionDescription {
    /// `o=`
    pub origin: Origin,
    /// `s=` (often `-`).
    pub session_name: String,
    /// Session-level `c=`, used by m-lines without their own.
    pub connection: Option<Address>,
    /// Session-level direction attribute, used by m-lines without their own.
    pub direction: Option<Direction>,
    /// Every other session-level attribute, in order.
    pub attributes: Vec<Attribute>,
    /// The m-lines, in order (answers must mirror them one for one).
    pub media: Vec<MediaDescription>,
}

impl SessionDescription {
    /// Index of the audio stream we talk on: the first `audio` m-line with a non-zero port.
    pub fn audio_index(&self) -> Option<usize> {
        self.media.iter().position(|m| m.media_type == MediaType::Audio && !m.is_rejected())
    }

    /// The audio stream we talk on (see [`SessionDescription::audio_index`]).
    pub fn audio(&self) -> Option<&MediaDescription> {
        self.audio_index().and_then(|i| self.media.get(i))
    }

    /// A stream's direction: its own attribute, else the session's, else `sendrecv`.
    pub fn direction_of(&self, media: &MediaDescription) -> Direction {
        media.direction.or(self.direction).unwrap_or_default()
    }

    /// A stream's connection address: its own `c=`, else the session's.
    pub fn connection_of<'a>(&'a self, media: &'a MediaDescription) -> Option<&'a Address> {
        media.connection.as_ref().or(self.connection.as_ref())
    }

    /// A stream's `ptime`: its own, else a session-level `a=ptime` (seen in the wild).
    pub fn ptime_of(&self, media: &MediaDescription) -> Option<u32> {
        media.ptime.or_else(|| {
            let attr = self.attributes.iter().find(|a| a.name == "ptime")?;
            attr.value.as_deref()?.trim().parse().ok()
        })
    }

    /// Makes `self` the next description of the session `previous` (the last one we sent,
    /// offer or answer) belongs to, per RFC 3264 §8: `previous`'s origin, with the version
    /// incremented by one if anything else differs and unchanged if nothing does (a session
    /// refresh).
    pub fn succeeding(mut self, previous: &SessionDescription) -> SessionDescription {
        let version = previous.origin.session_version;
        self.origin = previous.origin.clone();
        if self != *previous {
            self.origin.session_version = version.saturating_add(1);
        }
        self
    }

    /// The SDP body: CRLF line ends, `v o s c t` then session attributes then the m-sections.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.to_string().into_bytes()
    }
}

impl fmt::Display for SessionDescription {
    /// Serialises the body (see [`SessionDescription::to_bytes`]).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let o = &self.origin;
        write!(f, "v=0\r\no={} {} {} {}\r\n", o.username, o.session_id, o.session_version, o.address)?;
        // RFC 4566 §5.3: a session without a name says "s= " (one space).
        let name = if self.session_name.is_empty() { " " } else { &self.session_name };
        write!(f, "s={name}\r\n")?;
        if let Some(c) = &self.connection {
            write!(f, "c={c}\r\n")?;
        }
        f.write_str("t=0 0\r\n")?;
        if let Some(d) = self.direction {
            write!(f, "a={d}\r\n")?;
        }
        write_attributes(f, &self.attributes)?;
        for m in &self.media {
            write_media(f, m)?;
        }
        Ok(())
    }
}

fn write_attributes(f: &mut fmt::Formatter<'_>, attributes: &[Attribute]) -> fmt::Result {
    for a in attributes {
        match &a.value {
            Some(value) => write!(f, "a={}:{value}\r\n", a.name)?,
            None => write!(f, "a={}\r\n", a.name)?,
        }
    }
    Ok(())
}

fn write_media(f: &mut fmt::Formatter<'_>, m: &MediaDescription) -> fmt::Result {
    let mut line = format!("m={} {}", m.media_type, m.port);
    if let Some(count) = m.port_count {
        let _ = write!(line, "/{count}");
    }
    let _ = write!(line, " {}", m.protocol);
    for p in &m.payloads {
        let _ = write!(line, " {}", p.payload_type);
    }
    for token in &m.other_formats {
        let _ = write!(line, " {token}");
    }
    write!(f, "{line}\r\n")?;
    if let Some(c) = &m.connection {
        write!(f, "c={c}\r\n")?;
    }
    for p in &m.payloads {
        if let Some(codec) = &p.codec {
            write!(f, "a=rtpmap:{} {codec}\r\n", p.payload_type)?;
        }
        if let Some(fmtp) = &p.fmtp {
            write!(f, "a=fmtp:{} {fmtp}\r\n", p.payload_type)?;
        }
    }
    if let Some(ptime) = m.ptime {
        write!(f, "a=ptime:{ptime}\r\n")?;
    }
    if let Some(maxptime) = m.maxptime {
        write!(f, "a=maxptime:{maxptime}\r\n")?;
    }
    if let Some(rtcp) = &m.rtcp {
        match &rtcp.address {
            Some(address) => write!(f, "a=rtcp:{} {address}\r\n", rtcp.port)?,
            None => write!(f, "a=rtcp:{}\r\n", rtcp.port)?,
        }
    }
    if m.rtcp_mux {
        f.write_str("a=rtcp-mux\r\n")?;
    }
    if let Some(d) = m.direction {
        write!(f, "a={d}\r\n")?;
    }
    write_attributes(f, &m.attributes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    fn sample() -> SessionDescription {
        let mut audio = MediaDescription::new(MediaType::Audio, 40000, "RTP/AVP");
        audio.payloads = vec![
            PayloadFormat::new(0, Codec::new("PCMU", 8000, 1)),
            PayloadFormat { payload_type: 101, codec: Some(Codec::telephone_event(8000)), fmtp: Some("0-16".into()) },
        ];
        audio.ptime = Some(20);
        audio.rtcp = Some(Rtcp { port: 40001, address: None });
        audio.direction = Some(Direction::SendRecv);
        let mut image = MediaDescription::new(MediaType::Other("image".into()), 0, "udptl");
        image.other_formats = vec!["t38".into()];
        SessionDescription {
            origin: Origin {
                username: "-".into(),
                session_id: "42".into(),
                session_version: 7,
                address: Address::Ip(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 10))),
            },
            session_name: "Lampboard".into(),
            connection: Some(Address::Ip(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 10)))),
            direction: None,
            attributes: vec![Attribute { name: "tool".into(), value: Some("x".into()) }],
            media: vec![audio, image],
        }
    }

    #[test]
    fn serialises_in_rfc_order_with_crlf() {
        let text = sample().to_string();
        assert_eq!(
            text,
            "v=0\r\no=- 42 7 IN IP4 192.0.2.10\r\ns=Lampboard\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\na=tool:x\r\n\
             m=audio 40000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n\
             a=fmtp:101 0-16\r\na=ptime:20\r\na=rtcp:40001\r\na=sendrecv\r\nm=image 0 udptl t38\r\n"
        );
    }

    #[test]
    fn addresses_print_with_their_family() {
        assert_eq!(Address::Ip(IpAddr::V6(Ipv6Addr::LOCALHOST)).to_string(), "IN IP6 ::1");
        assert_eq!(Address::Host { ipv6: false, name: "pbx.example".into() }.to_string(), "IN IP4 pbx.example");
        assert!(Address::Ip(IpAddr::V4(Ipv4Addr::UNSPECIFIED)).is_unspecified());
        assert!(!Address::Host { ipv6: true, name: "h".into() }.is_unspecified());
    }

    #[test]
    fn succeeding_bumps_the_version_only_on_change() {
        let first = sample();
        let mut other = sample();
        other.origin.session_id = "999".into();
        other.origin.session_version = 1;
        let same = other.clone().succeeding(&first);
        assert_eq!(same, first, "a refresh keeps the version");
        other.media[0].direction = Some(Direction::SendOnly);
        let changed = other.succeeding(&first);
        assert_eq!(changed.origin.session_id, "42");
        assert_eq!(changed.origin.session_version, 8);
    }

    #[test]
    fn rejected_line_mirrors_formats() {
        let audio = &sample().media[0];
        let r = audio.rejected();
        assert_eq!(r.port, 0);
        assert_eq!(r.payloads.iter().map(|p| p.payload_type).collect::<Vec<_>>(), [0, 101]);
        assert!(r.payloads.iter().all(|p| p.codec.is_none()) && r.direction.is_none() && r.ptime.is_none());
    }

    #[test]
    fn stream_lookups_fall_back_to_session_level() {
        let mut sdp = sample();
        sdp.direction = Some(Direction::Inactive);
        let mut audio = sdp.media[0].clone();
        assert_eq!(sdp.direction_of(&audio), Direction::SendRecv);
        audio.direction = None;
        assert_eq!(sdp.direction_of(&audio), Direction::Inactive);
        assert_eq!(sdp.connection_of(&audio), sdp.connection.as_ref());
        audio.ptime = None;
        assert_eq!(sdp.ptime_of(&audio), None);
        sdp.attributes.push(Attribute { name: "ptime".into(), value: Some("30".into()) });
        assert_eq!(sdp.ptime_of(&audio), Some(30));
        assert_eq!(sdp.audio_index(), Some(0));
        assert_eq!(sdp.media[0].telephone_events().count(), 1);
    }
}
