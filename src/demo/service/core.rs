//! The demo service's core, sans-IO: datagrams in (`handle_datagram`), timers
//! (`handle_timeout`), datagrams out (`poll_transmit`) and RTP sockets to open or close
//! (`poll_media`), with the driver contract of [`crate::ua`]. It runs the transaction layer
//! of our SIP core, the registrar, the presence agent and the calls, and drives the
//! simulated office ([`DemoOffice`]) whose lamp changes become NOTIFYs.

use super::bodies::{DialogIds, dialog_body, presence_body};
use super::calls::Call;
use super::notifier::{Notifier, SubKey, SubscribeOutcome};
use super::outside::OutCall;
use super::registrar::Registrar;
use crate::api::Event;
use crate::demo::office::{DOMAIN, DemoOffice, OWN_EXT};
use crate::presence::{Freshness, LineState};
use crate::sip::message::{Request, Response, SipMessage, error_response};
use crate::sip::transaction::{ClientEvent, Incoming, ServerKey, TimerConfig, TransactionLayer, TxEvent};
use crate::sip::transport::{Destination, Transmit, TransportKind};
use crate::sip::via::BRANCH_COOKIE;
use crate::ua::lamps::Package;
use ezk_sip_types::{Method, Name};
use rand::SeedableRng;
use rand::rngs::StdRng;
use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// The methods the service answers (Allow).
pub const ALLOW: &str = "INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, SUBSCRIBE, PUBLISH";

/// What the service is and whom it serves.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    /// The console's extension.
    pub user: String,
    /// Its password (digest authentication of REGISTER).
    pub password: String,
    /// The SIP domain (never resolved).
    pub domain: String,
    /// How many simulated colleagues.
    pub colleagues: usize,
    /// Seed of the simulated day (the same seed replays the same changes).
    pub seed: u64,
    /// How much faster than real time the office lives (1.0 = real time; tests use more).
    pub speed: f64,
    /// T1/T2/T4 of the transaction layer.
    pub timers: TimerConfig,
}

impl Default for ServiceConfig {
    /// Extension 1000 with password `demo` in [`DOMAIN`], the [`crate::demo::COLLEAGUES`]
    /// colleagues of the console's demo seed, in real time.
    fn default() -> Self {
        Self {
            user: OWN_EXT.to_owned(),
            password: "demo".to_owned(),
            domain: DOMAIN.to_owned(),
            colleagues: crate::demo::COLLEAGUES,
            seed: crate::ui::DEMO_SEED,
            speed: 1.0,
            timers: TimerConfig::default(),
        }
    }
}

/// An RTP socket the driver opens or closes for a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaRequest {
    /// Open an echoing RTP socket for call `call` and report it with
    /// [`ServiceCore::media_opened`] (or [`ServiceCore::media_failed`]).
    Open {
        /// The call (its Call-ID).
        call: String,
    },
    /// The call ended: stop echoing and close the socket.
    Close {
        /// The call.
        call: String,
    },
}

/// The demo SIP service.
pub struct ServiceCore {
    pub(super) cfg: ServiceConfig,
    pub(super) local: SocketAddr,
    start: Instant,
    pub(super) rng: StdRng,
    pub(super) txl: TransactionLayer,
    registrar: Registrar,
    notifier: Notifier,
    pub(super) office: DemoOffice,
    /// Line states the service's own calls impose on colleagues (over the simulation's).
    pub(super) overrides: HashMap<usize, LineState>,
    pub(super) ring_ids: HashMap<usize, DialogIds>,
    pub(super) calls: Vec<Call>,
    /// Outside callers ringing the console (at most one at a time).
    pub(super) outgoing: Vec<OutCall>,
    pub(super) transmits: VecDeque<Transmit>,
    pub(super) media: VecDeque<MediaRequest>,
}

impl ServiceCore {
    /// A service listening at `local` (its SIP socket), started at `now`; `seed` feeds tags,
    /// branches and nonces.
    pub fn new(mut cfg: ServiceConfig, local: SocketAddr, now: Instant, seed: u64) -> Self {
        cfg.speed = if cfg.speed.is_finite() { cfg.speed.clamp(0.01, 100.0) } else { 1.0 };
        let mut office = DemoOffice::new(cfg.seed, cfg.colleagues);
        // Starts the day: every colleague gets a first state (no watcher yet to tell).
        office.handle_timeout(Duration::ZERO);
        while office.poll_event().is_some() {}
        Self {
            registrar: Registrar::new(&cfg.user, &cfg.password, &cfg.domain),
            txl: TransactionLayer::new(cfg.timers),
            cfg,
            local,
            start: now,
            rng: StdRng::seed_from_u64(seed),
            notifier: Notifier::new(),
            office,
            overrides: HashMap::new(),
            ring_ids: HashMap::new(),
            calls: Vec::new(),
            outgoing: Vec::new(),
            transmits: VecDeque::new(),
            media: VecDeque::new(),
        }
    }

    /// The simulated office (colleagues, their lamps).
    pub fn office(&self) -> &DemoOffice {
        &self.office
    }

    /// The Contact the console registered, if its binding is live.
    pub fn registered_contact(&self, now: Instant) -> Option<String> {
        self.registrar.binding(now).map(|b| b.contact.clone())
    }

    /// Number of live subscriptions.
    pub fn subscriptions(&self) -> usize {
        self.notifier.len()
    }

    /// Number of calls in progress (to the service and from outside callers).
    pub fn calls(&self) -> usize {
        self.calls.len() + self.outgoing.len()
    }

    /// Where requests to the console go, and its contact, while it is registered.
    pub(super) fn registrar_binding(&self, now: Instant) -> Option<(Destination, String)> {
        self.registrar.binding(now).map(|b| (b.source, b.contact.clone()))
    }

    /// A datagram from `from`. Keep-alives are ignored; a message that does not parse is
    /// logged and dropped (a request readable enough gets its 400 first).
    pub fn handle_datagram(&mut self, now: Instant, from: SocketAddr, data: &[u8]) {
        if data.iter().all(|b| *b == b'\r' || *b == b'\n') {
            return;
        }
        let source = Destination { transport: TransportKind::Udp, addr: from };
        match SipMessage::parse(data) {
            Err(e) => {
                tracing::info!(%from, error = %e, "demo service: malformed datagram dropped");
                if let Some(resp) = error_response(data, &e) {
                    self.transmits.push_back(Transmit { dest: source, data: resp });
                }
            }
            Ok(msg) => match self.txl.handle_message(now, msg, source) {
                Incoming::Request { key: Some(key), request, source } => self.on_request(now, key, request, source),
                Incoming::Request { key: None, request, .. } => self.on_ack(&request),
                Incoming::Absorbed | Incoming::Matched | Incoming::StrayResponse(_) => {}
            },
        }
        self.drain_transactions(now);
    }

    /// Fires what is due at `now`: transaction timers, the office's changes, expiries, and
    /// the calls' steps.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.txl.handle_timeout(now);
        // The office's deadline went f64 → Duration → our clock and back: allow for the
        // rounding on both sides (or its deadline would stay due and the driver spin).
        let (t, due) = (self.office_time(now), self.office.poll_timeout());
        if t + Duration::from_millis(1) >= due {
            self.office.handle_timeout(t.max(due) + Duration::from_micros(1));
            self.drain_office(now);
        }
        for key in self.notifier.expired(now) {
            self.notify(now, key, Some("timeout"));
        }
        for ext in self.notifier.expire_publications(now) {
            self.changed_ext(now, &ext);
        }
        self.call_timers(now);
        self.outside_timers(now);
        self.drain_transactions(now);
    }

    /// Next datagram to send.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// Next RTP socket to open or close.
    pub fn poll_media(&mut self) -> Option<MediaRequest> {
        self.media.pop_front()
    }

    /// When [`ServiceCore::handle_timeout`] must run next.
    pub fn poll_timeout(&mut self) -> Option<Instant> {
        let office = self.start + self.office.poll_timeout().div_f64(self.cfg.speed);
        let calls = [self.calls_timeout(), self.outside_timeout()];
        [self.txl.poll_timeout(), self.notifier.poll_timeout(), Some(office)].into_iter().chain(calls).flatten().min()
    }

    fn office_time(&self, now: Instant) -> Duration {
        now.saturating_duration_since(self.start).mul_f64(self.cfg.speed)
    }

    /// A random token from the service's generator.
    pub(super) fn token(&mut self, len: usize) -> String {
        crate::sip::random_token(&mut self.rng, len)
    }

    /// Our Contact URI for `user`.
    pub(super) fn contact(&self, user: &str) -> String {
        format!("sip:{user}@{}", self.local)
    }

    /// The index of colleague `ext`.
    pub(super) fn colleague(&self, ext: &str) -> Option<usize> {
        self.office.colleagues().iter().position(|c| c.ext == ext)
    }

    /// Colleague `i`'s line: a call of the service's own, else the simulation's.
    pub(super) fn line(&self, i: usize) -> LineState {
        match self.overrides.get(&i) {
            Some(l) => l.clone(),
            None => self.office.lamps().get(i).map(|l| l.line.clone()).unwrap_or(LineState::Unknown),
        }
    }

    pub(super) fn respond(&mut self, now: Instant, key: &ServerKey, resp: Response) {
        self.txl.respond(now, key, &resp);
    }

    pub(super) fn send_request(&mut self, now: Instant, req: Request, dest: Destination) {
        self.txl.send_request(now, req, dest);
    }

    pub(super) fn branch(&mut self) -> String {
        format!("{BRANCH_COOKIE}{}", self.token(16))
    }

    fn on_request(&mut self, now: Instant, key: ServerKey, req: Request, source: Destination) {
        let to_tag = self.token(10);
        let m = req.method.clone();
        if m == Method::REGISTER {
            let nonce = self.token(24);
            let resp = self.registrar.handle(now, &req, source, &nonce, &to_tag);
            self.respond(now, &key, resp);
        } else if m == Method::OPTIONS {
            let mut r = Response::to_request(&req, 200, "OK", Some(&to_tag));
            r.headers.insert(Name::ALLOW, ALLOW);
            r.headers.insert(Name::ACCEPT, "application/sdp, application/pidf+xml");
            self.respond(now, &key, r);
        } else if m == Method::SUBSCRIBE {
            self.on_subscribe(now, &key, &req, source, &to_tag);
        } else if m == Method::PUBLISH {
            if crate::sip::addr::uri_user(&req.uri) != Some(self.cfg.user.as_str()) {
                // Only the console publishes here (and the store stays bounded).
                let r = Response::to_request(&req, 403, "Forbidden", Some(&to_tag));
                return self.respond(now, &key, r);
            }
            let etag = self.token(12);
            let (resp, changed) = self.notifier.publish(now, &req, &etag, &to_tag);
            self.respond(now, &key, resp);
            if let Some(ext) = changed {
                self.changed_ext(now, &ext);
            }
        } else if m == Method::INVITE {
            self.on_invite(now, key, req, source, &to_tag);
        } else if m == Method::BYE {
            self.on_bye(now, &key, &req);
        } else if m == Method::CANCEL {
            self.on_cancel(now, &key, &req);
        } else {
            let known = ["NOTIFY", "REFER", "MESSAGE", "INFO", "UPDATE", "PRACK"];
            let (code, reason) = if known.iter().any(|k| m.to_string().eq_ignore_ascii_case(k)) {
                (405, "Method Not Allowed")
            } else {
                (501, "Not Implemented")
            };
            let mut r = Response::to_request(&req, code, reason, Some(&to_tag));
            r.headers.insert(Name::ALLOW, ALLOW);
            self.respond(now, &key, r);
        }
    }

    fn on_subscribe(&mut self, now: Instant, key: &ServerKey, req: &Request, source: Destination, to_tag: &str) {
        let user = crate::sip::addr::uri_user(&req.uri).unwrap_or_default().to_owned();
        if let Some(i) = self.colleague(&user)
            && let Some(Freshness::Failed(_)) = self.office.lamps().get(i).map(|l| &l.freshness)
        {
            // The simulation's "subscription refused" colleagues.
            let r = Response::to_request(req, 403, "Forbidden", Some(to_tag));
            return self.respond(now, key, r);
        }
        let own = self.cfg.user.clone();
        let exts: Vec<String> = self.office.colleagues().iter().map(|c| c.ext.clone()).collect();
        let local = self.local;
        let outcome = self.notifier.subscribe(
            now,
            req,
            source,
            to_tag,
            |u| u == own || exts.iter().any(|e| e == u),
            |u| format!("sip:{u}@{local}"),
        );
        match outcome {
            SubscribeOutcome::Accepted { response, key: sub, ending } => {
                self.respond(now, key, response);
                self.notify(now, sub, ending.then_some(""));
            }
            SubscribeOutcome::Refused(r) => self.respond(now, key, r),
        }
    }

    /// Sends subscription `key` its NOTIFY with the current state (`ending`: terminated).
    fn notify(&mut self, now: Instant, key: SubKey, ending: Option<&str>) {
        let Some(sub) = self.notifier.get(key) else { return };
        let (ext, package, version) = (sub.ext.clone(), sub.package, sub.version + 1);
        let body = self.body_for(&ext, package, version);
        let branch = self.branch();
        let contact = self.contact(&ext);
        let body = body.as_ref().map(|(t, b)| (*t, b.clone()));
        if let Some((req, dest)) = self.notifier.notify(now, key, body, ending, self.local, &branch, &contact) {
            self.send_request(now, req, dest);
        }
    }

    /// The current body of `ext` for `package` (`None`: nothing known, no body).
    fn body_for(&self, ext: &str, package: Package, version: u32) -> Option<(&'static str, String)> {
        let entity = format!("sip:{ext}@{}", self.cfg.domain);
        let (status, note, line, ids) = match self.colleague(ext) {
            Some(i) => {
                let lamp = &self.office.lamps()[i];
                (lamp.status.clone(), lamp.note.clone(), self.line(i), self.ring_ids.get(&i))
            }
            None => {
                // The console's own entity: what it published; its line is not simulated.
                return match package {
                    Package::Presence => self
                        .notifier
                        .published(ext)
                        .map(|b| ("application/pidf+xml", String::from_utf8_lossy(b).into_owned())),
                    Package::Dialog => Some((
                        "application/dialog-info+xml",
                        dialog_body(&entity, &self.cfg.domain, version, &LineState::Idle, None),
                    )),
                };
            }
        };
        match package {
            Package::Presence => {
                presence_body(&entity, &status, note.as_deref(), &line).map(|b| ("application/pidf+xml", b))
            }
            Package::Dialog => {
                Some(("application/dialog-info+xml", dialog_body(&entity, &self.cfg.domain, version, &line, ids)))
            }
        }
    }

    /// Colleague `i` changed: fresh ids for a new ringing dialog, then every watcher hears.
    pub(super) fn changed(&mut self, now: Instant, i: usize) {
        if matches!(self.line(i), LineState::Ringing { .. }) {
            if !self.ring_ids.contains_key(&i) {
                let ids = DialogIds { call_id: self.token(16), local_tag: self.token(8), remote_tag: self.token(8) };
                self.ring_ids.insert(i, ids);
            }
        } else {
            self.ring_ids.remove(&i);
        }
        if let Some(ext) = self.office.colleagues().get(i).map(|c| c.ext.clone()) {
            self.tell_watchers(now, &ext);
        }
    }

    fn changed_ext(&mut self, now: Instant, ext: &str) {
        match self.colleague(ext) {
            Some(i) => self.changed(now, i),
            None => self.tell_watchers(now, ext),
        }
    }

    fn tell_watchers(&mut self, now: Instant, ext: &str) {
        for (key, _) in self.notifier.watching(ext) {
            self.notify(now, key, None);
        }
    }

    /// Turns the office's lamp events into NOTIFYs and its calls for the console into
    /// outside callers (its other events concern its own simulated console and are dropped).
    pub(super) fn drain_office(&mut self, now: Instant) {
        let mut changed = Vec::new();
        let mut callers = Vec::new();
        while let Some(e) = self.office.poll_event() {
            match e {
                Event::Lamp(l) => {
                    if let Some(i) = self.colleague(&l.ext)
                        && !changed.contains(&i)
                    {
                        changed.push(i);
                    }
                }
                Event::Call { direction, state, remote, .. } if direction == "in" && state == "ringing" => {
                    callers.push(remote)
                }
                _ => {}
            }
        }
        for i in changed {
            self.changed(now, i);
        }
        for remote in callers {
            self.outside_call(now, &remote);
        }
    }

    pub(super) fn office_now(&self, now: Instant) -> Duration {
        self.office_time(now)
    }

    /// Transaction events (NOTIFY answers) and the datagrams to send.
    pub(super) fn drain_transactions(&mut self, now: Instant) {
        // Bounded: answering an event queues requests, never further events of its own.
        let mut invites = Vec::new();
        while let Some(ev) = self.txl.poll_event() {
            let TxEvent::Client { request, event, .. } = ev else { continue };
            if request.method == Method::INVITE {
                let resp = match event {
                    ClientEvent::Response(r) => Some(r),
                    ClientEvent::Timeout | ClientEvent::TransportError => None,
                };
                invites.push((request.call_id().to_owned(), resp));
                continue;
            }
            if request.method != Method::NOTIFY {
                continue;
            }
            let failed = match &event {
                ClientEvent::Response(r) => r.code >= 300,
                ClientEvent::Timeout | ClientEvent::TransportError => true,
            };
            if failed && let Some(tag) = request.from_tag() {
                // The watcher is gone or refuses (481): forget its subscription.
                if let Some(key) = self.notifier.key_of(request.call_id(), &tag) {
                    tracing::debug!(call_id = request.call_id(), "demo service: subscription dropped");
                    self.notifier.remove(key);
                }
            }
        }
        for (call_id, resp) in invites {
            self.outside_response(now, &call_id, resp.as_ref());
        }
        while let Some(t) = self.txl.poll_transmit() {
            self.transmits.push_back(t);
        }
    }
}
