//! Event state publication (RFC 3903), sans-IO: PUBLISH with a body, SIP-ETag kept, refresh
//! with SIP-If-Match and no body, 412 → a fresh initial PUBLISH, `Expires: 0` to remove.
//! 489/405/501 mean the server does not take PUBLISH for the event: reported as such.

use super::auth::{Authenticator, is_stale};
use super::message::{Request, Response, name};
use super::random_token;
use super::registration::refresh_delay;
use bytes::Bytes;
use ezk_sip_types::{Method, Name};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// What a publication reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PubEvent {
    /// The server holds our state for this many seconds.
    Published {
        /// Seconds granted.
        expires: u32,
        /// The entity tag naming our state on the server (SIP-ETag).
        etag: Option<String>,
    },
    /// A PUBLISH failed.
    Failed {
        /// Status code, `None` for a timeout or network error.
        code: Option<u16>,
        /// Why.
        reason: String,
        /// True for 489/405/501: the server does not take PUBLISH for this event at all.
        unsupported: bool,
        /// When it is retried by itself; `None` when it is not.
        retry_in: Option<Duration>,
    },
    /// The state was removed (Expires: 0 answered).
    Removed,
}

/// One published state (one event package, one AOR).
pub struct Publication {
    aor: String,
    event: String,
    content_type: String,
    expires: u32,
    body: Option<Bytes>,
    etag: Option<String>,
    call_id: String,
    cseq: u32,
    auth: Authenticator,
    rng: StdRng,
    challenges: u32,
    failures: u32,
    timer: Option<Instant>,
    removing: bool,
    in_flight: bool,
    dirty: bool,
    last_had_body: bool,
    sent_removal: bool,
    outbox: VecDeque<Request>,
    events: VecDeque<PubEvent>,
}

impl Publication {
    /// A publication of `event` state for `aor`.
    pub fn new(aor: &str, event: &str, content_type: &str, expires: u32, auth: Authenticator, seed: u64) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let call_id = format!("{}@lampboard", random_token(&mut rng, 20));
        Self {
            aor: aor.into(),
            event: event.into(),
            content_type: content_type.into(),
            expires,
            body: None,
            etag: None,
            call_id,
            cseq: 0,
            auth,
            rng,
            challenges: 0,
            failures: 0,
            timer: None,
            removing: false,
            in_flight: false,
            dirty: false,
            last_had_body: false,
            sent_removal: false,
            outbox: VecDeque::new(),
            events: VecDeque::new(),
        }
    }

    /// Continues a publication made earlier (by a previous run): the next PUBLISH modifies the
    /// state named by `etag` instead of adding a second one (412 falls back to a fresh one).
    pub fn resume(&mut self, etag: String) {
        self.etag = Some(etag);
    }

    /// Publishes a new state (sent at once, or as soon as the PUBLISH in flight is answered).
    pub fn publish(&mut self, body: Bytes) {
        self.body = Some(body);
        self.removing = false;
        self.failures = 0;
        if self.in_flight {
            self.dirty = true;
        } else {
            self.send(true);
        }
    }

    /// Removes the published state (Expires: 0).
    pub fn remove(&mut self) {
        self.timer = None;
        self.dirty = false;
        if self.etag.is_some() && !self.in_flight {
            self.removing = true;
            self.send(false);
        } else if self.in_flight {
            // The answer to the PUBLISH in flight brings the entity tag; the removal follows.
            self.removing = true;
        } else {
            self.events.push_back(PubEvent::Removed);
        }
    }

    /// True while a PUBLISH is in flight or queued.
    pub fn is_busy(&self) -> bool {
        self.in_flight || !self.outbox.is_empty()
    }

    /// A response to our PUBLISH.
    pub fn handle_response(&mut self, now: Instant, sent: &Request, resp: &Response) {
        if resp.code < 200 || sent.cseq().map(|c| c.0).ok() != Some(self.cseq) {
            return;
        }
        self.in_flight = false;
        if resp.code != 401 && resp.code != 407 {
            self.challenges = 0;
        }
        match resp.code {
            200..=299 => {
                self.failures = 0;
                if self.removing && !self.sent_removal {
                    // An earlier PUBLISH was answered after remove(): now remove that state.
                    if let Some(tag) = resp.header(&name("SIP-ETag")) {
                        self.etag = Some(tag.trim().to_string());
                    }
                    if self.etag.is_some() {
                        self.send(false);
                    } else {
                        self.events.push_back(PubEvent::Removed);
                    }
                    return;
                }
                if self.removing {
                    self.etag = None;
                    self.timer = None;
                    self.events.push_back(PubEvent::Removed);
                    return;
                }
                if let Some(tag) = resp.header(&name("SIP-ETag")) {
                    self.etag = Some(tag.trim().to_string());
                }
                let granted = resp.header(&Name::EXPIRES).and_then(|v| v.trim().parse().ok()).unwrap_or(self.expires);
                let j = self.rng.random::<f64>();
                self.timer = Some(now + refresh_delay(granted, j));
                self.events.push_back(PubEvent::Published { expires: granted, etag: self.etag.clone() });
                if std::mem::take(&mut self.dirty) {
                    self.send(true);
                }
            }
            401 | 407 => {
                let again = self.challenges > 0;
                self.challenges += 1;
                match self.auth.handle_challenge(resp) {
                    Ok(()) if !again || is_stale(resp) => self.resend(),
                    Ok(()) => self.fail(resp.code, "wrong user name or password".into(), false, None),
                    Err(e) => self.fail(resp.code, e.to_string(), false, None),
                }
            }
            412 => {
                // The server lost our entity tag: publish the full state afresh.
                self.etag = None;
                if self.removing {
                    self.events.push_back(PubEvent::Removed);
                } else {
                    self.send(true);
                }
            }
            423 => match resp.header(&Name::MIN_EXPIRES).and_then(|v| v.trim().parse::<u32>().ok()) {
                Some(m) if m > self.expires => {
                    self.expires = m;
                    self.resend();
                }
                _ => self.fail(423, "423 without a usable Min-Expires".into(), false, None),
            },
            405 | 489 | 501 => {
                let why = format!(
                    "the server does not take PUBLISH for event {} ({} {})",
                    self.event, resp.code, resp.reason
                );
                self.fail(resp.code, why, true, None);
            }
            408 | 480 | 500..=599 => self.backoff(now, Some(resp.code), format!("{} {}", resp.code, resp.reason)),
            _ => self.fail(resp.code, format!("{} {}", resp.code, resp.reason), false, None),
        }
    }

    /// No answer or a transport error.
    pub fn handle_no_response(&mut self, now: Instant, sent: &Request, reason: &str) {
        if sent.cseq().map(|c| c.0).ok() != Some(self.cseq) {
            return;
        }
        self.in_flight = false;
        if self.removing {
            self.events.push_back(PubEvent::Removed);
            return;
        }
        self.backoff(now, None, reason.to_string());
    }

    /// The flow to the server broke: the server may have lost our state, so the full state is
    /// published afresh (no entity tag) after a short backoff.
    pub fn handle_network_lost(&mut self, now: Instant) {
        if self.body.is_none() || self.removing {
            return;
        }
        // Already waiting to retry: repeated losses must not push the retry further out.
        if self.failures > 0 && !self.in_flight && self.timer.is_some() {
            return;
        }
        // The entity tag is kept: a server that lost the state answers 412, and the full
        // state then goes out afresh (no second publication is left behind).
        self.in_flight = false;
        self.backoff(now, None, "connection to the server lost".into());
    }

    /// The server answered again (e.g. a registration went through after a loss): a PUBLISH
    /// waiting in backoff goes out now instead of after up to a minute, so the status is back
    /// on the server as soon as it is.
    pub fn handle_server_reachable(&mut self, now: Instant) {
        if self.failures > 0 && !self.in_flight && !self.removing && self.body.is_some() && self.timer.is_some() {
            self.timer = Some(now);
        }
    }

    /// Refresh and retry timers.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.timer.is_some_and(|t| t <= now) && !self.in_flight {
            self.timer = None;
            // A refresh repeats the state as a modify (SIP-If-Match + body) rather than the
            // body-less refresh of RFC 3903 §4.3: Kamailio 5.6 (publ_cache=2) forgets the
            // document on a body-less refresh, and a modify is valid everywhere.
            self.send(true);
        }
    }

    /// When `handle_timeout` is due.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timer
    }

    /// The next PUBLISH to send (without Via).
    pub fn poll_request(&mut self) -> Option<Request> {
        self.outbox.pop_front()
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<PubEvent> {
        self.events.pop_front()
    }

    fn backoff(&mut self, now: Instant, code: Option<u16>, reason: String) {
        self.failures += 1;
        let d = Duration::from_secs(2u64.saturating_pow(self.failures.min(6))).min(Duration::from_secs(60));
        let d = d.mul_f64(0.5 + 0.5 * self.rng.random::<f64>());
        self.timer = Some(now + d);
        self.events.push_back(PubEvent::Failed { code, reason, unsupported: false, retry_in: Some(d) });
    }

    fn fail(&mut self, code: u16, reason: String, unsupported: bool, retry_in: Option<Duration>) {
        self.timer = None;
        self.events.push_back(PubEvent::Failed { code: Some(code), reason, unsupported, retry_in });
    }

    /// Repeats what was refused (after a challenge or 423): a state change keeps its body.
    fn resend(&mut self) {
        let with_body = self.etag.is_none() || self.last_had_body;
        self.send(with_body);
    }

    fn send(&mut self, with_body: bool) {
        self.cseq += 1;
        let mut req = Request::new(Method::PUBLISH, self.aor.clone());
        let tag = random_token(&mut self.rng, 10);
        req.headers.insert(Name::FROM, format!("<{}>;tag={tag}", self.aor));
        req.headers.insert(Name::TO, format!("<{}>", self.aor));
        req.headers.insert(Name::CALL_ID, self.call_id.clone());
        req.headers.insert(Name::CSEQ, format!("{} PUBLISH", self.cseq));
        req.headers.insert(Name::EVENT, self.event.clone());
        let expires = if self.removing { 0 } else { self.expires };
        req.headers.insert(Name::EXPIRES, expires.to_string());
        if let Some(etag) = &self.etag {
            req.headers.insert(name("SIP-If-Match"), etag.clone());
        }
        self.last_had_body = with_body && !self.removing;
        if self.last_had_body
            && let Some(b) = &self.body
        {
            req.set_body(&self.content_type, b.clone());
        }
        if self.auth.has_credentials_cached() {
            let cnonce = random_token(&mut self.rng, 16);
            self.auth.authorize(&mut req, &cnonce);
        }
        self.in_flight = true;
        self.sent_removal = self.removing;
        // The answer re-arms the refresh or retry timer; a stale one would fire in a loop.
        self.timer = None;
        self.outbox.push_back(req);
    }
}
