//! The calls the demo service answers, sans-IO: one UAS dialog per INVITE (to the echo
//! extension, to a simulated colleague, or picking up a colleague's ringing call), the SDP
//! answer for the echo's RTP socket, 2xx retransmission until the ACK (RFC 3261 §13.3.1.4),
//! and the BYE the service sends when a colleague hangs up.

use crate::sdp::{LocalMedia, SessionDescription, answer_offer, answer_reoffer, default_codecs};
use crate::sip::addr::NameAddr;
use crate::sip::message::{Request, Response};
use crate::sip::transaction::ServerKey;
use crate::sip::transport::Destination;
use crate::sip::via::Via;
use bytes::Bytes;
use ezk_sip_types::{Method, Name};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// Calls kept at most (further INVITEs get 486).
pub const MAX_CALLS: usize = 32;
/// Longest call the service keeps up before it hangs up itself.
pub const MAX_CALL: Duration = Duration::from_secs(15 * 60);
/// How long a colleague lets it ring before answering.
pub const RING_TIME: Duration = Duration::from_millis(2500);

/// Who answers a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Callee {
    /// The echo extension.
    Echo,
    /// A simulated colleague (index into the office).
    Colleague(usize),
}

/// Where a call stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// 180 sent; at `until` the callee answers (`answer`) or refuses with that code.
    Ringing {
        /// When the ringing ends.
        until: Instant,
        /// `None`: answer; `Some(code)`: refuse.
        refuse: Option<u16>,
    },
    /// Waiting for the driver to open the RTP socket.
    Opening,
    /// 2xx sent (or re-sent) and the call is up.
    Answered,
}

/// One call to the service.
#[derive(Debug, Clone)]
pub struct Call {
    /// The Call-ID (also our id for the call's media).
    pub id: String,
    /// Who answers.
    pub callee: Callee,
    /// Where it stands.
    pub phase: Phase,
    /// The INVITE's server transaction.
    pub key: ServerKey,
    /// The INVITE (for the responses built from it).
    pub invite: Request,
    /// Where the caller is.
    pub source: Destination,
    /// Our tag.
    pub to_tag: String,
    /// The caller as a lamp shows it (`"Display (user)"`).
    pub caller_label: String,
    /// Our RTP address, once open.
    pub rtp: Option<SocketAddr>,
    /// The last SDP we sent.
    pub sdp: Option<SessionDescription>,
    /// The 2xx to re-send until the ACK: (bytes, next resend, interval, give-up instant).
    pub ok_resend: Option<(Bytes, Instant, Duration, Instant)>,
    /// When the service hangs up by itself (BYE).
    pub hangup_at: Option<Instant>,
    cseq: u32,
}

impl Call {
    /// A call for a new INVITE.
    pub fn new(id: &str, callee: Callee, invite: Request, key: ServerKey, source: Destination, to_tag: &str) -> Self {
        let from = invite.from_addr().unwrap_or_default();
        let user = from.user().unwrap_or("unknown").to_owned();
        let caller_label = match from.display.as_deref().map(str::trim).filter(|d| !d.is_empty() && *d != user) {
            Some(d) => format!("{d} ({user})"),
            None => user,
        };
        Self {
            id: id.to_owned(),
            callee,
            phase: Phase::Opening,
            key,
            invite,
            source,
            to_tag: to_tag.to_owned(),
            caller_label,
            rtp: None,
            sdp: None,
            ok_resend: None,
            hangup_at: None,
            cseq: 0,
        }
    }

    /// A response to the INVITE with our tag and Contact.
    pub fn response(&self, code: u16, reason: &str, contact: &str) -> Response {
        let mut r = Response::to_request(&self.invite, code, reason, Some(&self.to_tag));
        if (101..300).contains(&code) {
            r.headers.insert(Name::CONTACT, format!("<{contact}>"));
        }
        r
    }

    /// The 200 with the SDP answer for our RTP address `rtp`. `Err` carries the status
    /// code to answer with instead (488 when no codec fits, 400 for an unreadable offer).
    pub fn answer(&mut self, rtp: SocketAddr, session_id: u32, contact: &str) -> Result<Response, u16> {
        let sdp = answer_sdp(&self.invite.body, rtp, session_id, self.sdp.as_ref())?;
        let mut r = self.response(200, "OK", contact);
        r.set_body("application/sdp", Bytes::from(sdp.to_bytes()));
        self.rtp = Some(rtp);
        self.sdp = Some(sdp);
        Ok(r)
    }

    /// The answer to a re-INVITE (hold, resume) on the same RTP socket.
    pub fn reanswer(&mut self, reinvite: &Request, contact: &str) -> Response {
        let (Some(rtp), Some(previous)) = (self.rtp, self.sdp.clone()) else {
            return Response::to_request(reinvite, 491, "Request Pending", None);
        };
        let sid = previous.origin.session_id.parse().unwrap_or(1);
        match answer_sdp(&reinvite.body, rtp, sid, Some(&previous)) {
            Ok(sdp) => {
                let mut r = Response::to_request(reinvite, 200, "OK", None);
                r.headers.insert(Name::CONTACT, format!("<{contact}>"));
                r.set_body("application/sdp", Bytes::from(sdp.to_bytes()));
                self.sdp = Some(sdp);
                r
            }
            Err(code) => Response::to_request(reinvite, code, "Not Acceptable Here", None),
        }
    }

    /// The BYE we send to end the call (in the dialog the INVITE made).
    pub fn bye(&mut self, local: SocketAddr, branch: &str) -> Request {
        self.cseq += 1;
        let target = super::notifier::contact_uri(&self.invite).unwrap_or_else(|| self.invite.uri.clone());
        let mut req = Request::new(Method::BYE, target);
        let host = crate::sip::transport::host_for_uri(&local.ip());
        req.headers.insert(Name::VIA, Via::new("UDP", &host, local.port(), branch).to_header());
        req.headers.insert(Name::MAX_FORWARDS, "70");
        let mut from = self.invite.to_addr().unwrap_or_default();
        from.set_param("tag", Some(&self.to_tag));
        let to = self.invite.from_addr().unwrap_or_else(|| NameAddr::new(self.invite.uri.clone()));
        req.headers.insert(Name::FROM, from.to_header());
        req.headers.insert(Name::TO, to.to_header());
        req.headers.insert(Name::CALL_ID, self.id.clone());
        // Our CSeq space is our own (RFC 3261 §12.2.1.1); start well away from the caller's.
        req.headers.insert(Name::CSEQ, format!("{} BYE", 1000 + self.cseq));
        req
    }
}

/// Our SDP answer to `offer` for RTP at `rtp`, succeeding `previous` when re-answering.
fn answer_sdp(
    offer: &[u8],
    rtp: SocketAddr,
    session_id: u32,
    previous: Option<&SessionDescription>,
) -> Result<SessionDescription, u16> {
    if offer.is_empty() {
        // Offer-less INVITEs (offer in our 2xx, answer in the ACK) are not supported here.
        return Err(488);
    }
    let offer = SessionDescription::parse(offer).map_err(|_| 400u16)?;
    let codecs = default_codecs();
    let local = LocalMedia::new(session_id, rtp.ip(), rtp.port(), &codecs, &codecs);
    let result = match previous {
        Some(p) => answer_reoffer(p, &offer, &local),
        None => answer_offer(&offer, &local),
    };
    result.map(|(sdp, _)| sdp).map_err(|e| e.status_code())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sdp::{create_offer, process_answer};
    use crate::sip::SipMessage;

    #[test]
    fn answer_takes_the_first_offered_codec() {
        let offered = [crate::sdp::Codec::new("PCMA", 8000, 1), crate::sdp::Codec::new("PCMU", 8000, 1)];
        let local = LocalMedia::new(7, "127.0.0.1".parse().unwrap(), 4000, &offered, &offered);
        let offer = create_offer(&local);
        let body = String::from_utf8(offer.to_bytes()).unwrap();
        let text = format!(
            "INVITE sip:600@demo.invalid SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK9\r\n\
             From: \"Reception\" <sip:1000@demo.invalid>;tag=a\r\nTo: <sip:600@demo.invalid>\r\nCall-ID: c9\r\n\
             CSeq: 1 INVITE\r\nContact: <sip:1000@127.0.0.1:5062>\r\nContent-Type: application/sdp\r\n\
             Content-Length: {}\r\n\r\n{body}",
            body.len()
        );
        let SipMessage::Request(invite) = SipMessage::parse(text.as_bytes()).unwrap() else { unreachable!() };
        let key = ServerKey { branch: "z9hG4bK9".into(), sent_by: "127.0.0.1:5062".into(), method: "INVITE".into() };
        let src = Destination { transport: crate::sip::TransportKind::Udp, addr: "127.0.0.1:5062".parse().unwrap() };
        let mut call = Call::new("c9", Callee::Echo, invite, key, src, "tt");
        assert_eq!(call.caller_label, "Reception (1000)");
        let ok = call.answer("127.0.0.1:4100".parse().unwrap(), 5, "sip:600@127.0.0.1:5060").unwrap();
        let answer = SessionDescription::parse(&ok.body).unwrap();
        let n = process_answer(&offer, &answer).unwrap();
        assert_eq!(n.codec.name, "PCMA");
        assert_eq!(n.remote_rtp, "127.0.0.1:4100".parse().unwrap());
        assert_eq!(ok.to_tag().as_deref(), Some("tt"));
        let bye = call.bye("127.0.0.1:5060".parse().unwrap(), "z9hG4bKb");
        assert_eq!(bye.uri, "sip:1000@127.0.0.1:5062");
        assert_eq!(bye.from_tag().as_deref(), Some("tt"));
        assert_eq!(bye.to_tag().as_deref(), Some("a"));
    }
}
