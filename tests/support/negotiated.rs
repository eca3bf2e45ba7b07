//! A negotiated session for the media-task tests: `codec` as payload type `pt`, RFC 4733 DTMF
//! on 101, send-receive both ways, RTCP on the RTP port + 1.
#![allow(dead_code)]

use lampboard::sdp::{Codec, Direction, Dtmf, Negotiated};
use std::net::SocketAddr;

/// The session with `remote` as the peer's RTP address.
pub fn negotiated(codec: Codec, pt: u8, remote: SocketAddr) -> Negotiated {
    Negotiated {
        codec,
        payload_type: pt,
        fmtp: None,
        dtmf: Some(Dtmf { payload_type: 101, clock_rate: 8000 }),
        remote_rtp: remote,
        remote_rtcp: SocketAddr::new(remote.ip(), remote.port() + 1),
        ptime: 20,
        local_direction: Direction::SendRecv,
        remote_direction: Direction::SendRecv,
    }
}

/// PCMU (payload type 0) without telephone-event: the plain call of the RTCP and latency
/// measurements.
pub fn pcmu_without_dtmf(remote: SocketAddr) -> Negotiated {
    Negotiated { dtmf: None, ..negotiated(Codec::new("PCMU", 8000, 1), 0, remote) }
}
