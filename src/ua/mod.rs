//! The sans-IO user agent: composes the transaction layer, the registration and keep-alives
//! for one account, and turns them into [`api::Event`]s.
//!
//! # The driver contract (for every sans-IO type in Lampboard)
//!
//! 1. Feed input with one `handle_*(now, …)` call (a command, a datagram, a transport
//!    error, or `handle_timeout` when the deadline has passed).
//! 2. Drain *all* output: `poll_transmit()` until `None`, then `poll_event()` until `None`.
//! 3. Sleep until `poll_timeout()` (or until new input arrives), then go to 1.
//!
//! The core never reads the clock or draws randomness of its own: `now` is an argument and
//! the RNG is seeded by the caller, so every scenario can run on a virtual clock.

pub mod calls;
pub mod feature_codes;
pub mod forward;
pub mod lamps;
pub mod policy;
pub mod transfer;

use crate::api::Event;
use crate::presence::publish::build_pidf;
use crate::presence::status::UserStatus;
use crate::sip::addr::NameAddr;
use crate::sip::auth::Authenticator;
use crate::sip::auth::Credentials;
use crate::sip::invite::Outgoing;
use crate::sip::message::{Request, Response, SipMessage};
use crate::sip::publication::{PubEvent, Publication};
pub use crate::sip::random_token;
use crate::sip::registration::{RegEvent, RegState, Registration, RegistrationConfig};
use crate::sip::subscription::{SubEvent, SubscribeConfig, SubscriptionManager};
use crate::sip::transaction::{ClientEvent, Incoming, TimerConfig, TransactionLayer, TxEvent};
use crate::sip::transport::{self, Destination, KEEPALIVE_PING, Transmit, TransportKind};
use crate::sip::via::{BRANCH_COOKIE, Via};
use bytes::Bytes;
use calls::{Calls, MediaAction};
use ezk_sip_types::{Method, Name};
use lamps::{Followup, LampBook, Package};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// What a client can do to a call besides answering it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallAction {
    /// Reject a ringing call with this status code.
    Reject(u16),
    /// Hang up.
    Hangup,
    /// Hold (re-INVITE, sendonly).
    Hold,
    /// Resume.
    Resume,
    /// Send DTMF digits.
    Dtmf(String),
    /// Send a ringing incoming call on to this number or URI (302, call deflection).
    Forward(String),
}

/// The methods we answer (Allow): only what works end to end.
const ALLOW: &str = "INVITE, ACK, CANCEL, BYE, OPTIONS, NOTIFY, REFER";

/// The product name and version in User-Agent.
pub const USER_AGENT: &str = concat!("Lampboard/", env!("CARGO_PKG_VERSION"));

/// One SIP account as the core needs it.
#[derive(Debug, Clone)]
pub struct AccountConfig {
    /// The user part (extension), e.g. `1001`.
    pub user: String,
    /// The SIP domain (the AOR's host), e.g. `pbx.example` or `127.0.0.1`.
    pub domain: String,
    /// Authentication user name (defaults to `user`).
    pub auth_user: Option<String>,
    /// The password.
    pub password: String,
    /// Display name.
    pub display_name: Option<String>,
    /// Requested registration lifetime.
    pub expires: u32,
    /// Interval of CRLF keep-alives towards the server (0 = off).
    pub keepalive: Duration,
    /// Subscription lifetime and pacing.
    pub subscribe: SubscribeConfig,
    /// Audio codecs in order of preference (only those the media layer runs are used).
    pub codecs: Vec<crate::sdp::Codec>,
    /// The PBX's feature codes (pickup, park, presence…); UCM defaults.
    pub feature_codes: feature_codes::FeatureCodes,
}

impl AccountConfig {
    /// An account with the defaults: 600 s registrations, CRLF keep-alive every 25 s, the
    /// default subscription pacing, and every codec the media layer runs.
    pub fn new(user: &str, domain: &str, password: &str) -> Self {
        Self {
            user: user.into(),
            domain: domain.into(),
            auth_user: None,
            password: password.into(),
            display_name: None,
            expires: 600,
            keepalive: Duration::from_secs(25),
            subscribe: SubscribeConfig::default(),
            codecs: calls::supported_codecs(),
            feature_codes: Default::default(),
        }
    }

    /// The address of record, `sip:user@domain`.
    pub fn aor(&self) -> String {
        format!("sip:{}@{}", self.user, self.domain)
    }
}

/// The user agent of one account.
pub struct UserAgent {
    account: AccountConfig,
    server: Destination,
    local: SocketAddr,
    /// host and port of our Contact/Via (a NAT mapping once learnt).
    public: (String, u16),
    txl: TransactionLayer,
    reg: Registration,
    subs: SubscriptionManager,
    publication: Option<Publication>,
    own_status: Option<UserStatus>,
    lamps: LampBook,
    calls: Calls,
    rng: StdRng,
    keepalive_at: Option<Instant>,
    last_transport_error: Option<String>,
    transmits: VecDeque<Transmit>,
    events: VecDeque<Event>,
}

impl UserAgent {
    /// A user agent that talks to `server` from the local address `local`.
    /// `seed` feeds every random string (Call-ID, tags, branches, cnonces, jitter).
    pub fn new(account: AccountConfig, server: Destination, local: SocketAddr, timers: TimerConfig, seed: u64) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let public = (transport::host_for_uri(&local.ip()), local.port());
        let contact = contact_uri(&account.user, &public, server.transport);
        let creds = Credentials {
            username: account.auth_user.clone().unwrap_or_else(|| account.user.clone()),
            password: account.password.clone(),
        };
        let mut rc = RegistrationConfig::new(&account.aor(), &format!("sip:{}", account.domain), &contact, creds);
        rc.expires = account.expires;
        rc.display_name = account.display_name.clone();
        rc.instance_id = Some(uuid(&mut rng));
        rc.reg_id = Some(1);
        let call_id = format!("{}@lampboard", random_token(&mut rng, 20));
        let tag = random_token(&mut rng, 10);
        let auth = Authenticator::new(rc.credentials.clone());
        let codecs = account.codecs.clone();
        let reg = Registration::new(rc, call_id, tag);
        let subs = SubscriptionManager::new(account.subscribe.clone(), account.aor(), contact, auth, rng.random());
        Self {
            account,
            server,
            local,
            public,
            txl: TransactionLayer::new(timers),
            reg,
            subs,
            publication: None,
            own_status: None,
            lamps: LampBook::default(),
            calls: Calls::new(codecs),
            rng,
            keepalive_at: None,
            last_transport_error: None,
            transmits: VecDeque::new(),
            events: VecDeque::new(),
        }
    }

    /// The codecs offered and accepted in calls started from now on, best first (only those
    /// the media layer runs are used); running calls keep theirs.
    pub fn set_codecs(&mut self, codecs: Vec<crate::sdp::Codec>) {
        self.account.codecs = codecs.clone();
        self.calls.set_codecs(codecs);
    }

    /// The forwarding rules that act on incoming calls (DND, CFU, CFB, CFNA), or none.
    pub fn set_policy(&mut self, policy: Option<policy::PolicyHandle>) {
        let aor = self.account.aor();
        self.calls.set_policy(policy, &aor, &self.account.domain);
    }

    /// The address of record.
    pub fn aor(&self) -> String {
        self.account.aor()
    }

    /// The local address Via and Contact are built from.
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// The registration state.
    pub fn registration_state(&self) -> RegState {
        self.reg.state()
    }

    /// Starts registering.
    pub fn register(&mut self, now: Instant) {
        self.events.push_back(Event::Registering {
            aor: self.aor(),
            server: self.server.addr.to_string(),
            transport: self.server.transport,
        });
        let c = self.cnonce();
        self.reg.start(&c);
        self.pump(now);
    }

    /// Watches colleagues: `targets` are extensions (in our domain) or SIP URIs.
    pub fn watch(&mut self, now: Instant, targets: &[String], events: &[String], list: Option<&str>) {
        let pkgs: Vec<Package> = events.iter().filter_map(|e| Package::from_event(e)).collect();
        let list = list.map(|l| target_uri(l, &self.account.domain));
        for t in targets {
            let uri = target_uri(t, &self.account.domain);
            let idx = self.lamps.add(t, &uri);
            if list.is_some() {
                continue; // the list brings them; individual subscriptions only as a fallback
            }
            for p in &pkgs {
                let id = self.subs.add(&uri, p.event(), p.accept());
                self.lamps.link(idx, id, *p);
            }
        }
        if let Some(l) = &list {
            for p in &pkgs {
                let id = self.subs.add_list(l, p.event(), p.accept());
                self.lamps.link_list(id, *p);
            }
        }
        for ev in self.lamps.snapshot() {
            self.events.push_back(Event::Lamp(ev));
        }
        self.pump(now);
    }

    /// Publishes our own status (PIDF + RPID, PRESENCE.md §5).
    pub fn set_presence(&mut self, now: Instant, status: UserStatus, note: Option<&str>, etag: Option<String>) {
        let body = build_pidf(&self.aor(), &status, note, false);
        self.own_status = Some(status);
        let seed = self.rng.random();
        let auth = Authenticator::new(self.reg.config().credentials.clone());
        let aor = self.aor();
        let p = self
            .publication
            .get_or_insert_with(|| Publication::new(&aor, "presence", "application/pidf+xml", 3600, auth, seed));
        if let Some(tag) = etag {
            p.resume(tag);
        }
        p.publish(Bytes::from(body));
        self.pump(now);
    }

    /// Calls `target` (an extension in our domain, a number, or a SIP URI) with media on
    /// `local_rtp`; returns the call id.
    pub fn dial(&mut self, now: Instant, target: &str, local_rtp: SocketAddr) -> String {
        self.dial_with(now, target, local_rtp, Vec::new())
    }

    /// Calls `target` with extra INVITE headers (Replaces, Referred-By).
    pub fn dial_with(
        &mut self,
        now: Instant,
        target: &str,
        local_rtp: SocketAddr,
        extra_headers: Vec<(String, String)>,
    ) -> String {
        let remote_uri = target_uri(target, &self.account.domain);
        let o = Outgoing {
            extra_headers,
            local_uri: self.aor(),
            remote_uri,
            contact: contact_uri(&self.account.user, &self.public, self.server.transport),
            sdp: Bytes::new(),
            call_id: format!("{}@lampboard", random_token(&mut self.rng, 20)),
            tag: random_token(&mut self.rng, 10),
        };
        let auth = Authenticator::new(self.reg.config().credentials.clone());
        let id = self.calls.dial(o, local_rtp, auth, self.txl.timer_config());
        self.calls.drain_all();
        self.pump(now);
        id
    }

    /// Answers a ringing call with media on `local_rtp`.
    pub fn answer(&mut self, now: Instant, id: &str, local_rtp: SocketAddr) {
        self.calls.answer(now, id, local_rtp);
        self.calls.drain_all();
        self.pump(now);
    }

    /// Rejects a ringing call, hangs up, holds, resumes or sends DTMF.
    pub fn call_action(&mut self, now: Instant, id: &str, action: CallAction) {
        match action {
            CallAction::Reject(code) => self.calls.reject(id, code),
            CallAction::Hangup => self.calls.hangup(id),
            CallAction::Hold => self.calls.hold(id, true),
            CallAction::Resume => self.calls.hold(id, false),
            CallAction::Dtmf(d) => self.calls.dtmf(id, &d),
            CallAction::Forward(target) => self.calls.deflect(now, id, &target),
        }
        self.calls.drain_all();
        self.pump(now);
    }

    /// Next thing the engine must do with a call's media.
    pub fn poll_media(&mut self) -> Option<MediaAction> {
        self.calls.poll_media()
    }

    /// True when nothing is left to send or wait for (the engine may stop).
    pub fn is_quiet(&self) -> bool {
        !matches!(self.reg.state(), RegState::Unregistering)
            && self.subs.is_quiet()
            && !self.publication.as_ref().is_some_and(|p| p.is_busy())
            && self.calls.is_empty()
    }

    /// How long the queued un-SUBSCRIBEs need at the pacer's rate (to size the shutdown grace).
    pub fn unsubscribe_time(&self) -> Duration {
        Duration::from_secs_f64(self.subs.queued() as f64 / self.subs.effective_rate())
    }

    /// Removes the binding (un-REGISTER), ends subscriptions and the published state.
    pub fn unregister(&mut self, now: Instant) {
        self.shutdown(now, false);
    }

    /// Ends everything; `keep_presence` leaves the published status to expire on the server.
    pub fn shutdown(&mut self, now: Instant, keep_presence: bool) {
        let c = self.cnonce();
        self.calls.hangup_all();
        self.subs.unsubscribe_all();
        if let Some(p) = &mut self.publication
            && !keep_presence
        {
            p.remove();
        }
        self.reg.stop(&c);
        self.keepalive_at = None;
        self.pump(now);
    }

    /// The flow now uses a new local address (a new TCP/TLS connection): Via/Contact follow.
    pub fn handle_local_address(&mut self, now: Instant, local: SocketAddr) {
        if local == self.local {
            return;
        }
        self.local = local;
        self.public = (transport::host_for_uri(&local.ip()), local.port());
        let contact = contact_uri(&self.account.user, &self.public, self.server.transport);
        let c = self.cnonce();
        self.subs.set_contact(contact.clone());
        self.reg.set_contact(contact, &c);
        self.pump(now);
    }

    /// Bytes received from `source` (a datagram or a frame cut from a stream).
    pub fn handle_datagram(&mut self, now: Instant, data: &[u8], source: Destination) {
        if data.iter().all(|b| *b == b'\r' || *b == b'\n') {
            return; // keep-alive pong or ping
        }
        match SipMessage::parse(data) {
            Ok(msg) => match self.txl.handle_message(now, msg, source) {
                Incoming::Request { key: Some(key), request, .. }
                    if request.method == Method::INVITE && request.to_tag().is_none() =>
                {
                    let tag = random_token(&mut self.rng, 10);
                    let contact = contact_uri(&self.account.user, &self.public, self.server.transport);
                    self.calls.incoming(now, &request, key, &contact, tag, self.txl.timer_config());
                    self.calls.drain_all();
                }
                Incoming::Request { key, request, .. } if self.calls.handle_request(now, &request, key.clone()) => {}
                Incoming::Request { key: Some(key), request, .. } => {
                    let resp = if request.method == Method::NOTIFY {
                        let (code, reason) = self.subs.handle_notify(now, &request);
                        let tag = random_token(&mut self.rng, 10);
                        Response::to_request(&request, code, reason, Some(&tag))
                    } else {
                        self.answer_request(&request)
                    };
                    self.txl.respond(now, &key, &resp);
                }
                Incoming::Request { key: None, .. } | Incoming::Absorbed | Incoming::Matched => {}
                Incoming::StrayResponse(r) => {
                    tracing::debug!(code = r.code, "response matches no transaction; dropped");
                }
            },
            Err(e) => {
                tracing::info!(%e, from = %source.addr, "malformed SIP message");
                if let Some(resp) = crate::sip::message::error_response(data, &e) {
                    self.transmits.push_back(Transmit { dest: source, data: resp });
                }
            }
        }
        self.pump(now);
    }

    /// The transport could not deliver to (or lost the flow to) `dest`, for `reason`.
    pub fn handle_transport_error(&mut self, now: Instant, dest: Destination, reason: &str) {
        self.last_transport_error = Some(reason.to_string());
        self.txl.handle_transport_error(dest);
        self.pump(now);
        if dest == self.server {
            let j = self.rng.random::<f64>();
            self.reg.handle_network_lost(now, j);
            self.subs.handle_network_lost(now);
            if let Some(p) = &mut self.publication {
                p.handle_network_lost(now);
            }
            self.pump(now);
        }
    }

    /// Timers are due.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.txl.handle_timeout(now);
        let c = self.cnonce();
        self.reg.handle_timeout(now, &c);
        self.subs.handle_timeout(now);
        self.calls.handle_timeout(now);
        if let Some(p) = &mut self.publication {
            p.handle_timeout(now);
        }
        if self.keepalive_at.is_some_and(|t| t <= now) {
            self.transmits.push_back(Transmit { dest: self.server, data: Bytes::from_static(KEEPALIVE_PING) });
            self.keepalive_at = Some(now + self.account.keepalive);
        }
        self.pump(now);
    }

    /// Next bytes to send.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// Next event for clients.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// When `handle_timeout` is next due.
    pub fn poll_timeout(&mut self) -> Option<Instant> {
        let publication = self.publication.as_ref().and_then(|p| p.poll_timeout());
        [
            self.txl.poll_timeout(),
            self.reg.poll_timeout(),
            self.subs.poll_timeout(),
            self.calls.poll_timeout(),
            publication,
            self.keepalive_at,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Moves output between the layers until nothing is left.
    fn pump(&mut self, now: Instant) {
        loop {
            let mut progressed = false;
            self.subs.pace(now);
            let mut out = Vec::new();
            while let Some(req) = self.reg.poll_request() {
                out.push(req);
            }
            while let Some(req) = self.subs.poll_request() {
                out.push(req);
            }
            if let Some(p) = &mut self.publication {
                while let Some(req) = p.poll_request() {
                    out.push(req);
                }
            }
            for mut req in out {
                self.decorate(&mut req);
                self.txl.send_request(now, req, self.server);
                progressed = true;
            }
            while let Some((id, mut req)) = self.calls.poll_request() {
                self.decorate(&mut req);
                self.calls.on_sent(&id, &req);
                self.txl.send_request(now, req, self.server);
                progressed = true;
            }
            while let Some((key, resp)) = self.calls.poll_response() {
                self.txl.respond(now, &key, &resp);
                progressed = true;
            }
            while let Some(ev) = self.calls.poll_event() {
                self.events.push_back(ev);
                progressed = true;
            }
            while let Some(ev) = self.subs.poll_event() {
                self.handle_sub_event(ev);
                progressed = true;
            }
            let pub_events: Vec<PubEvent> = match &mut self.publication {
                Some(p) => std::iter::from_fn(|| p.poll_event()).collect(),
                None => Vec::new(),
            };
            for ev in pub_events {
                self.handle_pub_event(ev);
                progressed = true;
            }
            while let Some(t) = self.txl.poll_transmit() {
                self.transmits.push_back(t);
                progressed = true;
            }
            while let Some(ev) = self.txl.poll_event() {
                self.handle_tx_event(now, ev);
                progressed = true;
            }
            while let Some(ev) = self.reg.poll_event() {
                self.handle_reg_event(now, ev);
                progressed = true;
            }
            if !progressed {
                break;
            }
        }
    }

    fn handle_tx_event(&mut self, now: Instant, ev: TxEvent) {
        let TxEvent::Client { request, event, .. } = ev else {
            return;
        };
        let why = match &event {
            ClientEvent::Timeout => "no answer from the server (timeout)".to_string(),
            ClientEvent::TransportError => {
                self.last_transport_error.clone().unwrap_or_else(|| "transport error".into())
            }
            ClientEvent::Response(_) => String::new(),
        };
        if request.method == Method::SUBSCRIBE {
            match &event {
                ClientEvent::Response(resp) => self.subs.handle_response(now, &request, resp),
                _ => self.subs.handle_no_response(now, &request, &why),
            }
            return;
        }
        if matches!(request.method, Method::INVITE | Method::BYE | Method::CANCEL | Method::REFER) {
            match &event {
                ClientEvent::Response(resp) => self.calls.handle_response(now, &request, resp),
                _ => self.calls.handle_no_response(&request, &why),
            }
            return;
        }
        if request.method == Method::PUBLISH {
            if let Some(p) = &mut self.publication {
                match &event {
                    ClientEvent::Response(resp) => p.handle_response(now, &request, resp),
                    _ => p.handle_no_response(now, &request, &why),
                }
            }
            return;
        }
        if request.method != Method::REGISTER {
            return;
        }
        let j = self.rng.random::<f64>();
        match event {
            ClientEvent::Response(resp) => {
                if (200..300).contains(&resp.code)
                    && self.reg.state() != RegState::Unregistering
                    && self.learn_public_address(&resp)
                {
                    let contact = contact_uri(&self.account.user, &self.public, self.server.transport);
                    let c = self.cnonce();
                    self.subs.set_contact(contact.clone());
                    self.reg.set_contact(contact, &c);
                    return;
                }
                let c = self.cnonce();
                self.reg.handle_response(now, &request, &resp, j, &c);
            }
            ClientEvent::Timeout | ClientEvent::TransportError => self.reg.handle_no_response(now, &request, &why, j),
        }
    }

    fn handle_sub_event(&mut self, ev: SubEvent) {
        let lamp: Vec<crate::api::LampEvent> = match ev {
            SubEvent::Notify { id, body, content_type } if self.lamps.is_list(id) => {
                let ct = content_type.unwrap_or_default();
                let (follow, lamps) = self.lamps.on_list_notify(id, &ct, &body);
                if let Followup::Resync(id) = follow {
                    self.subs.resync(id);
                }
                lamps
            }
            SubEvent::Notify { id, body, .. } => {
                let (follow, lamp) = self.lamps.on_notify(id, &body);
                if let Followup::Resync(id) = follow {
                    self.subs.resync(id);
                }
                lamp.into_iter().collect()
            }
            SubEvent::NotAList { id } => {
                self.fall_back_from_list(id);
                Vec::new()
            }
            SubEvent::Status { id, status } => {
                let failed = matches!(status, crate::sip::subscription::SubStatus::Failed { .. });
                if failed && self.lamps.is_list(id) {
                    tracing::info!("resource-list subscription failed: one subscription per colleague");
                    self.fall_back_from_list(id);
                    Vec::new()
                } else {
                    self.lamps.on_status(id, &status)
                }
            }
        };
        for l in lamp {
            self.events.push_back(Event::Lamp(l));
        }
    }

    /// The list URI does not work as a resource list: watch each colleague on its own.
    fn fall_back_from_list(&mut self, id: crate::sip::subscription::SubId) {
        if let Some((pkg, need)) = self.lamps.unlink_list(id) {
            for (idx, uri) in need {
                let sub = self.subs.add(&uri, pkg.event(), pkg.accept());
                self.lamps.link(idx, sub, pkg);
            }
        }
    }

    fn handle_pub_event(&mut self, ev: PubEvent) {
        let via = "publish".to_string();
        let status = self.own_status.as_ref().map(|s| s.as_str()).unwrap_or("unknown").to_string();
        self.events.push_back(match ev {
            PubEvent::Published { expires, etag } => Event::Published { via, status, expires, etag },
            PubEvent::Failed { code, reason, unsupported, retry_in } => Event::PublishFailed {
                via,
                code,
                reason,
                unsupported,
                retry_in_ms: retry_in.map(|d| d.as_millis() as u64),
            },
            PubEvent::Removed => Event::Unpublished { via },
        });
    }

    fn handle_reg_event(&mut self, now: Instant, ev: RegEvent) {
        let aor = self.aor();
        match ev {
            RegEvent::Registered { expires, contacts } => {
                if !self.account.keepalive.is_zero() && self.keepalive_at.is_none() {
                    self.keepalive_at = Some(now + self.account.keepalive);
                }
                self.events.push_back(Event::Registered { aor, expires, contacts });
                if let Some(p) = &mut self.publication {
                    p.handle_server_reachable(now);
                }
            }
            RegEvent::Failed { code, reason, retry_in } => {
                if retry_in.is_none() {
                    self.keepalive_at = None;
                }
                self.events.push_back(Event::RegistrationFailed {
                    aor,
                    code,
                    reason,
                    retry_in_ms: retry_in.map(|d| d.as_millis() as u64),
                });
            }
            RegEvent::Unregistered => {
                self.keepalive_at = None;
                self.events.push_back(Event::Unregistered { aor });
            }
        }
    }

    /// NAT: the registrar saw us elsewhere (`received`/`rport`): use that in Contact.
    fn learn_public_address(&mut self, resp: &Response) -> bool {
        let Some(via) = resp.top_via() else {
            return false;
        };
        match transport::learned_address(&via, &self.public.0, self.public.1) {
            Some(addr) if self.server.transport == TransportKind::Udp => {
                tracing::info!(host = %addr.0, port = addr.1, "learnt public address from rport");
                self.public = addr;
                true
            }
            _ => false,
        }
    }

    /// Via (fresh branch, rport), Max-Forwards, User-Agent.
    fn decorate(&mut self, req: &mut Request) {
        // A CANCEL arrives with its INVITE's Via already (same branch, RFC 3261 §9.1).
        if req.header(&Name::VIA).is_none() {
            let branch = format!("{BRANCH_COOKIE}{}", random_token(&mut self.rng, 16));
            let via = Via::new(self.server.transport.via_token(), &self.public.0, self.public.1, &branch);
            req.headers.insert_front(Name::VIA, via.to_header());
        }
        req.headers.remove(&Name::MAX_FORWARDS);
        req.headers.insert(Name::MAX_FORWARDS, "70");
        req.headers.insert(Name::USER_AGENT, USER_AGENT);
        req.headers.insert(Name::ALLOW, ALLOW);
        req.headers.insert(Name::SUPPORTED, "path, outbound");
    }

    /// Requests no dialog of ours takes: OPTIONS gets 200; an INVITE gets 480 (calls are not
    /// taken yet, and 480 lets a PBX go on to voicemail or forwarding); a request inside an
    /// unknown dialog, BYE and CANCEL get 481 (RFC 3261 §12.2.2); anything else 501.
    fn answer_request(&mut self, req: &Request) -> Response {
        let tag = random_token(&mut self.rng, 10);
        let mut resp = match req.method {
            Method::OPTIONS => Response::to_request(req, 200, "OK", Some(&tag)),
            _ if req.to_tag().is_some() => Response::to_request(req, 481, "Call/Transaction Does Not Exist", None),
            Method::BYE | Method::CANCEL | Method::NOTIFY => {
                Response::to_request(req, 481, "Call/Transaction Does Not Exist", Some(&tag))
            }
            Method::INVITE => Response::to_request(req, 480, "Temporarily Unavailable", Some(&tag)),
            _ => Response::to_request(req, 501, "Not Implemented", Some(&tag)),
        };
        resp.headers.insert(Name::ALLOW, ALLOW);
        resp.headers.insert(Name::SERVER, USER_AGENT);
        resp
    }

    fn cnonce(&mut self) -> String {
        random_token(&mut self.rng, 16)
    }
}

/// `sip:user@host:port;transport=…`
fn contact_uri(user: &str, public: &(String, u16), t: TransportKind) -> String {
    let mut uri = NameAddr::new(format!("sip:{user}@{}:{}", public.0, public.1)).uri;
    if let Some(p) = t.uri_param() {
        uri.push_str(";transport=");
        uri.push_str(p);
    }
    uri
}

/// `1003` → `sip:1003@domain`; a SIP URI stays as it is. `#` is not allowed in a SIP user
/// part (RFC 3261 §25.1): codes such as `#72` go escaped.
pub fn target_uri(target: &str, domain: &str) -> String {
    if target.contains(':') { target.to_string() } else { format!("sip:{}@{domain}", target.replace('#', "%23")) }
}

/// A version-4 UUID URN for `+sip.instance`.
pub fn uuid(rng: &mut impl Rng) -> String {
    let mut b: [u8; 16] = rng.random();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!("urn:uuid:{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
}
