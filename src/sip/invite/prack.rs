//! Reliable provisional responses (RFC 3262, `100rel`) in an INVITE session.
//!
//! Caller (UAC): every INVITE says `Supported: 100rel`. A 101–199 response with
//! `Require: 100rel` and an `RSeq` is processed once and answered with a PRACK (`RAck: rseq
//! cseq INVITE`) inside its early dialog (Contact of the response as Request-URI, its
//! Record-Route reversed as route set). The same RSeq again is a retransmission: it is
//! PRACKed again while our PRACK is unanswered (the UAS evidently did not get it) but never
//! processed again; an RSeq other than the next one is out of order and ignored (§4).
//!
//! Callee (UAS): when the INVITE has `Require: 100rel` our 180 goes out reliably (`Require:
//! 100rel`, `RSeq`), retransmitted at T1, 2·T1, 4·T1… until the matching PRACK (answered 200)
//! or a final response; after 64·T1 without PRACK the INVITE is rejected with 500 (§3). A PRACK
//! matching nothing unacknowledged gets 481. Our reliable 18x never carries SDP, so the 2xx
//! need not wait for its PRACK (that rule is only for an 18x with an answer, §3), and only one
//! reliable 18x is outstanding at a time (a further 180 while one is unacknowledged is not sent).

use super::{CallState, InviteSession};
use crate::sip::addr::parse_name_addr_list;
use crate::sip::message::{Request, Response, name};
use ezk_sip_types::{Method, Name};
use std::time::{Duration, Instant};

/// The option tag.
pub const TAG_100REL: &str = "100rel";

/// Most early dialogs (forks) whose RSeq is tracked.
const MAX_EARLY_DIALOGS: usize = 16;

/// Reliability state of one INVITE session (both roles).
#[derive(Debug, Clone, Default)]
pub(super) struct Reliability {
    /// UAC: per early dialog (To tag): the last RSeq processed, and whether its PRACK was answered.
    seen: Vec<(String, u32, bool)>,
    /// UAC: the SDP of a reliable provisional response: the answer to our offer (RFC 3262
    /// §5), used when the 2xx repeats no SDP.
    pub(super) early_answer: Option<bytes::Bytes>,
    /// UAS: the INVITE required 100rel, so our provisional responses are reliable.
    required: bool,
    /// UAS: the RSeq of our next reliable provisional response.
    next_rseq: u32,
    /// UAS: the unacknowledged reliable provisional response.
    pending: Option<Pending>,
}

#[derive(Debug, Clone)]
struct Pending {
    response: Response,
    rseq: u32,
    /// Unarmed (`None`) until a call with the current time (see [`InviteSession::ring_at`]).
    retransmit_at: Option<Instant>,
    every: Duration,
    give_up_at: Option<Instant>,
}

/// True when a header list (Require, Supported) names `tag`.
fn lists(headers: &ezk_sip_types::Headers, header: &str, tag: &str) -> bool {
    headers.get_raw(&name(header)).any(|v| v.as_str().split(',').any(|t| t.trim().eq_ignore_ascii_case(tag)))
}

impl Reliability {
    /// The UAS side for an incoming INVITE; the first RSeq derives from our random `tag`
    /// (RFC 3262 §3 wants it random in 1..2³¹; we stay below 2³⁰ so it never wraps).
    pub(super) fn for_invite(invite: &Request, tag: &str) -> Self {
        let hash = tag.bytes().fold(0x811c_9dc5u32, |h, b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193));
        Reliability {
            required: lists(&invite.headers, "Require", TAG_100REL),
            next_rseq: (hash & 0x3fff_ffff).max(1),
            ..Reliability::default()
        }
    }

    pub(super) fn next_timeout(&self) -> Option<Instant> {
        let p = self.pending.as_ref()?;
        [p.retransmit_at, p.give_up_at].into_iter().flatten().min()
    }
}

impl InviteSession {
    /// Sends 180 Ringing for an incoming call; when the caller requires `100rel` it is sent
    /// reliably and retransmitted from `now` until PRACKed.
    pub fn ring_at(&mut self, now: Instant) {
        self.ring();
        self.arm_reliable(now);
    }

    /// True while a reliable provisional response of ours awaits its PRACK.
    pub fn awaiting_prack(&self) -> bool {
        self.prack.pending.is_some()
    }

    /// UAS: makes a provisional response reliable when the INVITE required it. Returns false
    /// when it must not be sent (another reliable one is still unacknowledged).
    pub(super) fn make_reliable(&mut self, r: &mut Response) -> bool {
        if !self.prack.required || !(101..=199).contains(&r.code) {
            return true;
        }
        if self.prack.pending.is_some() {
            return false;
        }
        let rseq = self.prack.next_rseq;
        self.prack.next_rseq += 1;
        r.headers.insert(name("Require"), TAG_100REL.to_string());
        r.headers.insert(name("RSeq"), rseq.to_string());
        let every = self.cfg.t1;
        self.prack.pending = Some(Pending { response: r.clone(), rseq, retransmit_at: None, every, give_up_at: None });
        true
    }

    /// Starts the retransmission and give-up timers of a reliable response not yet timed.
    pub(super) fn arm_reliable(&mut self, now: Instant) {
        let timeout = self.cfg.timeout();
        if let Some(p) = self.prack.pending.as_mut().filter(|p| p.give_up_at.is_none()) {
            p.retransmit_at = Some(now + p.every);
            p.give_up_at = Some(now + timeout);
        }
    }

    /// A final response went out (or the call ended): no more reliable retransmissions.
    pub(super) fn stop_reliable(&mut self) {
        self.prack.pending = None;
    }

    /// UAS timers: retransmit the reliable provisional response, or give up with 500.
    pub(super) fn reliable_timeout(&mut self, now: Instant) {
        self.arm_reliable(now);
        let Some(p) = self.prack.pending.as_mut() else { return };
        if p.give_up_at.is_some_and(|t| t <= now) {
            self.prack.pending = None;
            if self.state == CallState::Incoming {
                let r = self.build_response(500, "Server Internal Error", None);
                self.responses.push_back(r);
                self.end(Some(500), "no PRACK for our reliable provisional response");
            }
            return;
        }
        if p.retransmit_at.is_some_and(|t| t <= now) {
            self.responses.push_back(p.response.clone());
            p.every *= 2;
            p.retransmit_at = Some(now + p.every);
        }
    }

    /// UAS: a PRACK arrived (already accepted by the dialog). 200 when its RAck matches our
    /// unacknowledged reliable response, else 481 (RFC 3262 §3).
    pub(super) fn handle_prack(&mut self, req: &Request) -> Response {
        let tag = Some(self.dialog.local_tag.as_str());
        let invite_cseq = self.incoming_invite.as_ref().and_then(|i| i.cseq().ok()).map(|c| c.0);
        let matches = match (&self.prack.pending, parse_rack(req.header(&name("RAck")))) {
            (Some(p), Some((rseq, cseq, method))) => {
                rseq == p.rseq && Some(cseq) == invite_cseq && method.eq_ignore_ascii_case("INVITE")
            }
            _ => false,
        };
        if matches {
            self.prack.pending = None;
            Response::to_request(req, 200, "OK", tag)
        } else {
            Response::to_request(req, 481, "Call/Transaction Does Not Exist", tag)
        }
    }

    /// UAC: reliability of a 101–199 response to our INVITE. Queues the PRACK it needs;
    /// returns whether the response is to be processed (false for a retransmission or an
    /// out-of-order one).
    pub(super) fn reliable_provisional(&mut self, sent: &Request, resp: &Response) -> bool {
        if !lists(&resp.headers, "Require", TAG_100REL) {
            return true;
        }
        let (Some(rseq), Some(tag)) = (resp.header(&name("RSeq")).and_then(parse_rseq), resp.to_tag()) else {
            // Reliable without RSeq or To tag cannot be PRACKed: process it as unreliable.
            return true;
        };
        let entry = self.prack.seen.iter().position(|(t, ..)| *t == tag);
        let process = match entry.map(|i| self.prack.seen[i].clone()) {
            // Early dialogs beyond a handful (forking gone wild, or a hostile peer) are not
            // tracked: such a response is processed as unreliable.
            None if self.prack.seen.len() >= MAX_EARLY_DIALOGS => return true,
            None => {
                self.prack.seen.push((tag.clone(), rseq, false));
                true
            }
            Some((_, last, _)) if rseq == last.wrapping_add(1) => {
                if let Some(i) = entry {
                    self.prack.seen[i] = (tag.clone(), rseq, false);
                }
                true
            }
            Some((_, last, answered)) if rseq == last && !answered => false,
            // Out of order, or a retransmission our answered PRACK already covered.
            Some(_) => return false,
        };
        if process && !resp.body.is_empty() && self.prack.early_answer.is_none() {
            self.prack.early_answer = Some(resp.body.clone());
        }
        self.send_prack(sent, resp, &tag, rseq);
        process
    }

    fn send_prack(&mut self, sent: &Request, resp: &Response, tag: &str, rseq: u32) {
        // The early dialog of this response: its tag, Contact and (reversed) Record-Route,
        // sharing our CSeq counter.
        let mut early = self.dialog.clone();
        early.remote_tag = Some(tag.to_string());
        let contact = resp.header(&Name::CONTACT).and_then(|v| parse_name_addr_list(v).ok());
        if let Some(c) = contact.and_then(|l| l.into_iter().next()) {
            early.remote_target = c.uri;
        }
        if !early.confirmed {
            let mut rs: Vec<String> = resp
                .headers
                .get_raw(&Name::RECORD_ROUTE)
                .flat_map(|v| parse_name_addr_list(v.as_str()).unwrap_or_default())
                .map(|na| na.to_header())
                .collect();
            rs.reverse();
            early.route_set = rs;
        }
        let mut prack = early.request(Method::PRACK);
        self.dialog.local_cseq = early.local_cseq;
        let cseq = sent.cseq().map(|c| c.0).unwrap_or(1);
        prack.headers.insert(name("RAck"), format!("{rseq} {cseq} INVITE"));
        if self.auth.has_credentials_cached() {
            let cnonce = self.cnonce();
            self.auth.authorize(&mut prack, &cnonce);
        }
        self.requests.push_back(prack);
    }

    /// UAC: the answer to our PRACK. A 2xx marks its RSeq acknowledged (no more re-PRACKs).
    pub(super) fn prack_response(&mut self, sent: &Request, resp: &Response) {
        if !(200..300).contains(&resp.code) {
            tracing::debug!(code = resp.code, "PRACK refused");
            return;
        }
        let rseq = parse_rack(sent.header(&name("RAck"))).map(|r| r.0);
        let tag = sent.to_tag();
        if let Some(e) = self.prack.seen.iter_mut().find(|(t, r, _)| Some(t) == tag.as_ref() && Some(*r) == rseq) {
            e.2 = true;
        }
    }
}

/// An RSeq value: 1..2³¹−1.
fn parse_rseq(v: &str) -> Option<u32> {
    v.trim().parse().ok().filter(|n| (1..=0x7fff_ffff).contains(n))
}

/// `RAck: rseq cseq method`.
fn parse_rack(v: Option<&str>) -> Option<(u32, u32, String)> {
    let mut parts = v?.split_whitespace();
    let rseq = parse_rseq(parts.next()?)?;
    let cseq = parts.next()?.parse().ok()?;
    let method = parts.next()?.to_string();
    parts.next().is_none().then_some((rseq, cseq, method))
}
