//! The calls of one account: INVITE sessions with their server transactions, routing of
//! in-dialog requests, SDP offer/answer (RFC 3264) and the media plans the engine turns into
//! RTP.

use super::policy::{Disposition, PolicyHandle, caller_number};
use crate::api::Event;
use crate::sdp::{self, Codec, Direction, LocalMedia, Negotiated, SessionDescription};
use crate::sip::auth::Authenticator;
use crate::sip::invite::{CallEvent, CallState, InviteSession, Outgoing, Role};
use crate::sip::message::{Request, Response};
use crate::sip::transaction::{ServerKey, TimerConfig};
use bytes::Bytes;
use ezk_sip_types::Method;
use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::time::Instant;

/// What the engine must do with a call's media.
#[derive(Debug, Clone, PartialEq)]
pub enum MediaAction {
    /// Start (or retarget) RTP for a call on the engine's socket bound at `local`.
    Start {
        /// The call.
        id: String,
        /// Our RTP address.
        local: SocketAddr,
        /// The negotiated codec, addresses and directions.
        negotiated: Negotiated,
    },
    /// Stop the call's media and report its statistics.
    Stop {
        /// The call.
        id: String,
    },
    /// Send DTMF digits (RFC 4733).
    Dtmf {
        /// The call.
        id: String,
        /// Digits.
        digits: String,
    },
}

pub(super) struct Call {
    pub(super) session: InviteSession,
    pub(super) invite_cseq: Option<u32>,
    pub(super) invite_key: Option<ServerKey>,
    pub(super) reinvite_key: Option<ServerKey>,
    pub(super) local: Option<SocketAddr>,
    pub(super) local_sdp: Option<SessionDescription>,
    pub(super) media_on: bool,
    pub(super) held: bool,
    pub(super) direction: &'static str,
    pub(super) remote: String,
    pub(super) caller: String,
    /// The reason our policy gave for forwarding or rejecting the call (reported at its end).
    pub(super) disposed: Option<String>,
    /// When an unanswered incoming call counts as rung out (call forward no answer).
    pub(super) no_answer_at: Option<Instant>,
    /// A forward announced with 181 whose 302 is still to come (see `forward.rs`).
    pub(super) forward_at: Option<super::forward::PendingForward>,
    /// Transfer state of this call.
    pub(super) transfer: super::transfer::CallTransfer,
}

/// Every call of one account.
pub struct Calls {
    pub(super) calls: BTreeMap<String, Call>,
    next: u64,
    codecs: Vec<Codec>,
    media: VecDeque<MediaAction>,
    pub(super) events: VecDeque<Event>,
    out_requests: VecDeque<(String, Request)>,
    out_responses: VecDeque<(ServerKey, Response)>,
    pub(super) policy: Option<PolicyHandle>,
    /// Our own address of record (for Diversion, Referred-By).
    pub(super) aor: String,
    pub(super) domain: String,
    /// Calls the engine must give an RTP socket to (transfers, replacements).
    pub(super) binds: VecDeque<super::transfer::Bind>,
}

/// SIP extensions we implement (a `Require` naming anything else gets 420).
const SUPPORTED_EXTENSIONS: [&str; 2] = ["replaces", crate::sip::invite::TAG_100REL];

/// The extensions an INVITE requires that we do not implement, comma-separated.
fn unsupported_required(invite: &Request) -> Option<String> {
    let missing: Vec<String> = invite
        .headers
        .get_raw(&crate::sip::message::name("Require"))
        .flat_map(|v| v.as_str().split(',').map(|t| t.trim().to_ascii_lowercase()).collect::<Vec<_>>())
        .filter(|t| !t.is_empty() && !SUPPORTED_EXTENSIONS.contains(&t.as_str()))
        .collect();
    (!missing.is_empty()).then(|| missing.join(", "))
}

/// Codecs the media layer can run (others are never offered or accepted).
pub fn supported_codecs() -> Vec<Codec> {
    vec![
        Codec::new("opus", 48000, 2),
        Codec::new("G722", 8000, 1),
        Codec::new("PCMU", 8000, 1),
        Codec::new("PCMA", 8000, 1),
    ]
}

impl Calls {
    /// No calls yet; `codecs` in order of preference.
    pub fn new(codecs: Vec<Codec>) -> Self {
        Self {
            calls: BTreeMap::new(),
            next: 1,
            codecs,
            media: VecDeque::new(),
            events: VecDeque::new(),
            out_requests: VecDeque::new(),
            out_responses: VecDeque::new(),
            policy: None,
            aor: String::new(),
            domain: String::new(),
            binds: VecDeque::new(),
        }
    }

    /// The codecs for calls started from now on, in order of preference.
    pub fn set_codecs(&mut self, codecs: Vec<Codec>) {
        self.codecs = codecs;
    }

    /// The forwarding rules that act on incoming calls; `aor` and `domain` are ours (for the
    /// Diversion header and targets given as bare numbers).
    pub fn set_policy(&mut self, policy: Option<PolicyHandle>, aor: &str, domain: &str) {
        self.policy = policy;
        self.aor = aor.to_string();
        self.domain = domain.to_string();
    }

    fn local_media(&self, local: SocketAddr, id_seed: u64) -> LocalMedia {
        LocalMedia::new((id_seed & 0x7fff_ffff) as u32, local.ip(), local.port(), &self.codecs, &supported_codecs())
    }

    /// Starts an outgoing call offering media on `local`; returns its id.
    pub fn dial(&mut self, o: Outgoing, local: SocketAddr, auth: Authenticator, cfg: TimerConfig) -> String {
        self.dial_call(o, local, auth, cfg)
    }

    pub(super) fn dial_call(
        &mut self,
        mut o: Outgoing,
        local: SocketAddr,
        auth: Authenticator,
        cfg: TimerConfig,
    ) -> String {
        let id = format!("c{}", self.next);
        self.next += 1;
        let offer = sdp::create_offer(&self.local_media(local, self.next * 7919));
        o.sdp = Bytes::from(offer.to_bytes());
        let remote = o.remote_uri.clone();
        let session = InviteSession::call(o, auth, cfg);
        self.calls.insert(
            id.clone(),
            Call {
                session,
                invite_cseq: None,
                invite_key: None,
                reinvite_key: None,
                local: Some(local),
                local_sdp: Some(offer),
                media_on: false,
                held: false,
                direction: "out",
                remote,
                caller: String::new(),
                disposed: None,
                no_answer_at: None,
                forward_at: None,
                transfer: Default::default(),
            },
        );
        self.report(&id, "calling", None, None);
        id
    }

    /// A new INVITE outside any dialog, received through server transaction `key`: the
    /// policy (forwarding rules) decides whether it rings, is forwarded or rejected.
    pub fn incoming(
        &mut self,
        now: Instant,
        invite: &Request,
        key: ServerKey,
        contact: &str,
        tag: String,
        cfg: TimerConfig,
    ) {
        let id = format!("c{}", self.next);
        self.next += 1;
        let session = InviteSession::incoming_unannounced(invite, contact, tag, cfg);
        let remote = invite
            .from_addr()
            .map(|a| match a.display {
                Some(d) => format!("{d} <{}>", a.uri),
                None => a.uri,
            })
            .unwrap_or_default();
        self.calls.insert(
            id.clone(),
            Call {
                session,
                invite_cseq: invite.cseq().ok().map(|c| c.0),
                invite_key: Some(key),
                reinvite_key: None,
                local: None,
                local_sdp: None,
                media_on: false,
                held: false,
                direction: "in",
                remote: remote.clone(),
                caller: caller_number(invite),
                disposed: None,
                no_answer_at: None,
                forward_at: None,
                transfer: Default::default(),
            },
        );
        if let Some(ext) = unsupported_required(invite) {
            if let Some(c) = self.calls.get_mut(&id) {
                c.session.reject_bad_extension(&ext);
            }
            self.drain(&id);
            return;
        }
        if self.incoming_replaces(&id, invite) {
            return;
        }
        let busy = self.in_another_call();
        match self.consult(&id, busy, false) {
            Disposition::Ring => {
                let timeout = self.policy.as_ref().and_then(|p| p.0.ring_timeout());
                if let Some(c) = self.calls.get_mut(&id) {
                    c.no_answer_at = timeout.map(|t| now + t);
                    c.session.ring_at(now);
                }
                self.report(&id, "ringing", None, None);
            }
            d => self.dispose(now, &id, d),
        }
    }

    /// True when a call other than the one being decided is in progress (the policy's "busy").
    pub(super) fn in_another_call(&self) -> bool {
        self.calls.values().filter(|c| c.session.state() != CallState::Ended).count() > 1
    }

    /// Answers an incoming call with media on `local`; 488 when no codec is in common.
    pub fn answer(&mut self, now: Instant, id: &str, local: SocketAddr) {
        let lm = self.local_media(local, self.next * 104_729);
        let Some(c) = self.calls.get_mut(id) else { return };
        if c.session.state() != CallState::Incoming {
            return;
        }
        let offer = c.session.remote_offer().and_then(|b| SessionDescription::parse(&b).ok());
        let Some(offer) = offer else {
            c.session.reject(488, "Not Acceptable Here", None);
            return;
        };
        match sdp::answer_offer(&offer, &lm) {
            Ok((answer, negotiated)) => {
                c.local = Some(local);
                c.session.answer(now, Bytes::from(answer.to_bytes()));
                c.local_sdp = Some(answer);
                c.media_on = true;
                self.media.push_back(MediaAction::Start { id: id.to_string(), local, negotiated });
            }
            Err(e) => c.session.reject(e.status_code(), "Not Acceptable Here", None),
        }
    }

    /// Rejects a ringing incoming call.
    pub fn reject(&mut self, id: &str, code: u16) {
        if let Some(c) = self.calls.get_mut(id) {
            let reason = match code {
                486 => "Busy Here",
                480 => "Temporarily Unavailable",
                _ => "Decline",
            };
            c.session.reject(code, reason, None);
        }
    }

    /// Hangs up.
    pub fn hangup(&mut self, id: &str) {
        if let Some(c) = self.calls.get_mut(id) {
            c.session.hangup();
        }
    }

    /// Hold (`true`: re-INVITE sendonly) or resume.
    pub fn hold(&mut self, id: &str, hold: bool) {
        let Some(c) = self.calls.get_mut(id) else { return };
        let Some(prev) = c.local_sdp.clone() else { return };
        let next = if hold { sdp::hold_offer(&prev) } else { sdp::resume_offer(&prev) };
        c.held = hold;
        c.session.reinvite(Bytes::from(next.to_bytes()));
        c.local_sdp = Some(next);
    }

    /// Sends DTMF on an answered call.
    pub fn dtmf(&mut self, id: &str, digits: &str) {
        if self.calls.get(id).is_some_and(|c| c.media_on) {
            self.media.push_back(MediaAction::Dtmf { id: id.to_string(), digits: digits.to_string() });
        }
    }

    /// Routes a request to the call it belongs to (by dialog, or CANCEL by the INVITE's
    /// branch). Returns `false` when no call takes it.
    pub fn handle_request(&mut self, now: Instant, req: &Request, key: Option<ServerKey>) -> bool {
        let found = if req.method == Method::CANCEL {
            let branch = req.top_via().and_then(|v| v.branch().map(str::to_string));
            self.calls.iter().find(|(_, c)| c.invite_key.as_ref().map(|k| Some(&k.branch)) == Some(branch.as_ref()))
        } else {
            let local = req.to_tag();
            let remote = req.from_tag();
            self.calls.iter().find(|(_, c)| {
                let d = c.session.dialog();
                d.call_id == req.call_id() && local.as_deref() == Some(d.local_tag.as_str()) && remote == d.remote_tag
            })
        };
        let Some(id) = found.map(|(id, _)| id.clone()) else { return false };
        let Some(c) = self.calls.get_mut(&id) else { return false };
        if req.method == Method::INVITE || (req.method == Method::UPDATE && !req.body.is_empty()) {
            c.reinvite_key = key.clone();
        }
        if let Some(resp) = c.session.handle_request(now, req)
            && let Some(k) = key
        {
            self.out_responses.push_back((k, resp));
        }
        self.drain(&id);
        true
    }

    /// A response to a request a call sent.
    pub fn handle_response(&mut self, now: Instant, sent: &Request, resp: &Response) {
        if let Some(id) = self.find_by_request(sent) {
            if let Some(c) = self.calls.get_mut(&id) {
                c.session.handle_response(now, sent, resp);
            }
            self.drain(&id);
        }
    }

    /// A request a call sent got no answer.
    pub fn handle_no_response(&mut self, sent: &Request, reason: &str) {
        if let Some(id) = self.find_by_request(sent) {
            if let Some(c) = self.calls.get_mut(&id) {
                c.session.handle_no_response(sent, reason);
            }
            self.drain(&id);
        }
    }

    /// A request of a call went out with its Via (for CANCEL).
    pub fn on_sent(&mut self, id: &str, req: &Request) {
        if let Some(c) = self.calls.get_mut(id) {
            c.session.on_sent(req);
        }
    }

    /// Timers of every call (and the ring timeout of call forward no answer).
    pub fn handle_timeout(&mut self, now: Instant) {
        self.policy_timeout(now);
        let due: Vec<String> = self
            .calls
            .iter()
            .filter(|(_, c)| c.session.poll_timeout().is_some_and(|t| t <= now))
            .map(|(id, _)| id.clone())
            .collect();
        for id in due {
            if let Some(c) = self.calls.get_mut(&id) {
                c.session.handle_timeout(now);
            }
            self.drain(&id);
        }
    }

    /// The earliest timer of any call.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let forward = self.calls.values().filter_map(|c| c.forward_at.as_ref().map(|f| f.at));
        self.calls.values().flat_map(|c| [c.session.poll_timeout(), c.no_answer_at]).flatten().chain(forward).min()
    }

    /// Drains every call (after a command).
    pub fn drain_all(&mut self) {
        let ids: Vec<String> = self.calls.keys().cloned().collect();
        for id in ids {
            self.drain(&id);
        }
    }

    /// Next request to send: (call id, request without Via).
    pub fn poll_request(&mut self) -> Option<(String, Request)> {
        self.out_requests.pop_front()
    }

    /// Next response to send through a server transaction.
    pub fn poll_response(&mut self) -> Option<(ServerKey, Response)> {
        self.out_responses.pop_front()
    }

    /// Next media action for the engine.
    pub fn poll_media(&mut self) -> Option<MediaAction> {
        self.media.pop_front()
    }

    /// Next event for clients.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// True when no call is left.
    pub fn is_empty(&self) -> bool {
        self.calls.is_empty()
    }

    /// Hangs up every call (on shutdown).
    pub fn hangup_all(&mut self) {
        let ids: Vec<String> = self.calls.keys().cloned().collect();
        for id in ids {
            self.hangup(&id);
            self.drain(&id);
        }
    }

    fn find_by_request(&self, sent: &Request) -> Option<String> {
        let tag = sent.from_tag()?;
        self.calls
            .iter()
            .find(|(_, c)| c.session.dialog().call_id == sent.call_id() && c.session.dialog().local_tag == tag)
            .map(|(id, _)| id.clone())
    }

    pub(super) fn drain(&mut self, id: &str) {
        let Some(c) = self.calls.get_mut(id) else { return };
        while let Some(r) = c.session.poll_request() {
            self.out_requests.push_back((id.to_string(), r));
        }
        while let Some(r) = c.session.poll_response() {
            // Responses to the initial INVITE go through its transaction, the others
            // through the re-INVITE's.
            let initial = r.cseq().map(|x| Some(x.0) == c.invite_cseq).unwrap_or(false);
            let key = if initial { c.invite_key.clone() } else { c.reinvite_key.clone() };
            if let Some(k) = key {
                self.out_responses.push_back((k, r));
            }
        }
        let mut evs = Vec::new();
        while let Some(e) = c.session.poll_event() {
            evs.push(e);
        }
        for e in evs {
            self.on_call_event(id, e);
        }
    }

    fn on_call_event(&mut self, id: &str, e: CallEvent) {
        self.transfer_follow_up(id, &e);
        match e {
            e @ (CallEvent::ReferAnswered { .. } | CallEvent::ReferProgress { .. } | CallEvent::Referred { .. }) => {
                self.on_transfer_event(id, e);
            }
            CallEvent::Ringing { sdp } => {
                let state = if sdp.is_some() { "early" } else { "ringing" };
                self.report(id, state, None, None);
            }
            CallEvent::Answered { sdp } => {
                let Some(c) = self.calls.get_mut(id) else { return };
                if c.session.role() == Role::Caller {
                    let answer = sdp.and_then(|b| SessionDescription::parse(&b).ok());
                    let neg = match (&c.local_sdp, answer) {
                        (Some(offer), Some(ans)) => sdp::process_answer(offer, &ans).map_err(|e| e.to_string()),
                        _ => Err("the answer carries no usable SDP".to_string()),
                    };
                    match (neg, c.local) {
                        (Ok(negotiated), Some(local)) => {
                            c.media_on = true;
                            self.media.push_back(MediaAction::Start { id: id.to_string(), local, negotiated });
                        }
                        (Err(why), _) => {
                            tracing::warn!(%why, "unusable SDP answer: hanging up");
                            c.session.hangup();
                        }
                        (Ok(_), None) => c.session.hangup(),
                    }
                }
                self.report(id, "answered", None, None);
                self.drain(id);
            }
            CallEvent::Reoffer { sdp } => {
                let Some(c) = self.calls.get_mut(id) else { return };
                let offer = SessionDescription::parse(&sdp).ok();
                let lm_local = c.local;
                let prev = c.local_sdp.clone();
                if let (Some(offer), Some(local), Some(prev)) = (offer, lm_local, prev) {
                    let mut lm = LocalMedia::new(1, local.ip(), local.port(), &self.codecs, &supported_codecs());
                    if c.held {
                        // Their re-INVITE must not end our own hold.
                        lm.direction = Direction::SendOnly;
                    }
                    let answered = sdp::answer_reoffer(&prev, &offer, &lm);
                    if let Err(e) = &answered {
                        c.session.refuse_reinvite(e.status_code(), "Not Acceptable Here");
                    }
                    if let Ok((answer, negotiated)) = answered {
                        let held =
                            !negotiated.remote_direction.sends() || negotiated.remote_direction == Direction::Inactive;
                        c.session.answer_reinvite(Bytes::from(answer.to_bytes()));
                        c.local_sdp = Some(answer);
                        self.media.push_back(MediaAction::Start { id: id.to_string(), local, negotiated });
                        self.report(id, if held { "held" } else { "answered" }, None, None);
                    }
                }
                self.drain(id);
            }
            CallEvent::Reanswered { sdp } => {
                let Some(c) = self.calls.get_mut(id) else { return };
                let answer = sdp.and_then(|b| SessionDescription::parse(&b).ok());
                if let (Some(offer), Some(ans), Some(local)) = (c.local_sdp.clone(), answer, c.local)
                    && let Ok(negotiated) = sdp::process_answer(&offer, &ans)
                {
                    self.media.push_back(MediaAction::Start { id: id.to_string(), local, negotiated });
                }
                let held = c.held;
                self.report(id, if held { "held" } else { "answered" }, None, None);
            }
            CallEvent::Ended { code, reason } => {
                let media_on = self.calls.get(id).is_some_and(|c| c.media_on);
                if media_on {
                    self.media.push_back(MediaAction::Stop { id: id.to_string() });
                }
                let reason = self.calls.get(id).and_then(|c| c.disposed.clone()).unwrap_or(reason);
                self.report(id, "ended", code, Some(reason));
                // Keep the session a little for retransmissions? The server transaction
                // layer absorbs them; the call itself is done.
                self.calls.remove(id);
            }
        }
    }

    pub(super) fn report(&mut self, id: &str, state: &str, code: Option<u16>, reason: Option<String>) {
        let Some(c) = self.calls.get(id) else { return };
        self.events.push_back(Event::Call {
            id: id.to_string(),
            state: state.to_string(),
            direction: c.direction.to_string(),
            remote: c.remote.clone(),
            code,
            reason,
        });
    }
}
