//! Outside callers of the demo service: now and then the simulated office has a call for
//! the console; the service then INVITEs the registered contact (the console's incoming
//! panel rings), as the caller. Answered, the call echoes and the caller hangs up after a
//! while; unanswered, the caller gives up (CANCEL) after [`GIVE_UP`].

use super::core::{MediaRequest, ServiceCore};
use crate::sdp::{LocalMedia, create_offer, default_codecs};
use crate::sip::addr::{NameAddr, parse_name_addr};
use crate::sip::message::{Request, Response};
use crate::sip::transport::Destination;
use crate::sip::via::Via;
use bytes::Bytes;
use ezk_sip_types::{Method, Name};
use rand::Rng;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// How long an outside caller lets the console ring.
pub const GIVE_UP: Duration = Duration::from_secs(25);

/// Where an outside call stands.
#[derive(Debug, Clone, PartialEq, Eq)]
enum OutPhase {
    /// Waiting for the echo socket.
    Opening,
    /// INVITE sent; the caller gives up at this instant.
    Inviting(Instant),
    /// CANCEL sent.
    Cancelling,
    /// Answered: the dialog's remote tag and target; the caller hangs up at this instant.
    Answered { remote_tag: String, target: String, hangup_at: Instant },
}

/// One call from an outside caller to the console.
#[derive(Debug, Clone)]
pub struct OutCall {
    id: String,
    caller: NameAddr,
    dest: Destination,
    target: String,
    invite: Option<Request>,
    phase: OutPhase,
}

impl ServiceCore {
    /// The office has a caller for the console: INVITE its registered contact (once the
    /// echo socket is open). Ignored when the console is not registered or already rung.
    pub(super) fn outside_call(&mut self, now: Instant, remote: &str) {
        let Some(binding) = self.registrar_binding(now) else { return };
        if !self.outgoing.is_empty() {
            return;
        }
        let caller = match parse_name_addr(remote) {
            Ok(na) if remote.contains('<') => na,
            _ => {
                let (display, user) = super::bodies::split_party(remote);
                let mut na = NameAddr::new(format!("sip:{user}@{}", self.cfg.domain));
                na.display = display.map(str::to_owned);
                na
            }
        };
        let id = format!("{}@demo", self.token(16));
        let (dest, target) = binding;
        self.outgoing.push(OutCall { id: id.clone(), caller, dest, target, invite: None, phase: OutPhase::Opening });
        self.media.push_back(MediaRequest::Open { call: id });
    }

    /// The echo socket of an outside call is open: send the INVITE with our offer. False
    /// when `call` is not an outside call waiting for it.
    pub(super) fn outside_media_opened(&mut self, now: Instant, call: &str, rtp: SocketAddr) -> bool {
        let Some(pos) = self.outgoing.iter().position(|c| c.id == call && c.phase == OutPhase::Opening) else {
            return false;
        };
        let branch = self.branch();
        let tag = self.token(10);
        let sid = self.rng.random_range(1..u32::MAX / 2);
        let codecs = default_codecs();
        let offer = create_offer(&LocalMedia::new(sid, rtp.ip(), rtp.port(), &codecs, &codecs));
        let local = self.local;
        let (user, domain) = (self.cfg.user.clone(), self.cfg.domain.clone());
        let c = &mut self.outgoing[pos];
        let mut req = Request::new(Method::INVITE, c.target.clone());
        let host = crate::sip::transport::host_for_uri(&local.ip());
        req.headers.insert(Name::VIA, Via::new("UDP", &host, local.port(), &branch).to_header());
        req.headers.insert(Name::MAX_FORWARDS, "70");
        let mut from = c.caller.clone();
        from.set_param("tag", Some(&tag));
        req.headers.insert(Name::FROM, from.to_header());
        req.headers.insert(Name::TO, format!("<sip:{user}@{domain}>"));
        req.headers.insert(Name::CALL_ID, c.id.clone());
        req.headers.insert(Name::CSEQ, "1 INVITE");
        let caller_user = c.caller.user().unwrap_or("caller").to_owned();
        req.headers.insert(Name::CONTACT, format!("<sip:{caller_user}@{local}>"));
        req.set_body("application/sdp", Bytes::from(offer.to_bytes()));
        c.invite = Some(req.clone());
        c.phase = OutPhase::Inviting(now + GIVE_UP);
        let dest = c.dest;
        self.send_request(now, req, dest);
        true
    }

    /// A response to one of our INVITEs (from the transaction layer); `None` for a timeout.
    pub(super) fn outside_response(&mut self, now: Instant, call_id: &str, resp: Option<&Response>) {
        let Some(pos) = self.outgoing.iter().position(|c| c.id == call_id) else { return };
        match resp {
            Some(r) if r.code < 200 => {}
            Some(r) if r.code < 300 => {
                let remote_tag = r.to_tag().unwrap_or_default();
                let c = &mut self.outgoing[pos];
                let target = contact_of(r).unwrap_or_else(|| c.target.clone());
                if !matches!(c.phase, OutPhase::Answered { .. }) {
                    let hangup_at = now + Duration::from_secs(self.rng.random_range(15..30));
                    self.outgoing[pos].phase = OutPhase::Answered { remote_tag: remote_tag.clone(), target, hangup_at };
                }
                // Every 2xx (also a retransmission) gets its ACK (RFC 3261 §13.2.2.4).
                let ack = self.in_dialog(pos, Method::ACK, 1);
                let dest = self.outgoing[pos].dest;
                self.send_request(now, ack, dest);
            }
            _ => self.end_outside(pos),
        }
    }

    /// A BYE from the console for an outside call: true when it was one.
    pub(super) fn outside_bye(&mut self, call_id: &str) -> bool {
        match self.outgoing.iter().position(|c| c.id == call_id) {
            Some(pos) => {
                self.end_outside(pos);
                true
            }
            None => false,
        }
    }

    /// The caller gives up or hangs up when it is time.
    pub(super) fn outside_timers(&mut self, now: Instant) {
        let Some(pos) = self.outgoing.iter().position(|c| match &c.phase {
            OutPhase::Inviting(at) => *at <= now,
            OutPhase::Answered { hangup_at, .. } => *hangup_at <= now,
            _ => false,
        }) else {
            return;
        };
        let dest = self.outgoing[pos].dest;
        if let OutPhase::Answered { .. } = self.outgoing[pos].phase {
            let bye = self.in_dialog(pos, Method::BYE, 2);
            self.send_request(now, bye, dest);
            self.end_outside(pos);
        } else if let Some(invite) = self.outgoing[pos].invite.clone() {
            // CANCEL: the INVITE's Request-URI, Via, From, To, Call-ID and CSeq number.
            let mut cancel = Request::new(Method::CANCEL, invite.uri.clone());
            for n in [Name::VIA, Name::MAX_FORWARDS, Name::FROM, Name::TO, Name::CALL_ID] {
                if let Some(v) = invite.header(&n) {
                    cancel.headers.insert(n, v.to_owned());
                }
            }
            cancel.headers.insert(Name::CSEQ, "1 CANCEL");
            self.outgoing[pos].phase = OutPhase::Cancelling;
            self.send_request(now, cancel, dest);
        }
    }

    /// When [`Self::outside_timers`] has something to do.
    pub(super) fn outside_timeout(&self) -> Option<Instant> {
        self.outgoing
            .iter()
            .filter_map(|c| match &c.phase {
                OutPhase::Inviting(at) => Some(*at),
                OutPhase::Answered { hangup_at, .. } => Some(*hangup_at),
                _ => None,
            })
            .min()
    }

    fn end_outside(&mut self, pos: usize) {
        let c = self.outgoing.remove(pos);
        self.media.push_back(MediaRequest::Close { call: c.id });
    }

    /// ACK or BYE inside an answered outside call.
    fn in_dialog(&mut self, pos: usize, method: Method, cseq: u32) -> Request {
        let branch = self.branch();
        let local = self.local;
        let c = &self.outgoing[pos];
        let (remote_tag, target) = match &c.phase {
            OutPhase::Answered { remote_tag, target, .. } => (remote_tag.clone(), target.clone()),
            _ => (String::new(), c.target.clone()),
        };
        let mut req = Request::new(method.clone(), target);
        let host = crate::sip::transport::host_for_uri(&local.ip());
        req.headers.insert(Name::VIA, Via::new("UDP", &host, local.port(), &branch).to_header());
        req.headers.insert(Name::MAX_FORWARDS, "70");
        if let Some(invite) = &c.invite {
            for n in [Name::FROM, Name::CALL_ID] {
                if let Some(v) = invite.header(&n) {
                    req.headers.insert(n, v.to_owned());
                }
            }
        }
        req.headers.insert(Name::TO, format!("<sip:{}@{}>;tag={remote_tag}", self.cfg.user, self.cfg.domain));
        req.headers.insert(Name::CSEQ, format!("{cseq} {method}"));
        req
    }
}

fn contact_of(r: &Response) -> Option<String> {
    let v = r.header(&Name::CONTACT)?;
    crate::sip::addr::parse_name_addr_list(v).ok()?.into_iter().next().map(|c| c.uri)
}
