//! Registration (RFC 3261 §10) as a sans-IO state machine.
//!
//! Initial REGISTER, refresh before expiry (with jitter), 423 Interval Too Brief (Min-Expires),
//! one retry per 401/407 challenge (a second challenge that is not `stale` means a wrong
//! password: reported, not looped), backoff with jitter on 5xx, 408, timeouts and network loss
//! (Retry-After honoured), un-REGISTER on exit, the server's Contact list and per-contact
//! `expires` honoured, `+sip.instance` / `reg-id` (RFC 5626) on our Contact.
//!
//! The registration builds requests without Via (the user agent adds it with a fresh branch);
//! it is fed the responses of the transactions that carried them.

use super::addr::{NameAddr, parse_name_addr_list};
use super::auth::{Authenticator, Credentials, is_stale};
use super::message::{Request, Response};
use ezk_sip_types::{Method, Name};
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// What the account registers.
#[derive(Debug, Clone)]
pub struct RegistrationConfig {
    /// Address of record, e.g. `sip:1001@pbx.example`.
    pub aor: String,
    /// Request-URI of the REGISTER, e.g. `sip:pbx.example`.
    pub registrar: String,
    /// Display name in From/To.
    pub display_name: Option<String>,
    /// Requested binding lifetime in seconds.
    pub expires: u32,
    /// Our Contact URI, e.g. `sip:1001@192.0.2.4:5070;transport=tcp`.
    pub contact: String,
    /// RFC 5626 instance id (`urn:uuid:…`).
    pub instance_id: Option<String>,
    /// RFC 5626 reg-id.
    pub reg_id: Option<u32>,
    /// Digest credentials.
    pub credentials: Credentials,
    /// First backoff delay after a failure.
    pub backoff_base: Duration,
    /// Largest backoff delay.
    pub backoff_max: Duration,
}

impl RegistrationConfig {
    /// Defaults for an AOR/registrar/contact: 600 s, backoff 1 s … 30 s.
    pub fn new(aor: &str, registrar: &str, contact: &str, credentials: Credentials) -> Self {
        Self {
            aor: aor.into(),
            registrar: registrar.into(),
            display_name: None,
            expires: 600,
            contact: contact.into(),
            instance_id: None,
            reg_id: None,
            credentials,
            backoff_base: Duration::from_secs(1),
            backoff_max: Duration::from_secs(30),
        }
    }
}

/// Where the registration stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegState {
    /// Not started, or un-registered.
    Idle,
    /// A REGISTER is in flight (initial, refresh or retry).
    Registering,
    /// Bound until the given instant.
    Registered {
        /// When the binding runs out.
        until: Instant,
    },
    /// Waiting to retry after a failure.
    Backoff,
    /// The un-REGISTER is in flight.
    Unregistering,
    /// Stopped for good (wrong password, 403, 404…): needs the user.
    Failed,
}

/// What the registration reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegEvent {
    /// The binding is in place (after the initial REGISTER or a refresh).
    Registered {
        /// Seconds granted for our Contact.
        expires: u32,
        /// Every Contact bound to the AOR, as the registrar listed them.
        contacts: Vec<String>,
    },
    /// A REGISTER failed.
    Failed {
        /// Status code, or `None` for a timeout / network error.
        code: Option<u16>,
        /// Human-readable reason.
        reason: String,
        /// When it is retried by itself; `None` means it stopped for good.
        retry_in: Option<Duration>,
    },
    /// The binding was removed (un-REGISTER answered, or timed out on exit).
    Unregistered,
}

/// One account's registration.
#[derive(Debug)]
pub struct Registration {
    cfg: RegistrationConfig,
    state: RegState,
    call_id: String,
    from_tag: String,
    cseq: u32,
    expires: u32,
    auth: Authenticator,
    challenges_in_row: u32,
    failures: u32,
    bound: bool,
    timer: Option<Instant>,
    outbox: VecDeque<Request>,
    events: VecDeque<RegEvent>,
}

impl Registration {
    /// A registration; `call_id` and `from_tag` come from the caller's randomness.
    pub fn new(cfg: RegistrationConfig, call_id: String, from_tag: String) -> Self {
        let auth = Authenticator::new(cfg.credentials.clone());
        let expires = cfg.expires;
        Self {
            cfg,
            state: RegState::Idle,
            call_id,
            from_tag,
            cseq: 0,
            expires,
            auth,
            challenges_in_row: 0,
            failures: 0,
            bound: false,
            timer: None,
            outbox: VecDeque::new(),
            events: VecDeque::new(),
        }
    }

    /// The current state.
    pub fn state(&self) -> RegState {
        self.state
    }

    /// The configuration (AOR, contact…).
    pub fn config(&self) -> &RegistrationConfig {
        &self.cfg
    }

    /// The Call-ID used for every REGISTER of this binding.
    pub fn call_id(&self) -> &str {
        &self.call_id
    }

    /// Sends the initial REGISTER.
    pub fn start(&mut self, cnonce: &str) {
        self.failures = 0;
        self.send(self.expires, cnonce);
    }

    /// Changes our Contact (a new local address or a NAT mapping learnt from `rport`) and
    /// registers it at once if we were registered or trying.
    pub fn set_contact(&mut self, contact: String, cnonce: &str) {
        if contact == self.cfg.contact {
            return;
        }
        self.cfg.contact = contact;
        if matches!(self.state, RegState::Registered { .. } | RegState::Backoff | RegState::Registering) {
            self.send(self.expires, cnonce);
        }
    }

    /// Removes our binding (un-REGISTER, Expires 0). Reports `Unregistered` when answered.
    pub fn stop(&mut self, cnonce: &str) {
        match self.state {
            RegState::Registered { .. } | RegState::Registering => {
                self.send(0, cnonce);
                self.state = RegState::Unregistering;
            }
            RegState::Unregistering => {}
            RegState::Backoff if self.bound => {
                // A binding may still exist (the flow broke while registered): remove it.
                self.send(0, cnonce);
                self.state = RegState::Unregistering;
            }
            _ => {
                // Nothing bound that we could remove (never registered, failed, or no network).
                self.timer = None;
                self.state = RegState::Idle;
            }
        }
    }

    /// A final or provisional response to our last REGISTER.
    /// `jitter` is a random number in [0, 1) from the caller.
    pub fn handle_response(&mut self, now: Instant, sent: &Request, resp: &Response, jitter: f64, cnonce: &str) {
        if resp.code < 200 || sent.cseq().map(|c| c.0).ok() != Some(self.cseq) {
            return;
        }
        let unregistering = self.state == RegState::Unregistering;
        match resp.code {
            200..=299 => {
                self.challenges_in_row = 0;
                self.failures = 0;
                if unregistering {
                    self.state = RegState::Idle;
                    self.timer = None;
                    self.bound = false;
                    self.events.push_back(RegEvent::Unregistered);
                    return;
                }
                self.bound = true;
                let (granted, contacts) = self.granted(resp);
                let granted = granted.max(1);
                self.state = RegState::Registered { until: now + Duration::from_secs(granted as u64) };
                self.timer = Some(now + refresh_delay(granted, jitter));
                self.events.push_back(RegEvent::Registered { expires: granted, contacts });
            }
            401 | 407 => {
                let again = self.challenges_in_row > 0;
                self.challenges_in_row += 1;
                match self.auth.handle_challenge(resp) {
                    Err(e) => self.fail_for_good(resp, &e.to_string()),
                    Ok(()) if again && !is_stale(resp) => self.fail_for_good(resp, "wrong user name or password"),
                    Ok(()) => self.send(if unregistering { 0 } else { self.expires }, cnonce),
                }
            }
            423 => {
                let min = resp
                    .header(&Name::MIN_EXPIRES)
                    .and_then(|v| v.trim().parse::<u32>().ok())
                    .filter(|m| *m > self.expires);
                match min {
                    Some(m) if !unregistering => {
                        self.expires = m;
                        self.send(m, cnonce);
                    }
                    _ => self.fail_for_good(resp, "423 without a usable Min-Expires"),
                }
            }
            408 | 480 | 500..=599 => {
                let retry_after = resp
                    .header(&Name::RETRY_AFTER)
                    .and_then(|v| v.split([';', ' ', '(']).next()?.trim().parse::<u64>().ok())
                    .map(Duration::from_secs);
                let reason = format!("{} {}", resp.code, resp.reason);
                self.backoff(now, Some(resp.code), reason, retry_after, jitter);
            }
            _ => {
                if unregistering {
                    self.state = RegState::Idle;
                    self.events.push_back(RegEvent::Unregistered);
                } else {
                    self.fail_for_good(resp, &resp.reason.clone());
                }
            }
        }
    }

    /// Our REGISTER got no answer (Timer F) or the transport failed.
    pub fn handle_no_response(&mut self, now: Instant, sent: &Request, reason: &str, jitter: f64) {
        if sent.cseq().map(|c| c.0).ok() != Some(self.cseq) {
            return;
        }
        if self.state == RegState::Unregistering {
            self.state = RegState::Idle;
            self.events.push_back(RegEvent::Unregistered);
            return;
        }
        self.backoff(now, None, reason.to_string(), None, jitter);
    }

    /// The flow to the registrar broke (keep-alive failed, connection closed): re-register
    /// after a backoff, since the binding may be gone.
    pub fn handle_network_lost(&mut self, now: Instant, jitter: f64) {
        if matches!(self.state, RegState::Registered { .. } | RegState::Registering) {
            self.cseq += 1; // whatever is in flight is no longer ours
            self.backoff(now, None, "network connection to the server lost".into(), None, jitter);
        }
    }

    /// Refresh or retry timers.
    pub fn handle_timeout(&mut self, now: Instant, cnonce: &str) {
        if self.timer.is_some_and(|t| t <= now) {
            self.timer = None;
            if matches!(self.state, RegState::Registered { .. } | RegState::Backoff) {
                self.send(self.expires, cnonce);
            }
        }
    }

    /// When `handle_timeout` is due.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timer
    }

    /// The next REGISTER to send (without Via).
    pub fn poll_request(&mut self) -> Option<Request> {
        self.outbox.pop_front()
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<RegEvent> {
        self.events.pop_front()
    }

    fn backoff(&mut self, now: Instant, code: Option<u16>, reason: String, at_least: Option<Duration>, jitter: f64) {
        self.failures += 1;
        // The next attempt starts a new exchange: its first challenge is answered again.
        self.challenges_in_row = 0;
        let exp = self.cfg.backoff_base.saturating_mul(1 << self.failures.min(16).saturating_sub(1));
        let capped = exp.min(self.cfg.backoff_max);
        // Jitter in [50 %, 100 %] of the delay so that many clients do not retry together.
        let mut delay = capped.mul_f64(0.5 + 0.5 * jitter.clamp(0.0, 1.0));
        if let Some(min) = at_least {
            delay = delay.max(min);
        }
        self.state = RegState::Backoff;
        self.timer = Some(now + delay);
        self.events.push_back(RegEvent::Failed { code, reason, retry_in: Some(delay) });
    }

    fn fail_for_good(&mut self, resp: &Response, reason: &str) {
        self.state = RegState::Failed;
        self.bound = false;
        self.timer = None;
        self.challenges_in_row = 0;
        self.events.push_back(RegEvent::Failed {
            code: Some(resp.code),
            reason: if reason.is_empty() { format!("{}", resp.code) } else { reason.to_string() },
            retry_in: None,
        });
    }

    /// Seconds granted for our contact and every bound contact (RFC 3261 §10.2.4).
    fn granted(&self, resp: &Response) -> (u32, Vec<String>) {
        let header_expires = resp.header(&Name::EXPIRES).and_then(|v| v.trim().parse::<u32>().ok());
        let mut ours = None;
        let mut all = Vec::new();
        for v in resp.headers.get_raw(&Name::CONTACT) {
            for c in parse_name_addr_list(v).unwrap_or_default() {
                let exp = c.param("expires").and_then(|e| e.parse::<u32>().ok()).or(header_expires);
                if self.is_ours(&c) {
                    ours = exp;
                }
                all.push(c.uri.clone());
            }
        }
        (ours.or(header_expires).unwrap_or(self.expires), all)
    }

    fn is_ours(&self, c: &NameAddr) -> bool {
        if let (Some(mine), Some(theirs)) = (&self.cfg.instance_id, c.param("+sip.instance")) {
            return theirs.trim_matches(['<', '>']) == mine.as_str();
        }
        uri_eq(&c.uri, &self.cfg.contact)
    }

    fn send(&mut self, expires: u32, cnonce: &str) {
        self.cseq += 1;
        let mut req = Request::new(Method::REGISTER, self.cfg.registrar.clone());
        let mut to = NameAddr::new(self.cfg.aor.clone());
        to.display = self.cfg.display_name.clone();
        let mut from = to.clone();
        from.set_param("tag", Some(&self.from_tag));
        req.headers.insert(Name::FROM, from.to_header());
        req.headers.insert(Name::TO, to.to_header());
        req.headers.insert(Name::CALL_ID, self.call_id.clone());
        req.headers.insert(Name::CSEQ, format!("{} REGISTER", self.cseq));
        let mut contact = NameAddr::new(self.cfg.contact.clone());
        if let Some(id) = &self.cfg.instance_id {
            contact.set_param("+sip.instance", Some(&format!("<{id}>")));
        }
        if let Some(r) = self.cfg.reg_id {
            contact.set_param("reg-id", Some(&r.to_string()));
        }
        req.headers.insert(Name::CONTACT, contact.to_header());
        req.headers.insert(Name::EXPIRES, expires.to_string());
        if self.auth.has_credentials_cached() {
            self.auth.authorize(&mut req, cnonce);
        }
        if self.state != RegState::Unregistering {
            self.state = RegState::Registering;
        }
        self.timer = None;
        self.outbox.push_back(req);
    }
}

/// When to refresh a binding of `granted` seconds: a random point between 80 % and 90 % of
/// it, but at least 5 s before the end (RFC 3261 leaves the margin to the UA).
pub fn refresh_delay(granted: u32, jitter: f64) -> Duration {
    let g = Duration::from_secs(granted as u64);
    let at = g.mul_f64(0.8 + 0.1 * jitter.clamp(0.0, 1.0));
    at.min(g.saturating_sub(Duration::from_secs(5))).max(Duration::from_secs(1).min(g))
}

/// Compares two SIP URIs loosely: scheme, user, host and port (parameters ignored).
pub fn uri_eq(a: &str, b: &str) -> bool {
    fn core(u: &str) -> String {
        let u = u.trim_matches(['<', '>']);
        let u = u.split(';').next().unwrap_or(u);
        u.to_ascii_lowercase()
    }
    core(a) == core(b)
}
