//! RFC 3264 offer/answer for one audio stream.
//!
//! Every function is pure: the caller keeps the last description it sent and passes it back
//! for the next one. For the first exchange of a call use [`create_offer`] / [`answer_offer`];
//! later in the same session use [`create_reoffer`], [`answer_reoffer`], [`hold_offer`] and
//! [`resume_offer`], which keep our `o=` identity and bump its version only when the
//! description changes (RFC 3264 §8).

use super::codec::{Codec, FIRST_DYNAMIC_PAYLOAD_TYPE, LAST_PAYLOAD_TYPE, TELEPHONE_EVENT_FMTP};
use super::direction::Direction;
use super::session::{Address, MediaDescription, MediaType, Origin, PayloadFormat, SessionDescription};
use std::fmt;
use std::net::{IpAddr, SocketAddr};

/// The `s=` of our descriptions.
pub const SESSION_NAME: &str = "Lampboard";

/// Packet duration we ask for, in milliseconds.
pub const DEFAULT_PTIME: u32 = 20;

/// Payload type of our `telephone-event/8000`.
pub const DEFAULT_DTMF_PAYLOAD_TYPE: u8 = 101;

/// A remote `ptime` outside this range (milliseconds) is ignored as nonsense.
const SANE_PTIME: std::ops::RangeInclusive<u32> = 10..=120;

/// Whose codec order decides when answering an offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum CodecPreference {
    /// The first codec in the offer that we support (what RFC 3264 suggests, and what PBXs
    /// that transcode expect).
    #[default]
    Offerer,
    /// The first codec of ours that the offer contains.
    Local,
}

/// What we bring to a negotiation: where we receive, what we can encode, what we want.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalMedia {
    /// `o=` username (`-`).
    pub username: String,
    /// `o=` session id. 32 bits because PJSIP (Asterisk's stack) reads it with `strtoul`.
    pub session_id: u32,
    /// `o=` version of the first description of the session; later ones are counted from the
    /// previous description (see [`SessionDescription::succeeding`]).
    pub session_version: u64,
    /// Our RTP address (also used in `o=` and `c=`).
    pub address: IpAddr,
    /// Our RTP port; RTCP is on the next one.
    pub rtp_port: u16,
    /// Codecs we offer and accept, best first. `telephone-event` does not belong here.
    pub codecs: Vec<Codec>,
    /// The packet duration we want to receive, in milliseconds.
    pub ptime: u32,
    /// Payload type for `telephone-event/8000` in our offers; `None` offers and accepts no
    /// RFC 4733 DTMF.
    pub dtmf_payload_type: Option<u8>,
    /// What we want to do: `sendrecv` normally, `sendonly` while we hold the call.
    pub direction: Direction,
    /// Whose codec order wins when we answer.
    pub codec_preference: CodecPreference,
}

impl LocalMedia {
    /// Defaults (ptime 20, DTMF on 101, `sendrecv`, offerer's preference) with the codecs of
    /// `preferred` (the configured order, e.g. parsed from [`super::DEFAULT_CODECS`]) that
    /// the media layer `supported`s, without duplicates. `session_id` comes from the caller's
    /// RNG (sans-IO); the first version equals it.
    pub fn new(session_id: u32, address: IpAddr, rtp_port: u16, preferred: &[Codec], supported: &[Codec]) -> Self {
        let mut codecs: Vec<Codec> = Vec::new();
        for codec in preferred {
            let usable = !codec.is_telephone_event() && supported.iter().any(|s| s.matches(codec));
            if usable && !codecs.iter().any(|c| c.matches(codec)) {
                codecs.push(codec.clone());
            }
        }
        LocalMedia {
            username: "-".to_owned(),
            session_id,
            session_version: u64::from(session_id),
            address,
            rtp_port,
            codecs,
            ptime: DEFAULT_PTIME,
            dtmf_payload_type: Some(DEFAULT_DTMF_PAYLOAD_TYPE),
            direction: Direction::SendRecv,
            codec_preference: CodecPreference::Offerer,
        }
    }

    fn skeleton(&self) -> SessionDescription {
        let address = Address::Ip(self.address);
        SessionDescription {
            origin: Origin {
                username: self.username.clone(),
                session_id: self.session_id.to_string(),
                session_version: self.session_version,
                address: address.clone(),
            },
            session_name: SESSION_NAME.to_owned(),
            connection: Some(address),
            direction: None,
            attributes: Vec::new(),
            media: Vec::new(),
        }
    }

    fn supports(&self, codec: &Codec) -> Option<&Codec> {
        self.codecs.iter().find(|c| c.matches(codec))
    }
}

/// The RFC 4733 DTMF payload both sides agreed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Dtmf {
    /// Payload type to send events with.
    pub payload_type: u8,
    /// Its RTP clock rate (8000, or the codec's rate, e.g. 48000 with Opus).
    pub clock_rate: u32,
}

/// The outcome of an offer/answer exchange: everything the media layer needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Negotiated {
    /// The codec, spelled as in our configuration (name, clock rate, channels).
    pub codec: Codec,
    /// The payload type the remote description gives it: put it in the RTP we send. When we
    /// answered it is also ours; an answerer should reuse the offer's number (RFC 3264 §6.1).
    pub payload_type: u8,
    /// The remote `a=fmtp` for the codec (Opus parameters), if any.
    pub fmtp: Option<String>,
    /// RFC 4733 events, when both sides do them.
    pub dtmf: Option<Dtmf>,
    /// Where to send RTP: the remote `c=` (session or media level, IPv4 or IPv6) and m= port.
    pub remote_rtp: SocketAddr,
    /// Where to send RTCP: `a=rtcp` if present, else the RTP port + 1.
    pub remote_rtcp: SocketAddr,
    /// Packet duration to send with, in milliseconds: the remote's `ptime`, else ours.
    pub ptime: u32,
    /// What we do: whether we send and whether we receive.
    pub local_direction: Direction,
    /// What the remote said it does (`c=0.0.0.0` counts as not receiving).
    pub remote_direction: Direction,
}

/// Why a negotiation failed. When answering, every variant means 488 Not Acceptable Here;
/// after an answer to our offer, the call cannot carry audio (ACK, then BYE).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NegotiationError {
    /// No audio stream we can take: none at all, only SRTP ones, or no codec in common.
    NoCommonCodec,
    /// The audio stream has no `c=` at session or media level.
    MissingConnection,
    /// The audio stream's `c=` is a host name (we do not resolve names in SDP).
    HostNameConnection(String),
    /// The answer rejected our audio stream (port 0).
    Rejected,
    /// The answer has no audio m-line where our offer had it (RFC 3264 §6 wants them mirrored).
    AnswerMismatch,
}

impl NegotiationError {
    /// The SIP response to send when this happens while answering an offer.
    pub fn status_code(&self) -> u16 {
        488
    }
}

impl fmt::Display for NegotiationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NegotiationError::NoCommonCodec => f.write_str("no audio stream with a codec in common"),
            NegotiationError::MissingConnection => f.write_str("audio stream without connection address"),
            NegotiationError::HostNameConnection(host) => write!(f, "connection address is a host name: {host}"),
            NegotiationError::Rejected => f.write_str("the answer rejected the audio stream"),
            NegotiationError::AnswerMismatch => f.write_str("the answer's m-lines do not match the offer"),
        }
    }
}

impl std::error::Error for NegotiationError {}

/// Our first offer of a session: one `RTP/AVP` audio m-line with `local.codecs` (static
/// payload types where RFC 3551 has one, dynamic ones from 96 skipping the DTMF type), then
/// `telephone-event/8000` with `fmtp 0-16`, `ptime`, and `local.direction`.
///
/// With no codecs the m-line carries only `telephone-event`; check `local.codecs` first.
pub fn create_offer(local: &LocalMedia) -> SessionDescription {
    let dtmf = local.dtmf_payload_type.filter(|pt| *pt <= LAST_PAYLOAD_TYPE);
    let mut audio = MediaDescription::new(MediaType::Audio, local.rtp_port, "RTP/AVP");
    let mut next_dynamic = FIRST_DYNAMIC_PAYLOAD_TYPE;
    for codec in local.codecs.iter().filter(|c| !c.is_telephone_event()) {
        if audio.payloads.iter().any(|p| p.codec.as_ref().is_some_and(|c| c.matches(codec))) {
            continue;
        }
        let payload_type = match codec.static_payload_type() {
            Some(pt) if Some(pt) != dtmf => pt,
            Some(_) => continue,
            None => {
                while next_dynamic <= LAST_PAYLOAD_TYPE
                    && (Some(next_dynamic) == dtmf || audio.payload(next_dynamic).is_some())
                {
                    next_dynamic += 1;
                }
                if next_dynamic > LAST_PAYLOAD_TYPE {
                    continue;
                }
                next_dynamic += 1;
                next_dynamic - 1
            }
        };
        let mut format = PayloadFormat::new(payload_type, codec.clone());
        format.fmtp = super::codec::local_fmtp(codec).map(str::to_owned);
        audio.payloads.push(format);
    }
    if let Some(pt) = dtmf {
        audio.payloads.push(telephone_event(pt, 8000));
    }
    audio.ptime = Some(local.ptime);
    audio.direction = Some(local.direction);
    let mut offer = local.skeleton();
    offer.media.push(audio);
    offer
}

/// A new offer within the session of `previous` (the last description we sent): for a
/// re-INVITE without body, a codec change, or a new address.
pub fn create_reoffer(previous: &SessionDescription, local: &LocalMedia) -> SessionDescription {
    create_offer(local).succeeding(previous)
}

/// Answers an offer (RFC 3264 §6): takes the first plain-RTP audio m-line that has a codec in
/// common, answers it with that one codec (the offerer's payload type) plus `telephone-event`
/// if offered, and rejects every other m-line with port 0.
///
/// The direction is `local.direction` narrowed by the offer's (§6.1): `sendonly` → `recvonly`,
/// `recvonly` → `sendonly`, `inactive` → `inactive`.
pub fn answer_offer(
    offer: &SessionDescription,
    local: &LocalMedia,
) -> Result<(SessionDescription, Negotiated), NegotiationError> {
    let (index, offered, chosen, codec) = offer
        .media
        .iter()
        .enumerate()
        .filter(|(_, m)| m.media_type == MediaType::Audio && !m.is_rejected() && m.is_plain_rtp())
        .find_map(|(i, m)| choose_codec(m, local).map(|(p, c)| (i, m, p, c)))
        .ok_or(NegotiationError::NoCommonCodec)?;
    let remote_ip = remote_ip(offer, offered)?;
    let remote_direction = effective_direction(offer, offered);
    let local_direction = local.direction.negotiate(remote_direction);
    let offered_events = offered.payloads.iter().filter_map(|p| Some((p.payload_type, p.codec.as_ref()?)));
    let dtmf = local.dtmf_payload_type.and_then(|_| pick_dtmf(offered_events, codec.clock_rate));

    let mut audio = MediaDescription::new(MediaType::Audio, local.rtp_port, offered.protocol.clone());
    let mut format = PayloadFormat::new(chosen.payload_type, codec.clone());
    format.fmtp = super::codec::local_fmtp(codec).map(str::to_owned);
    audio.payloads.push(format);
    if let Some(d) = dtmf {
        audio.payloads.push(telephone_event(d.payload_type, d.clock_rate));
    }
    audio.ptime = Some(local.ptime);
    audio.direction = Some(local_direction);
    let mut answer = local.skeleton();
    answer.media = offer.media.iter().map(MediaDescription::rejected).collect();
    if let Some(slot) = answer.media.get_mut(index) {
        *slot = audio;
    }

    let negotiated = Negotiated {
        codec: codec.clone(),
        payload_type: chosen.payload_type,
        fmtp: chosen.fmtp.clone(),
        dtmf,
        remote_rtp: SocketAddr::new(remote_ip, offered.port),
        remote_rtcp: remote_rtcp(offered, remote_ip),
        ptime: sane_ptime(offer.ptime_of(offered)).unwrap_or(local.ptime),
        local_direction,
        remote_direction,
    };
    Ok((answer, negotiated))
}

/// [`answer_offer`] for an offer that arrives later in the session (re-INVITE, UPDATE):
/// `previous` is the last description we sent.
pub fn answer_reoffer(
    previous: &SessionDescription,
    offer: &SessionDescription,
    local: &LocalMedia,
) -> Result<(SessionDescription, Negotiated), NegotiationError> {
    answer_offer(offer, local).map(|(answer, negotiated)| (answer.succeeding(previous), negotiated))
}

/// Reads the answer to `offer_we_sent`: the first codec of the answer that we offered, the
/// remote addresses, DTMF, ptime and the resulting directions. A dynamic payload type the
/// answer leaves without `a=rtpmap` is taken to mean what our offer said it means.
pub fn process_answer(
    offer_we_sent: &SessionDescription,
    answer: &SessionDescription,
) -> Result<Negotiated, NegotiationError> {
    let index = offer_we_sent.audio_index().ok_or(NegotiationError::NoCommonCodec)?;
    let ours = offer_we_sent.media.get(index).ok_or(NegotiationError::NoCommonCodec)?;
    let theirs =
        answer.media.get(index).filter(|m| m.media_type == MediaType::Audio).ok_or(NegotiationError::AnswerMismatch)?;
    if theirs.is_rejected() {
        return Err(NegotiationError::Rejected);
    }
    // Each answered payload with its codec, falling back to the meaning our offer gave the number.
    let answered = || {
        theirs.payloads.iter().filter_map(|p| {
            let codec = p.codec.as_ref().or_else(|| ours.payload(p.payload_type)?.codec.as_ref())?;
            Some((p, codec))
        })
    };
    let (chosen, codec) = answered()
        .filter(|(_, c)| !c.is_telephone_event())
        .find_map(|(p, c)| {
            let offered = ours.payloads.iter().filter_map(|o| o.codec.as_ref()).find(|o| o.matches(c))?;
            Some((p, offered))
        })
        .ok_or(NegotiationError::NoCommonCodec)?;
    let remote_ip = remote_ip(answer, theirs)?;
    let we_offered_dtmf = ours.telephone_events().next().is_some();
    let dtmf =
        we_offered_dtmf.then(|| pick_dtmf(answered().map(|(p, c)| (p.payload_type, c)), codec.clock_rate)).flatten();
    let remote_direction = effective_direction(answer, theirs);
    Ok(Negotiated {
        codec: codec.clone(),
        payload_type: chosen.payload_type,
        fmtp: chosen.fmtp.clone(),
        dtmf,
        remote_rtp: SocketAddr::new(remote_ip, theirs.port),
        remote_rtcp: remote_rtcp(theirs, remote_ip),
        ptime: sane_ptime(answer.ptime_of(theirs))
            .or_else(|| sane_ptime(offer_we_sent.ptime_of(ours)))
            .unwrap_or(DEFAULT_PTIME),
        local_direction: offer_we_sent.direction_of(ours).negotiate(remote_direction),
        remote_direction,
    })
}

/// The re-offer that puts the call on hold (RFC 3264 §8.4): `previous` (the last description
/// we sent) with the audio stream `sendonly`, or `inactive` if it was `recvonly`.
pub fn hold_offer(previous: &SessionDescription) -> SessionDescription {
    redirect(previous, Direction::held)
}

/// The re-offer that takes the call off hold: `sendonly` → `sendrecv`, `inactive` →
/// `recvonly` (if the peer holds us, that stays its business).
pub fn resume_offer(previous: &SessionDescription) -> SessionDescription {
    redirect(previous, Direction::resumed)
}

fn redirect(previous: &SessionDescription, change: fn(Direction) -> Direction) -> SessionDescription {
    let mut next = previous.clone();
    let session_direction = next.direction;
    if let Some(audio) = next.audio_index().and_then(|i| next.media.get_mut(i)) {
        audio.direction = Some(change(audio.direction.or(session_direction).unwrap_or_default()));
    }
    next.succeeding(previous)
}

fn telephone_event(payload_type: u8, clock_rate: u32) -> PayloadFormat {
    PayloadFormat {
        payload_type,
        codec: Some(Codec::telephone_event(clock_rate)),
        fmtp: Some(TELEPHONE_EVENT_FMTP.to_owned()),
    }
}

/// The offered payload to answer with and our spelling of its codec.
fn choose_codec<'a>(offered: &'a MediaDescription, local: &'a LocalMedia) -> Option<(&'a PayloadFormat, &'a Codec)> {
    let candidates =
        || offered.payloads.iter().filter_map(|p| Some((p, p.codec.as_ref().filter(|c| !c.is_telephone_event())?)));
    match local.codec_preference {
        CodecPreference::Offerer => candidates().find_map(|(p, c)| Some((p, local.supports(c)?))),
        CodecPreference::Local => {
            local.codecs.iter().find_map(|ours| candidates().find(|(_, c)| c.matches(ours)).map(|(p, _)| (p, ours)))
        }
    }
}

/// The `telephone-event` among `payloads` to use with a codec at `clock_rate`: the one at the
/// same rate, else the first (most peers send 8000 whatever the codec).
fn pick_dtmf<'a>(payloads: impl Iterator<Item = (u8, &'a Codec)>, clock_rate: u32) -> Option<Dtmf> {
    let events: Vec<Dtmf> = payloads
        .filter(|(_, c)| c.is_telephone_event())
        .map(|(payload_type, c)| Dtmf { payload_type, clock_rate: c.clock_rate })
        .collect();
    events.iter().find(|d| d.clock_rate == clock_rate).or(events.first()).copied()
}

fn remote_ip(sdp: &SessionDescription, media: &MediaDescription) -> Result<IpAddr, NegotiationError> {
    match sdp.connection_of(media) {
        None => Err(NegotiationError::MissingConnection),
        Some(Address::Ip(ip)) => Ok(*ip),
        Some(Address::Host { name, .. }) => Err(NegotiationError::HostNameConnection(name.clone())),
    }
}

fn remote_rtcp(media: &MediaDescription, rtp_ip: IpAddr) -> SocketAddr {
    match &media.rtcp {
        Some(rtcp) => SocketAddr::new(rtcp.address.as_ref().and_then(Address::ip).unwrap_or(rtp_ip), rtcp.port),
        // An odd RTP port of 65535 has no "next" port; RTCP then shares it.
        None => SocketAddr::new(rtp_ip, media.port.checked_add(1).unwrap_or(media.port)),
    }
}

/// The stream's direction from its author's side; `c=0.0.0.0` (RFC 2543 hold) means the
/// author does not want to receive.
fn effective_direction(sdp: &SessionDescription, media: &MediaDescription) -> Direction {
    let direction = sdp.direction_of(media);
    if sdp.connection_of(media).is_some_and(Address::is_unspecified) {
        Direction::from_flags(direction.sends(), false)
    } else {
        direction
    }
}

fn sane_ptime(ptime: Option<u32>) -> Option<u32> {
    ptime.filter(|p| SANE_PTIME.contains(p))
}
