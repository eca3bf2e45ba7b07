//! INVITE sessions (RFC 3261 §13–15, RFC 6026), sans-IO: one call dialog as caller (UAC) or
//! callee (UAS). Bodies (SDP) are opaque here; `sdp/` negotiates them.
//!
//! Caller: INVITE (401/407 answered once per challenge), provisional responses (early
//! dialog), 2xx → ACK (and again for every retransmitted 2xx), 3xx → the first Contact,
//! other finals → ended with their reason; CANCEL before the answer, and the CANCEL/200 race
//! (the late 2xx is ACKed, then BYE). Callee: 180 Ringing, answer with a 2xx retransmitted
//! (T1 doubling to T2) until the ACK comes — after 64·T1 without it the call is ended with a
//! BYE —, reject, CANCEL → 487. Both: BYE, re-INVITE for hold/resume with 491 glare handling
//! (retry after 2.1–4 s when we own the Call-ID, 0–2 s otherwise, RFC 3261 §14.1).
//!
//! Reliable provisional responses (RFC 3262 PRACK, both roles) are in `prack.rs`; forwarding
//! an incoming call (302 with Diversion and History-Info, 181 first) in `redirect.rs`.
//!
//! Requests are produced without Via (the user agent adds it with a fresh branch) and fed
//! back through [`InviteSession::on_sent`] so that a CANCEL can copy the INVITE's Via.

use super::addr::{NameAddr, parse_name_addr_list};
use super::auth::{Authenticator, is_stale};
use super::dialog::Dialog;
use super::message::{Request, Response};
use super::transaction::TimerConfig;
use bytes::Bytes;
use ezk_sip_types::{Method, Name};
use std::collections::VecDeque;
use std::time::{Duration, Instant};

mod prack;
mod redirect;
mod transfer;

pub use prack::TAG_100REL;
pub use redirect::{DiversionCause, Redirect};

/// Which side of the call we are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// We called.
    Caller,
    /// We were called.
    Callee,
}

/// Where the call stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallState {
    /// INVITE sent, nothing but 100 heard.
    Calling,
    /// A provisional response with a tag (ringing / early media).
    Early,
    /// An INVITE arrived and is ringing here.
    Incoming,
    /// Answered (ACK not necessarily seen yet for a callee).
    Confirmed,
    /// BYE or CANCEL sent, waiting for the end.
    Ending,
    /// Over.
    Ended,
}

/// What a call reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallEvent {
    /// The far end rings (180) or sends early media (183 with a body).
    Ringing {
        /// The early SDP, if any.
        sdp: Option<Bytes>,
    },
    /// Answered: the final SDP of the other side (offer answer, or their offer for a callee).
    Answered {
        /// Their session description.
        sdp: Option<Bytes>,
    },
    /// The other side sent a new offer (re-INVITE), answered with [`InviteSession::answer_reinvite`].
    Reoffer {
        /// Their new offer.
        sdp: Bytes,
    },
    /// Our re-INVITE was answered.
    Reanswered {
        /// Their answer.
        sdp: Option<Bytes>,
    },
    /// The call is over.
    Ended {
        /// The status code that ended it (486, 603, 487…), or `None` for a BYE or timeout.
        code: Option<u16>,
        /// A short reason for the user and the log.
        reason: String,
    },
    /// The answer to our REFER (202/200 accepted, or the failure code).
    ReferAnswered {
        /// Its status code.
        code: u16,
    },
    /// A sipfrag NOTIFY about our REFER: the status of the transferee's new call.
    ReferProgress {
        /// The status line's code.
        code: u16,
        /// The implicit subscription ended (a final status).
        terminated: bool,
    },
    /// The other side asks us to call `refer_to` (we are the transferee); already accepted.
    Referred {
        /// The Refer-To value.
        refer_to: String,
        /// The Referred-By value.
        referred_by: Option<String>,
    },
}

/// What an outgoing call needs.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// Our address of record (From).
    pub local_uri: String,
    /// Whom we call (To and the first Request-URI).
    pub remote_uri: String,
    /// Our Contact URI.
    pub contact: String,
    /// Our SDP offer.
    pub sdp: Bytes,
    /// A fresh random Call-ID.
    pub call_id: String,
    /// A fresh random From tag.
    pub tag: String,
    /// Extra headers of the INVITE (Replaces, Referred-By).
    pub extra_headers: Vec<(String, String)>,
}

/// One call dialog.
pub struct InviteSession {
    role: Role,
    state: CallState,
    dialog: Dialog,
    contact: String,
    cfg: TimerConfig,
    auth: Authenticator,
    challenges: u32,
    redirects: u32,
    local_sdp: Option<Bytes>,
    invite_sent: Option<Request>,
    incoming_invite: Option<Request>,
    final_2xx: Option<Response>,
    retransmit_at: Option<Instant>,
    retransmit_every: Duration,
    ack_deadline: Option<Instant>,
    cancel_requested: bool,
    cancel_sent: bool,
    provisional_seen: bool,
    answered: bool,
    reinvite_in_flight: bool,
    reinvite_cseq: Option<u32>,
    reoffer_at: Option<Instant>,
    bye_after_ack: bool,
    reinvite_retry_at: Option<Instant>,
    reinvite_sdp: Option<Bytes>,
    requests: VecDeque<Request>,
    responses: VecDeque<Response>,
    events: VecDeque<CallEvent>,
    extra_headers: Vec<(String, String)>,
    refer_cseq: Option<u32>,
    refer_sent: Option<Request>,
    refer_challenged: bool,
    prack: prack::Reliability,
}

impl InviteSession {
    /// An outgoing call (the INVITE is queued at once).
    pub fn call(o: Outgoing, auth: Authenticator, cfg: TimerConfig) -> Self {
        let dialog = Dialog::new_uac(o.call_id, o.tag, o.local_uri, o.remote_uri);
        let mut s = Self::blank(Role::Caller, CallState::Calling, dialog, &o.contact, auth, cfg);
        s.local_sdp = Some(o.sdp);
        s.extra_headers = o.extra_headers;
        s.send_invite();
        s
    }

    /// An incoming call: the INVITE as received; answers 180 Ringing with our `tag`.
    pub fn incoming(invite: &Request, contact: &str, tag: String, cfg: TimerConfig) -> Self {
        let mut s = Self::incoming_unannounced(invite, contact, tag, cfg);
        s.respond(180, "Ringing", None);
        s
    }

    /// Like [`InviteSession::incoming`] but without the 180: the call is forwarded or
    /// rejected at once, or [`InviteSession::ring_at`] follows.
    pub fn incoming_unannounced(invite: &Request, contact: &str, tag: String, cfg: TimerConfig) -> Self {
        let remote = invite.from_addr().map(|a| a.uri).unwrap_or_default();
        let local = invite.to_addr().map(|a| a.uri).unwrap_or_default();
        let mut dialog = Dialog::new_uac(invite.call_id().to_string(), tag, local, remote);
        dialog.on_request(invite);
        dialog.local_cseq = 0;
        let auth = Authenticator::new(super::auth::Credentials { username: String::new(), password: String::new() });
        let mut s = Self::blank(Role::Callee, CallState::Incoming, dialog, contact, auth, cfg);
        s.prack = prack::Reliability::for_invite(invite, &s.dialog.local_tag);
        s.incoming_invite = Some(invite.clone());
        s
    }

    /// Sends 180 Ringing for an incoming call. When the caller requires `100rel` the 180 is
    /// reliable and its retransmissions start at the next call with a time; prefer
    /// [`InviteSession::ring_at`].
    pub fn ring(&mut self) {
        if self.state == CallState::Incoming {
            self.respond(180, "Ringing", None);
        }
    }

    fn blank(
        role: Role,
        state: CallState,
        dialog: Dialog,
        contact: &str,
        auth: Authenticator,
        cfg: TimerConfig,
    ) -> Self {
        Self {
            role,
            state,
            dialog,
            contact: contact.to_string(),
            cfg,
            auth,
            challenges: 0,
            redirects: 0,
            local_sdp: None,
            invite_sent: None,
            incoming_invite: None,
            final_2xx: None,
            retransmit_at: None,
            retransmit_every: cfg.t1,
            ack_deadline: None,
            cancel_requested: false,
            cancel_sent: false,
            provisional_seen: false,
            answered: false,
            reinvite_in_flight: false,
            reinvite_cseq: None,
            reoffer_at: None,
            bye_after_ack: false,
            reinvite_retry_at: None,
            reinvite_sdp: None,
            requests: VecDeque::new(),
            responses: VecDeque::new(),
            events: VecDeque::new(),
            extra_headers: Vec::new(),
            refer_cseq: None,
            refer_sent: None,
            refer_challenged: false,
            prack: prack::Reliability::default(),
        }
    }

    /// Caller or callee.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The current state.
    pub fn state(&self) -> CallState {
        self.state
    }

    /// The dialog (Call-ID, tags, remote target…), e.g. to route in-dialog requests.
    pub fn dialog(&self) -> &Dialog {
        &self.dialog
    }

    /// The SDP offer of the incoming INVITE, if it had one.
    pub fn remote_offer(&self) -> Option<Bytes> {
        self.incoming_invite.as_ref().map(|i| i.body.clone()).filter(|b| !b.is_empty())
    }

    /// The user agent sent a request of ours (with its Via): remembered for CANCEL.
    pub fn on_sent(&mut self, req: &Request) {
        if req.method == Method::INVITE && self.role == Role::Caller && !self.reinvite_in_flight {
            self.invite_sent = Some(req.clone());
        }
    }

    /// Answers an incoming call with our SDP (200 OK, retransmitted until the ACK).
    pub fn answer(&mut self, now: Instant, sdp: Bytes) {
        if self.state != CallState::Incoming {
            return;
        }
        self.local_sdp = Some(sdp.clone());
        self.respond(200, "OK", Some(sdp));
        self.state = CallState::Confirmed;
        self.retransmit_every = self.cfg.t1;
        self.retransmit_at = Some(now + self.cfg.t1);
        self.ack_deadline = Some(now + self.cfg.timeout());
        let sdp = self.incoming_invite.as_ref().map(|i| i.body.clone()).filter(|b| !b.is_empty());
        self.events.push_back(CallEvent::Answered { sdp });
    }

    /// Rejects an incoming call (486 Busy Here, 603 Decline, 480…), or forwards it with a 3xx
    /// whose Contact is `target`.
    pub fn reject(&mut self, code: u16, reason: &str, target: Option<&str>) {
        if self.state != CallState::Incoming {
            return;
        }
        let mut r = self.build_response(code, reason, None);
        if let Some(t) = target {
            r.headers.insert(Name::CONTACT, format!("<{t}>"));
        }
        self.responses.push_back(r);
        self.end(Some(code), reason);
    }

    /// Refuses an incoming call that requires an extension we lack: 420 Bad Extension with
    /// `Unsupported` naming it (RFC 3261 §8.2.2.3).
    pub fn reject_bad_extension(&mut self, unsupported: &str) {
        if self.state != CallState::Incoming {
            return;
        }
        let mut r = self.build_response(420, "Bad Extension", None);
        r.headers.insert(super::message::name("Unsupported"), unsupported.to_string());
        self.responses.push_back(r);
        self.end(Some(420), &format!("the caller requires {unsupported}"));
    }

    /// Hangs up: CANCEL before the answer, BYE after it.
    pub fn hangup(&mut self) {
        match (self.role, self.state) {
            (Role::Caller, CallState::Calling | CallState::Early) => {
                // CANCEL only once a provisional response came back (RFC 3261 §9.1).
                self.cancel_requested = true;
                if self.provisional_seen {
                    self.send_cancel();
                }
                self.state = CallState::Ending;
            }
            (Role::Callee, CallState::Incoming) => self.reject(603, "Decline", None),
            // A callee may not send BYE before the ACK (RFC 3261 §15): it follows the ACK,
            // or the ACK deadline.
            (Role::Callee, CallState::Confirmed) if self.ack_deadline.is_some() => self.bye_after_ack = true,
            (_, CallState::Confirmed) => {
                let bye = self.dialog.request(Method::BYE);
                self.requests.push_back(bye);
                self.state = CallState::Ending;
            }
            _ => {}
        }
    }

    /// Sends a re-INVITE with a new offer (hold: `a=sendonly`; resume: `a=sendrecv`).
    pub fn reinvite(&mut self, sdp: Bytes) {
        if self.state != CallState::Confirmed {
            return;
        }
        if self.reinvite_in_flight {
            self.reinvite_sdp = Some(sdp);
            return;
        }
        self.local_sdp = Some(sdp.clone());
        self.reinvite_in_flight = true;
        let mut req = self.dialog.request(Method::INVITE);
        self.reinvite_cseq = Some(self.dialog.local_cseq);
        req.headers.insert(Name::CONTACT, format!("<{}>", self.contact));
        req.set_body("application/sdp", sdp);
        if self.auth.has_credentials_cached() {
            let cnonce = self.cnonce();
            self.auth.authorize(&mut req, &cnonce);
        }
        self.requests.push_back(req);
    }

    /// Refuses a re-INVITE's offer (488 when nothing in it can be used); the call goes on.
    pub fn refuse_reinvite(&mut self, code: u16, reason: &str) {
        self.respond(code, reason, None);
    }

    /// Answers a re-INVITE reported by [`CallEvent::Reoffer`].
    pub fn answer_reinvite(&mut self, sdp: Bytes) {
        self.local_sdp = Some(sdp.clone());
        self.respond(200, "OK", Some(sdp));
        // The 2xx is ours to retransmit until the ACK (RFC 6026), as for the first answer.
        if let Some(now) = self.reoffer_at {
            self.retransmit_every = self.cfg.t1;
            self.retransmit_at = Some(now + self.cfg.t1);
            self.ack_deadline = Some(now + self.cfg.timeout());
        }
    }

    /// A response to one of our requests (`sent` as the transaction carried it).
    pub fn handle_response(&mut self, now: Instant, sent: &Request, resp: &Response) {
        match sent.method {
            // Dispatched by CSeq: a late 2xx retransmission of the initial INVITE is not the
            // answer to a re-INVITE in flight.
            Method::INVITE if self.is_reinvite(sent) => self.reinvite_response(now, resp),
            Method::INVITE => self.invite_response(now, sent, resp),
            Method::BYE if resp.code >= 200 => self.end(None, "hung up"),
            Method::REFER => self.refer_response(sent, resp),
            Method::PRACK => self.prack_response(sent, resp),
            Method::CANCEL => {}
            _ => {}
        }
    }

    /// A request of ours got no answer (Timer B/F) or the transport failed.
    pub fn handle_no_response(&mut self, sent: &Request, reason: &str) {
        match sent.method {
            Method::INVITE if self.is_reinvite(sent) => {
                // RFC 3261 §14.1: a re-INVITE that times out ends the dialog.
                self.reinvite_in_flight = false;
                if self.state == CallState::Confirmed {
                    let bye = self.dialog.request(Method::BYE);
                    self.requests.push_back(bye);
                    self.state = CallState::Ending;
                }
            }
            Method::INVITE | Method::BYE => self.end(None, reason),
            _ => {}
        }
    }

    /// A request inside this dialog (or the CANCEL / ACK of the incoming INVITE); returns the
    /// response to send through its server transaction (`None` for ACK).
    pub fn handle_request(&mut self, now: Instant, req: &Request) -> Option<Response> {
        self.arm_reliable(now);
        if req.method == Method::ACK {
            self.retransmit_at = None;
            self.ack_deadline = None;
            if std::mem::take(&mut self.bye_after_ack) {
                let bye = self.dialog.request(Method::BYE);
                self.requests.push_back(bye);
                self.state = CallState::Ending;
            }
            return None;
        }
        if req.method == Method::CANCEL {
            if self.state == CallState::Incoming {
                let r = self.build_response(487, "Request Terminated", None);
                self.responses.push_back(r);
                self.end(Some(487), "caller hung up before the answer");
            }
            return Some(Response::to_request(req, 200, "OK", Some(&self.dialog.local_tag)));
        }
        if !self.dialog.on_request(req) {
            return Some(Response::to_request(req, 500, "Server Internal Error", Some(&self.dialog.local_tag)));
        }
        let resp = match req.method {
            Method::BYE => {
                self.end(None, "the other side hung up");
                Response::to_request(req, 200, "OK", Some(&self.dialog.local_tag))
            }
            Method::INVITE if self.reinvite_in_flight => {
                Response::to_request(req, 491, "Request Pending", Some(&self.dialog.local_tag))
            }
            Method::INVITE => {
                self.incoming_invite = Some(req.clone());
                self.reoffer_at = Some(now);
                self.events.push_back(CallEvent::Reoffer { sdp: req.body.clone() });
                return None;
            }
            Method::REFER => return Some(self.handle_refer(req)),
            Method::PRACK => self.handle_prack(req),
            Method::NOTIFY if req.header(&Name::EVENT).is_some_and(|e| e.trim().starts_with("refer")) => {
                return Some(self.handle_refer_notify(req));
            }
            // UPDATE with an offer (RFC 3311; also a session refresh): answered like a re-INVITE,
            // but as a non-INVITE request (no 2xx retransmission, no ACK).
            Method::UPDATE if !req.body.is_empty() && self.reinvite_in_flight => {
                Response::to_request(req, 491, "Request Pending", Some(&self.dialog.local_tag))
            }
            Method::UPDATE if !req.body.is_empty() => {
                self.incoming_invite = Some(req.clone());
                self.reoffer_at = None;
                self.events.push_back(CallEvent::Reoffer { sdp: req.body.clone() });
                return None;
            }
            Method::INFO | Method::NOTIFY | Method::OPTIONS | Method::UPDATE => {
                Response::to_request(req, 200, "OK", Some(&self.dialog.local_tag))
            }
            _ => Response::to_request(req, 501, "Not Implemented", Some(&self.dialog.local_tag)),
        };
        Some(resp)
    }

    /// 2xx retransmissions, the ACK deadline, the glare retry.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.reliable_timeout(now);
        if self.ack_deadline.is_some_and(|t| t <= now) {
            // No ACK for our 2xx within 64·T1: the call is confirmed and then ended (§13.3.1.4).
            self.ack_deadline = None;
            self.retransmit_at = None;
            if self.state == CallState::Confirmed {
                let bye = self.dialog.request(Method::BYE);
                self.requests.push_back(bye);
                self.state = CallState::Ending;
            }
        }
        if self.retransmit_at.is_some_and(|t| t <= now) {
            if let Some(r) = self.final_2xx.clone() {
                self.responses.push_back(r);
            }
            self.retransmit_every = (self.retransmit_every * 2).min(self.cfg.t2);
            self.retransmit_at = Some(now + self.retransmit_every);
        }
        if self.reinvite_retry_at.is_some_and(|t| t <= now) {
            self.reinvite_retry_at = None;
            if let Some(sdp) = self.reinvite_sdp.take() {
                self.reinvite(sdp);
            }
        }
    }

    /// The earliest timer.
    pub fn poll_timeout(&self) -> Option<Instant> {
        [self.ack_deadline, self.retransmit_at, self.reinvite_retry_at, self.prack.next_timeout()]
            .into_iter()
            .flatten()
            .min()
    }

    /// The next request to send (INVITE, ACK, CANCEL, BYE…), without Via.
    pub fn poll_request(&mut self) -> Option<Request> {
        self.requests.pop_front()
    }

    /// The next response to the incoming INVITE (or a re-INVITE), for its server transaction.
    pub fn poll_response(&mut self) -> Option<Response> {
        self.responses.pop_front()
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<CallEvent> {
        self.events.pop_front()
    }

    /// Sets when a glare retry happens: `jitter` in [0, 1) from the caller's randomness.
    pub fn glare_delay(&self, jitter: f64) -> Duration {
        let owner = self.role == Role::Caller;
        let (lo, hi) = if owner { (2.1, 4.0) } else { (0.0, 2.0) };
        Duration::from_secs_f64(lo + (hi - lo) * jitter.clamp(0.0, 1.0))
    }

    fn invite_response(&mut self, now: Instant, sent: &Request, resp: &Response) {
        let code = resp.code;
        if code != 401 && code != 407 {
            self.challenges = 0;
        }
        match code {
            100..=199 if self.cancel_requested => {
                self.provisional_seen = true;
                self.send_cancel();
            }
            100 => self.provisional_seen = true,
            101..=199 => {
                self.provisional_seen = true;
                if !self.reliable_provisional(sent, resp) {
                    return;
                }
                if resp.to_tag().is_some() && self.state == CallState::Calling {
                    self.dialog.remote_tag = resp.to_tag();
                    self.state = CallState::Early;
                }
                let sdp = Some(resp.body.clone()).filter(|b| !b.is_empty());
                self.events.push_back(CallEvent::Ringing { sdp });
            }
            200..=299 => {
                // ACK every 2xx, the first and each retransmission (the transaction passes them on).
                self.dialog.on_response(resp);
                let ack = self.ack_for(sent, resp);
                self.requests.push_back(ack);
                if std::mem::replace(&mut self.answered, true) {
                    return;
                }
                if self.cancel_requested {
                    // CANCEL lost the race against the 200: ACK it, then BYE.
                    let bye = self.dialog.request(Method::BYE);
                    self.requests.push_back(bye);
                    self.state = CallState::Ending;
                    return;
                }
                self.state = CallState::Confirmed;
                // After an answer in a reliable 18x the 2xx may carry no SDP (RFC 3262 §5).
                let sdp = Some(resp.body.clone()).filter(|b| !b.is_empty()).or_else(|| self.prack.early_answer.clone());
                self.events.push_back(CallEvent::Answered { sdp });
                let _ = now;
            }
            300..=399 => {
                let target = resp
                    .header(&Name::CONTACT)
                    .and_then(|v| parse_name_addr_list(v).ok())
                    .and_then(|l| l.into_iter().next());
                match target {
                    Some(t) if self.redirects < 5 && !self.cancel_requested => {
                        self.redirects += 1;
                        // A fresh INVITE outside the early dialog a 180 may have made
                        // (RFC 3261 §8.1.3.4): no To tag, no route set, same Call-ID and To.
                        self.dialog.remote_target = t.uri;
                        self.dialog.remote_tag = None;
                        self.dialog.route_set.clear();
                        self.state = CallState::Calling;
                        self.send_invite();
                    }
                    _ => self.end(Some(code), &reason_of(resp)),
                }
            }
            401 | 407 => {
                let again = self.challenges > 0;
                self.challenges += 1;
                match self.auth.handle_challenge(resp) {
                    Ok(()) if (!again || is_stale(resp)) && !self.cancel_requested => self.send_invite(),
                    Ok(()) if self.cancel_requested => self.end(Some(487), "cancelled"),
                    Ok(()) => self.end(Some(code), "wrong user name or password"),
                    Err(e) => self.end(Some(code), &e.to_string()),
                }
            }
            _ => {
                let why = if code == 487 && self.cancel_requested { "cancelled".to_string() } else { reason_of(resp) };
                self.end(Some(code), &why);
            }
        }
    }

    fn reinvite_response(&mut self, now: Instant, resp: &Response) {
        if resp.code < 200 {
            return;
        }
        self.reinvite_in_flight = false;
        match resp.code {
            200..=299 => {
                self.dialog.on_response(resp);
                let ack = {
                    let mut a = self.dialog.request(Method::ACK);
                    // ACK reuses the INVITE's CSeq number (RFC 3261 §13.2.2.4).
                    self.dialog.local_cseq -= 1;
                    a.headers.remove(&Name::CSEQ);
                    a.headers.insert(Name::CSEQ, format!("{} ACK", self.dialog.local_cseq));
                    a
                };
                self.requests.push_back(ack);
                let sdp = Some(resp.body.clone()).filter(|b| !b.is_empty());
                self.events.push_back(CallEvent::Reanswered { sdp });
                if let Some(next) = self.reinvite_sdp.take() {
                    self.reinvite(next);
                }
            }
            491 => {
                // Glare: try again after a random pause (the caller draws the jitter).
                self.reinvite_sdp = self.reinvite_sdp.take().or_else(|| self.local_sdp.clone());
                let j = (self.dialog.local_cseq as f64 * 0.618_033_988_75).fract();
                self.reinvite_retry_at = Some(now + self.glare_delay(j));
            }
            481 | 408 => self.end(Some(resp.code), &reason_of(resp)),
            _ => {}
        }
    }

    fn is_reinvite(&self, sent: &Request) -> bool {
        self.reinvite_in_flight && sent.cseq().ok().map(|c| c.0) == self.reinvite_cseq
    }

    /// A client nonce: our random tag (drawn by the caller) with the CSeq, unique per request.
    fn cnonce(&self) -> String {
        format!("{}{}", self.dialog.local_tag, self.dialog.local_cseq)
    }

    fn send_invite(&mut self) {
        let mut req = self.dialog.request(Method::INVITE);
        req.headers.insert(Name::CONTACT, format!("<{}>", self.contact));
        req.headers.insert(super::message::name("Supported"), TAG_100REL.to_string());
        for (k, v) in &self.extra_headers {
            req.headers.insert(super::message::name(k), v.clone());
        }
        if let Some(sdp) = &self.local_sdp {
            req.set_body("application/sdp", sdp.clone());
        }
        if self.auth.has_credentials_cached() {
            let cnonce = self.cnonce();
            self.auth.authorize(&mut req, &cnonce);
        }
        self.invite_sent = None;
        self.provisional_seen = false;
        self.requests.push_back(req);
    }

    /// CANCEL copies the INVITE's Request-URI, Call-ID, From, To, Route, top Via, CSeq number.
    fn send_cancel(&mut self) {
        if self.cancel_sent {
            return;
        }
        let Some(inv) = &self.invite_sent else { return };
        self.cancel_sent = true;
        let mut c = Request::new(Method::CANCEL, inv.uri.clone());
        for name in [Name::VIA, Name::FROM, Name::TO, Name::CALL_ID] {
            if let Some(v) = inv.header(&name) {
                c.headers.insert(name, v.to_string());
            }
        }
        for r in inv.headers.get_raw(&Name::ROUTE) {
            c.headers.insert(Name::ROUTE, r.as_str().to_string());
        }
        let num = inv.cseq().map(|c| c.0).unwrap_or(1);
        c.headers.insert(Name::CSEQ, format!("{num} CANCEL"));
        c.headers.insert(Name::MAX_FORWARDS, "70");
        self.requests.push_back(c);
    }

    /// ACK for a 2xx: a new transaction-less request in the dialog with the INVITE's CSeq.
    fn ack_for(&self, sent: &Request, resp: &Response) -> Request {
        let mut ack = Request::new(Method::ACK, self.dialog.remote_target.clone());
        for r in &self.dialog.route_set {
            ack.headers.insert(Name::ROUTE, r.clone());
        }
        let mut from = NameAddr::new(self.dialog.local_uri.clone());
        from.set_param("tag", Some(&self.dialog.local_tag));
        ack.headers.insert(Name::FROM, from.to_header());
        ack.headers.insert(Name::TO, resp.header(&Name::TO).unwrap_or_default().to_string());
        ack.headers.insert(Name::CALL_ID, self.dialog.call_id.clone());
        let num = sent.cseq().map(|c| c.0).unwrap_or(self.dialog.local_cseq);
        ack.headers.insert(Name::CSEQ, format!("{num} ACK"));
        for h in [Name::AUTHORIZATION, Name::PROXY_AUTHORIZATION] {
            if let Some(v) = sent.header(&h) {
                ack.headers.insert(h, v.to_string());
            }
        }
        ack
    }

    fn respond(&mut self, code: u16, reason: &str, sdp: Option<Bytes>) {
        let mut r = self.build_response(code, reason, sdp);
        if code >= 200 {
            self.stop_reliable();
        } else if !self.make_reliable(&mut r) {
            return;
        }
        let is_invite = self.incoming_invite.as_ref().is_some_and(|r| r.method == Method::INVITE);
        if (200..300).contains(&code) && is_invite {
            self.final_2xx = Some(r.clone());
        }
        self.responses.push_back(r);
    }

    fn build_response(&self, code: u16, reason: &str, sdp: Option<Bytes>) -> Response {
        let req = self.incoming_invite.as_ref().expect("callee sessions always hold their INVITE");
        let mut r = Response::to_request(req, code, reason, Some(&self.dialog.local_tag));
        for rr in req.headers.get_raw(&Name::RECORD_ROUTE) {
            r.headers.insert(Name::RECORD_ROUTE, rr.as_str().to_string());
        }
        if code > 100 && code < 300 {
            r.headers.insert(Name::CONTACT, format!("<{}>", self.contact));
        }
        if (200..300).contains(&code)
            && let Some(se) = session_timer_answer(req)
        {
            // RFC 4028 §9: the caller refreshes; we keep no timer of our own.
            r.headers.insert(super::message::name("Session-Expires"), se);
            r.headers.insert(super::message::name("Require"), "timer".to_string());
        }
        if let Some(b) = sdp {
            r.set_body("application/sdp", b);
        }
        r
    }

    fn end(&mut self, code: Option<u16>, reason: &str) {
        if self.state == CallState::Ended {
            return;
        }
        self.state = CallState::Ended;
        self.stop_reliable();
        self.retransmit_at = None;
        self.reinvite_retry_at = None;
        self.events.push_back(CallEvent::Ended { code, reason: reason.to_string() });
    }
}

/// The Session-Expires of our 2xx when the request asks for a session timer and the caller
/// supports `timer` (then it is the refresher): its interval with `refresher=uac`.
fn session_timer_answer(req: &Request) -> Option<String> {
    let se = req.header(&super::message::name("Session-Expires"))?;
    let supported = req
        .headers
        .get_raw(&super::message::name("Supported"))
        .any(|v| v.as_str().split(',').any(|t| t.trim().eq_ignore_ascii_case("timer")));
    let secs: u32 = se.split(';').next()?.trim().parse().ok()?;
    supported.then(|| format!("{secs};refresher=uac"))
}

fn reason_of(resp: &Response) -> String {
    let phrase = if resp.reason.is_empty() {
        match resp.code {
            404 => "Not Found",
            480 => "Temporarily Unavailable",
            486 => "Busy Here",
            487 => "Request Terminated",
            488 => "Not Acceptable Here",
            600 => "Busy Everywhere",
            603 => "Decline",
            _ => "",
        }
    } else {
        resp.reason.as_str()
    };
    format!("{} {phrase}", resp.code).trim().to_string()
}
