//! Generic subscriptions (RFC 6665) for many resources at once, sans-IO.
//!
//! Event packages are kept out: bodies are handed up untouched. Everything is keyed on the
//! SIP dialog (Call-ID + our tag), never on a body's `entity`.
//!
//! - **Pacing**: every SUBSCRIBE (initial, refresh, retry, un-SUBSCRIBE) leaves through one
//!   queue at `rate` per second with at most `window` transactions in flight, so a PBX never
//!   sees a burst; refreshes are spread by jitter (80–90 % of the granted time).
//! - NOTIFY before the 2xx creates the dialog; a NOTIFY for no subscription gets 481.
//! - `Subscription-State: terminated` per reason: `deactivated`/`timeout` → re-subscribe at
//!   once; `rejected`/`noresource` → stop and report; `probation`/`giveup` → after `retry-after`.
//! - 481 / 408 / 5xx / timeouts / network loss → a fresh subscription after a backoff, the
//!   lamp marked stale meanwhile; 401/407 answered once per challenge; 423 → Min-Expires.

use super::auth::{Authenticator, is_stale};
use super::dialog::Dialog;
use super::message::{Request, Response};
use super::random_token;
use super::registration::refresh_delay;
use bytes::Bytes;
use ezk_sip_types::{Method, Name};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::time::{Duration, Instant};

/// Pacing and lifetime settings.
#[derive(Debug, Clone)]
pub struct SubscribeConfig {
    /// Requested subscription lifetime in seconds.
    pub expires: u32,
    /// SUBSCRIBE requests per second at most (initial, refresh and retry alike).
    pub rate: f64,
    /// SUBSCRIBE transactions in flight at most.
    pub window: usize,
    /// First retry delay after a failure.
    pub backoff_base: Duration,
    /// Largest retry delay.
    pub backoff_max: Duration,
}

impl Default for SubscribeConfig {
    /// 20 SUBSCRIBEs per second, 10 in flight: gentle enough for a UCM (1,000 lamps in ~50 s).
    fn default() -> Self {
        Self {
            expires: 3600,
            rate: 20.0,
            window: 10,
            backoff_base: Duration::from_secs(2),
            backoff_max: Duration::from_secs(30),
        }
    }
}

/// How much faster than `rate` un-SUBSCRIBEs go out on exit.
pub const UNSUBSCRIBE_SPEEDUP: f64 = 5.0;

/// Identifies one subscription (stable across re-subscriptions of the same resource).
pub type SubId = usize;

/// Where a subscription stands, as clients see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubStatus {
    /// Waiting for the server (queued, sent, or `pending`).
    Pending,
    /// Active: NOTIFYs flow.
    Active,
    /// Was active; now being re-established (the last state may be outdated).
    Stale(String),
    /// Stopped for good (rejected, no such resource, unsupported event…).
    Failed {
        /// Status code when a response said so.
        code: Option<u16>,
        /// Why.
        reason: String,
    },
    /// Ended on request (un-SUBSCRIBE).
    Ended,
}

/// Output of the subscription manager.
#[derive(Debug, Clone)]
pub enum SubEvent {
    /// A NOTIFY arrived (already answered 200): its body for the event package.
    Notify {
        /// Which subscription.
        id: SubId,
        /// Content-Type, if any.
        content_type: Option<String>,
        /// The body (may be empty: RFC 6665 allows body-less NOTIFYs).
        body: Bytes,
    },
    /// A list subscription was answered as a plain resource (no `Require: eventlist`):
    /// the caller falls back to one subscription per member. The subscription is ended.
    NotAList {
        /// Which subscription.
        id: SubId,
    },
    /// The subscription's status changed.
    Status {
        /// Which subscription.
        id: SubId,
        /// The new status.
        status: SubStatus,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Queued,
    Sent,
    Pending,
    Active,
    Backoff,
    Done,
}

#[derive(Debug)]
struct Sub {
    resource: String,
    event: String,
    accept: String,
    dialog: Dialog,
    phase: Phase,
    expires: u32,
    timer: Option<Instant>,
    expires_at: Option<Instant>,
    failures: u32,
    challenges: u32,
    sending: bool,
    eventlist: bool,
    unsubscribing: bool,
    was_active: bool,
}

/// All subscriptions of one account.
pub struct SubscriptionManager {
    cfg: SubscribeConfig,
    aor: String,
    contact: String,
    auth: Authenticator,
    rng: StdRng,
    subs: Vec<Sub>,
    by_dialog: HashMap<(String, String), SubId>,
    ready: VecDeque<SubId>,
    next_send: Option<Instant>,
    in_flight: usize,
    shutting_down: bool,
    heap: BinaryHeap<Reverse<(Instant, SubId)>>,
    outbox: VecDeque<Request>,
    events: VecDeque<SubEvent>,
}

impl SubscriptionManager {
    /// A manager for `aor` whose Contact is `contact`; `seed` feeds Call-IDs, tags, jitter.
    pub fn new(cfg: SubscribeConfig, aor: String, contact: String, auth: Authenticator, seed: u64) -> Self {
        Self {
            cfg,
            aor,
            contact,
            auth,
            rng: StdRng::seed_from_u64(seed),
            subs: Vec::new(),
            by_dialog: HashMap::new(),
            ready: VecDeque::new(),
            next_send: None,
            in_flight: 0,
            shutting_down: false,
            heap: BinaryHeap::new(),
            outbox: VecDeque::new(),
            events: VecDeque::new(),
        }
    }

    /// Subscribes to a resource list (RFC 4662): `Supported: eventlist` and multipart/RLMI
    /// accepted besides `accept`. A server that answers it as a plain resource (no
    /// `Require: eventlist` on the NOTIFY) is reported by [`SubEvent::NotAList`].
    pub fn add_list(&mut self, list: &str, event: &str, accept: &str) -> SubId {
        let accept = format!("multipart/related, application/rlmi+xml, {accept}");
        let id = self.add(list, event, &accept);
        self.subs[id].eventlist = true;
        id
    }

    /// Ends one subscription (un-SUBSCRIBE when established).
    pub fn remove(&mut self, id: SubId) {
        let Some(s) = self.subs.get_mut(id) else { return };
        s.timer = None;
        if matches!(s.phase, Phase::Active | Phase::Pending) && s.dialog.confirmed && !s.sending {
            s.unsubscribing = true;
            s.phase = Phase::Queued;
            self.ready.push_back(id);
        } else {
            s.phase = Phase::Done;
        }
    }

    /// Subscribes to `event` of `resource` (a SIP URI); queued behind the pacer.
    pub fn add(&mut self, resource: &str, event: &str, accept: &str) -> SubId {
        let id = self.subs.len();
        let dialog = self.new_dialog(resource);
        self.subs.push(Sub {
            resource: resource.to_string(),
            event: event.to_string(),
            accept: accept.to_string(),
            dialog,
            phase: Phase::Queued,
            expires: self.cfg.expires,
            timer: None,
            expires_at: None,
            failures: 0,
            challenges: 0,
            sending: false,
            eventlist: false,
            unsubscribing: false,
            was_active: false,
        });
        self.index(id);
        self.ready.push_back(id);
        id
    }

    /// The resource and event of a subscription.
    pub fn describe(&self, id: SubId) -> Option<(&str, &str)> {
        self.subs.get(id).map(|s| (s.resource.as_str(), s.event.as_str()))
    }

    /// Number of subscriptions (any state).
    pub fn len(&self) -> usize {
        self.subs.len()
    }

    /// True when there is none.
    pub fn is_empty(&self) -> bool {
        self.subs.is_empty()
    }

    /// Our Contact changed (new local address): later requests carry the new one.
    pub fn set_contact(&mut self, contact: String) {
        self.contact = contact;
    }

    /// Ends every subscription: un-SUBSCRIBE where one is established, paced at
    /// [`UNSUBSCRIBE_SPEEDUP`] times the rate (at most 200 per second) so that quitting with
    /// a thousand lamps takes seconds, not minutes.
    pub fn unsubscribe_all(&mut self) {
        self.ready.clear();
        self.shutting_down = true;
        for id in 0..self.subs.len() {
            let s = &mut self.subs[id];
            s.timer = None;
            if matches!(s.phase, Phase::Active | Phase::Pending) && s.dialog.confirmed {
                s.unsubscribing = true;
                s.phase = Phase::Queued;
                self.ready.push_back(id);
            } else if s.phase == Phase::Sent {
                // The answer decides: a 2xx is followed by an un-SUBSCRIBE (handle_response).
                s.timer = None;
            } else if s.phase != Phase::Done {
                s.phase = Phase::Done;
                self.events.push_back(SubEvent::Status { id, status: SubStatus::Ended });
            }
        }
    }

    /// Fetches the full state again (a refresh inside the dialog), e.g. after a version gap
    /// in partial dialog-info.
    pub fn resync(&mut self, id: SubId) {
        let Some(s) = self.subs.get_mut(id) else { return };
        if matches!(s.phase, Phase::Active | Phase::Pending) && !s.sending && !s.unsubscribing {
            s.phase = Phase::Queued;
            s.timer = None;
            self.ready.push_back(id);
        }
    }

    /// True when nothing is queued or in flight (shutdown may proceed).
    pub fn is_quiet(&self) -> bool {
        self.ready.is_empty() && self.in_flight == 0
    }

    /// SUBSCRIBEs per second the pacer allows now.
    pub fn effective_rate(&self) -> f64 {
        let r = self.cfg.rate.max(0.001);
        if self.shutting_down { (r * UNSUBSCRIBE_SPEEDUP).min(200.0).max(r) } else { r }
    }

    /// How many SUBSCRIBEs are waiting for the pacer.
    pub fn queued(&self) -> usize {
        self.ready.len()
    }

    /// The flow to the server broke: every live subscription is stale and is re-established
    /// (a new dialog: the server may have lost its state) after a backoff.
    pub fn handle_network_lost(&mut self, now: Instant) {
        self.in_flight = 0;
        self.ready.clear();
        for s in &mut self.subs {
            s.sending = false;
        }
        for id in 0..self.subs.len() {
            // Already waiting to retry: repeated losses must not push the retry further out.
            if matches!(self.subs[id].phase, Phase::Done | Phase::Backoff) {
                continue;
            }
            self.restart(id, now, "connection to the server lost", None);
        }
    }

    /// A response to a SUBSCRIBE we sent.
    pub fn handle_response(&mut self, now: Instant, sent: &Request, resp: &Response) {
        if resp.code < 200 {
            return;
        }
        let Some(id) = self.find(sent) else { return };
        self.settle(id);
        let s = &mut self.subs[id];
        if resp.code != 401 && resp.code != 407 {
            s.challenges = 0;
        }
        match resp.code {
            200..=299 => {
                s.dialog.on_response(resp);
                s.failures = 0;
                let granted =
                    resp.header(&Name::EXPIRES).and_then(|v| v.trim().parse::<u32>().ok()).unwrap_or(s.expires);
                if self.shutting_down && !s.unsubscribing && granted > 0 {
                    // Answered after we decided to quit: end it at once, or the server keeps
                    // notifying us for the whole lifetime.
                    s.unsubscribing = true;
                    s.phase = Phase::Queued;
                    self.ready.push_back(id);
                    return;
                }
                if s.unsubscribing || granted == 0 {
                    // Un-SUBSCRIBE answered (the terminating NOTIFY may still come).
                    s.phase = Phase::Done;
                    s.timer = None;
                    self.events.push_back(SubEvent::Status { id, status: SubStatus::Ended });
                    return;
                }
                if s.phase == Phase::Sent {
                    s.phase = Phase::Pending;
                }
                let j = self.rng.random::<f64>();
                let s = &mut self.subs[id];
                s.expires_at = Some(now + Duration::from_secs(granted as u64));
                s.timer = Some(now + refresh_delay(granted, j));
                self.arm(id);
            }
            401 | 407 => {
                let again = s.challenges > 0;
                s.challenges += 1;
                match self.auth.handle_challenge(resp) {
                    Ok(()) if !again || is_stale(resp) => self.send_now(id),
                    Ok(()) => self.fail(id, Some(resp.code), "wrong user name or password".into()),
                    Err(e) => self.fail(id, Some(resp.code), e.to_string()),
                }
            }
            423 => match resp.header(&Name::MIN_EXPIRES).and_then(|v| v.trim().parse::<u32>().ok()) {
                Some(m) if m > s.expires => {
                    s.expires = m;
                    self.send_now(id);
                }
                _ => self.fail(id, Some(423), "423 without a usable Min-Expires".into()),
            },
            481 => {
                // The notifier forgot the dialog: subscribe afresh, at once.
                self.restart(id, now, "subscription lost by the server (481)", Some(Duration::ZERO));
            }
            408 | 480 | 500..=599 => {
                let after = retry_after(resp.header(&Name::RETRY_AFTER));
                let why = format!("{} {}", resp.code, resp.reason);
                self.restart(id, now, &why, after);
            }
            _ => {
                let why = format!("{} {}", resp.code, resp.reason);
                self.fail(id, Some(resp.code), why);
            }
        }
    }

    /// A SUBSCRIBE got no answer, or the transport failed.
    pub fn handle_no_response(&mut self, now: Instant, sent: &Request, reason: &str) {
        let Some(id) = self.find(sent) else { return };
        self.settle(id);
        if self.subs[id].unsubscribing {
            self.subs[id].phase = Phase::Done;
            self.events.push_back(SubEvent::Status { id, status: SubStatus::Ended });
            return;
        }
        self.restart(id, now, reason, None);
    }

    /// An incoming NOTIFY; returns the status code and reason to answer it with.
    pub fn handle_notify(&mut self, now: Instant, req: &Request) -> (u16, &'static str) {
        let key = (req.call_id().to_string(), req.to_tag().unwrap_or_default());
        let Some(&id) = self.by_dialog.get(&key) else {
            return (481, "Subscription Does Not Exist");
        };
        let event = req.header(&Name::EVENT).unwrap_or("").split(';').next().unwrap_or("").trim().to_string();
        let s = &mut self.subs[id];
        if !event.eq_ignore_ascii_case(&s.event) {
            return (489, "Bad Event");
        }
        if !s.dialog.on_request(req) {
            return (500, "Stale CSeq");
        }
        let state = req.header(&Name::SUBSCRIPTION_STATE).unwrap_or("active").to_string();
        let (value, params) = split_state(&state);
        if s.phase == Phase::Done {
            return (200, "OK");
        }
        if s.eventlist && !s.unsubscribing {
            let require = req.header(&Name::REQUIRE).unwrap_or("").to_ascii_lowercase();
            if !require.split(',').any(|t| t.trim() == "eventlist") {
                s.eventlist = false;
                self.events.push_back(SubEvent::NotAList { id });
                self.remove(id);
                return (200, "OK");
            }
        }
        if !req.body.is_empty() || value != "terminated" {
            self.events.push_back(SubEvent::Notify {
                id,
                content_type: req.header(&Name::CONTENT_TYPE).map(str::to_string),
                body: req.body.clone(),
            });
        }
        let s = &mut self.subs[id];
        match value.as_str() {
            "active" | "pending" => {
                let new_phase = if value == "active" { Phase::Active } else { Phase::Pending };
                if s.phase != new_phase && !s.unsubscribing {
                    s.phase = new_phase;
                    if new_phase == Phase::Active {
                        s.was_active = true;
                    }
                    let status = if new_phase == Phase::Active { SubStatus::Active } else { SubStatus::Pending };
                    self.events.push_back(SubEvent::Status { id, status });
                }
                let s = &mut self.subs[id];
                // The notifier may only shorten the subscription (RFC 6665 §4.2.2).
                if let Some(exp) = param_u64(&params, "expires").map(|e| e.min(s.expires as u64)) {
                    let at = now + Duration::from_secs(exp);
                    s.expires_at = Some(at);
                    let refresh = now + refresh_delay(exp as u32, 0.5);
                    if s.timer.is_none_or(|t| t > refresh) && !s.sending {
                        s.timer = Some(refresh);
                        self.arm(id);
                    }
                }
            }
            _ => {
                let reason = params.iter().find(|(k, _)| k == "reason").map(|(_, v)| v.clone()).unwrap_or_default();
                let after = param_u64(&params, "retry-after").map(|r| Duration::from_secs(r.min(MAX_RETRY_AFTER)));
                if s.unsubscribing {
                    s.phase = Phase::Done;
                    self.events.push_back(SubEvent::Status { id, status: SubStatus::Ended });
                } else {
                    match reason.as_str() {
                        "deactivated" | "timeout" => {
                            self.restart(id, now, &format!("terminated ({reason})"), Some(Duration::ZERO))
                        }
                        "rejected" | "noresource" => {
                            self.fail(id, None, format!("terminated by the server ({reason})"))
                        }
                        "probation" | "giveup" => self.restart(id, now, &format!("terminated ({reason})"), after),
                        _ => self.restart(id, now, "terminated by the server", after),
                    }
                }
            }
        }
        (200, "OK")
    }

    /// Refresh, retry and expiry timers.
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some(Reverse((at, id))) = self.heap.peek().copied() {
            if at > now {
                break;
            }
            self.heap.pop();
            let s = &mut self.subs[id];
            if s.timer != Some(at) {
                continue;
            }
            s.timer = None;
            if s.sending {
                // The refresh did not come back before the subscription ran out.
                self.restart(id, now, "subscription expired", Some(Duration::ZERO));
                continue;
            }
            match s.phase {
                Phase::Active | Phase::Pending | Phase::Backoff => {
                    s.phase = Phase::Queued;
                    self.ready.push_back(id);
                }
                Phase::Sent | Phase::Queued | Phase::Done => {}
            }
        }
        self.pace(now);
    }

    /// Sends what the pacer allows now.
    pub fn pace(&mut self, now: Instant) {
        while self.in_flight < self.cfg.window && !self.ready.is_empty() {
            if self.next_send.is_some_and(|t| t > now) {
                break;
            }
            let Some(id) = self.ready.pop_front() else {
                break;
            };
            if self.subs[id].phase != Phase::Queued {
                continue;
            }
            // At most one SUBSCRIBE per interval: after a quiet spell the first goes at once.
            let interval = Duration::from_secs_f64(1.0 / self.effective_rate());
            let base = self.next_send.map_or(now, |t| t.max(now));
            self.next_send = Some(base + interval);
            self.send_now(id);
        }
    }

    /// When `handle_timeout` is next due.
    pub fn poll_timeout(&mut self) -> Option<Instant> {
        while let Some(Reverse((at, id))) = self.heap.peek().copied() {
            if self.subs[id].timer == Some(at) {
                break;
            }
            self.heap.pop();
        }
        let timer = self.heap.peek().map(|Reverse((at, _))| *at);
        let pacer = if !self.ready.is_empty() && self.in_flight < self.cfg.window { self.next_send } else { None };
        [timer, pacer].into_iter().flatten().min()
    }

    /// The next SUBSCRIBE to send (without Via).
    pub fn poll_request(&mut self) -> Option<Request> {
        self.outbox.pop_front()
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<SubEvent> {
        self.events.pop_front()
    }

    fn new_dialog(&mut self, resource: &str) -> Dialog {
        let call_id = format!("{}@lampboard", random_token(&mut self.rng, 20));
        let tag = random_token(&mut self.rng, 10);
        Dialog::new_uac(call_id, tag, self.aor.clone(), resource.to_string())
    }

    fn index(&mut self, id: SubId) {
        let d = &self.subs[id].dialog;
        self.by_dialog.insert((d.call_id.clone(), d.local_tag.clone()), id);
    }

    fn find(&self, sent: &Request) -> Option<SubId> {
        let key = (sent.call_id().to_string(), sent.from_tag()?);
        let id = *self.by_dialog.get(&key)?;
        let cseq = sent.cseq().ok()?.0;
        (self.subs[id].dialog.local_cseq == cseq).then_some(id)
    }

    fn arm(&mut self, id: SubId) {
        if let Some(t) = self.subs[id].timer {
            self.heap.push(Reverse((t, id)));
        }
    }

    fn send_now(&mut self, id: SubId) {
        let s = &mut self.subs[id];
        let expires = if s.unsubscribing { 0 } else { s.expires };
        let mut req = s.dialog.request(Method::SUBSCRIBE);
        req.headers.insert(Name::EVENT, s.event.clone());
        req.headers.insert(Name::ACCEPT, s.accept.clone());
        req.headers.insert(Name::EXPIRES, expires.to_string());
        req.headers.insert(Name::CONTACT, format!("<{}>", self.contact));
        if s.eventlist {
            req.headers.insert(Name::SUPPORTED, "eventlist");
        }
        if self.auth.has_credentials_cached() {
            let cnonce = random_token(&mut self.rng, 16);
            self.auth.authorize(&mut req, &cnonce);
        }
        let s = &mut self.subs[id];
        if matches!(s.phase, Phase::Queued | Phase::Backoff) && !s.was_active_dialog() {
            s.phase = Phase::Sent;
        } else if s.phase == Phase::Queued {
            s.phase = if s.was_active { Phase::Active } else { Phase::Pending };
        }
        // If nothing comes back before the subscription would run out, start over.
        s.timer = s.expires_at.filter(|_| !s.unsubscribing);
        if !s.sending {
            s.sending = true;
            self.in_flight += 1;
        }
        self.arm(id);
        self.outbox.push_back(req);
    }

    /// The SUBSCRIBE transaction of `id` is over (answered, timed out, or abandoned).
    fn settle(&mut self, id: SubId) {
        if std::mem::take(&mut self.subs[id].sending) {
            self.in_flight = self.in_flight.saturating_sub(1);
        }
    }

    /// Starts over with a new dialog after `delay` (backoff when `None`); the lamp is stale.
    fn restart(&mut self, id: SubId, now: Instant, why: &str, delay: Option<Duration>) {
        self.settle(id);
        let fresh = self.new_dialog(&self.subs[id].resource.clone());
        let s = &mut self.subs[id];
        let old = (s.dialog.call_id.clone(), s.dialog.local_tag.clone());
        s.dialog = fresh;
        s.failures += 1;
        s.challenges = 0;
        s.expires_at = None;
        let exp = self.cfg.backoff_base.saturating_mul(1 << s.failures.min(16).saturating_sub(1));
        let backoff = exp.min(self.cfg.backoff_max).mul_f64(0.5 + 0.5 * self.rng.random::<f64>());
        let delay = match delay {
            // Repeated immediate restarts back off too (no hot loop against a broken server).
            Some(d) if d.is_zero() && s.failures > 3 => backoff,
            Some(d) => d,
            None => backoff,
        };
        let s = &mut self.subs[id];
        if delay.is_zero() {
            s.phase = Phase::Queued;
            s.timer = None;
            self.ready.push_back(id);
        } else {
            s.phase = Phase::Backoff;
            s.timer = Some(now + delay);
        }
        self.by_dialog.remove(&old);
        self.index(id);
        self.arm(id);
        let status = if self.subs[id].was_active { SubStatus::Stale(why.to_string()) } else { SubStatus::Pending };
        self.events.push_back(SubEvent::Status { id, status });
    }

    fn fail(&mut self, id: SubId, code: Option<u16>, reason: String) {
        self.settle(id);
        let s = &mut self.subs[id];
        s.phase = Phase::Done;
        s.timer = None;
        self.events.push_back(SubEvent::Status { id, status: SubStatus::Failed { code, reason } });
    }
}

impl Sub {
    /// True once a dialog exists (a refresh goes inside it).
    fn was_active_dialog(&self) -> bool {
        self.dialog.confirmed
    }
}

fn retry_after(v: Option<&str>) -> Option<Duration> {
    let secs = v?.split([';', ' ', '(']).next()?.trim().parse::<u64>().ok()?;
    Some(Duration::from_secs(secs.min(MAX_RETRY_AFTER)))
}

/// Longest retry-after honoured (a day): peer-supplied values must not overflow the clock.
const MAX_RETRY_AFTER: u64 = 86_400;

/// `active;expires=600` → ("active", [("expires","600")]).
fn split_state(v: &str) -> (String, Vec<(String, String)>) {
    let mut parts = v.split(';');
    let value = parts.next().unwrap_or("").trim().to_ascii_lowercase();
    let params = parts
        .filter_map(|p| {
            let (k, val) = p.split_once('=').unwrap_or((p, ""));
            let k = k.trim().to_ascii_lowercase();
            (!k.is_empty()).then(|| (k, val.trim().trim_matches('"').to_ascii_lowercase()))
        })
        .collect();
    (value, params)
}

fn param_u64(params: &[(String, String)], name: &str) -> Option<u64> {
    params.iter().find(|(k, _)| k == name).and_then(|(_, v)| v.parse().ok())
}
