//! Our own status set through the PBX's presence feature code in the desktop app (`*48` +
//! the status digit, UCM order), for accounts whose presence backends include feature codes
//! (Grandstream UCM, Asterisk/FreePBX profiles).
//!
//! [`FeatureStatusLink`] sits between the console and the engine: each status chosen goes
//! out as a short automatic call ([`FeatureCall`]) once the account is registered (the newest
//! status wins, one call at a time); its outcome is reported like a PUBLISH's —
//! `Event::Published { via: "feature-codes" }` or `Event::PublishFailed { via:
//! "feature-codes", retry_in_ms }` — and a failure is retried after 2 s, 8 s and 30 s, never
//! silently dropped. The feature call's own call events are kept from the console (no call
//! panel for `*48`). Created with `publish` false (tests), it keeps `SetPresence` from the
//! link it wraps.

use crate::api::{Command, Event};
use crate::presence::status::UserStatus;
use crate::ua::feature_codes::{FeatureAction, FeatureCall, FeatureCodes, FeatureOutcome};
use crate::ui::EngineLink;
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Pauses between attempts; after the last one the failure stands until the next change.
const RETRIES: [Duration; 3] = [Duration::from_secs(2), Duration::from_secs(8), Duration::from_secs(30)];
/// How long the PBX may take to answer.
const MAX_WAIT: Duration = Duration::from_secs(30);

/// Timings of the feature call.
#[derive(Debug, Clone, Copy)]
pub struct FeatureTiming {
    /// How long the PBX's prompt plays before the digit is sent.
    pub prompt: Duration,
    /// How long the call stays up after the digit.
    pub linger: Duration,
}

impl Default for FeatureTiming {
    fn default() -> Self {
        // The same defaults as `lampboard presence set --via feature-codes`.
        FeatureTiming { prompt: Duration::from_millis(1500), linger: Duration::from_millis(800) }
    }
}

/// The status being applied: word, note, attempt number.
#[derive(Debug, Clone)]
struct Wanted {
    status: UserStatus,
    word: String,
    attempt: usize,
}

/// An [`EngineLink`] that also applies our status through the presence feature code.
pub struct FeatureStatusLink {
    inner: Box<dyn EngineLink>,
    codes: FeatureCodes,
    timing: FeatureTiming,
    /// Whether `SetPresence` also goes to the engine (PUBLISH).
    publish: bool,
    registered: bool,
    wanted: Option<Wanted>,
    /// Not before this instant (a retry's pause).
    not_before: Option<Instant>,
    running: Option<(FeatureCall, Wanted)>,
    /// The running feature call's id, once the engine named it.
    call_id: Option<String>,
    /// Events made here for the console.
    out: VecDeque<Event>,
    /// The UI clock at the last poll, and the instant it was taken (for `next_wakeup`).
    clock: (Duration, Instant),
}

impl FeatureStatusLink {
    /// Wraps `inner`; statuses are dialled with `codes`. With `publish` false, `SetPresence`
    /// is not passed to the engine.
    pub fn new(inner: Box<dyn EngineLink>, codes: FeatureCodes, timing: FeatureTiming, publish: bool) -> Self {
        FeatureStatusLink {
            inner,
            codes,
            timing,
            publish,
            registered: false,
            wanted: None,
            not_before: None,
            running: None,
            call_id: None,
            out: VecDeque::new(),
            clock: (Duration::ZERO, Instant::now()),
        }
    }

    fn pump(&mut self, now: Instant) {
        if let Some((call, _)) = &mut self.running
            && call.poll_timeout().is_some_and(|t| t <= now)
        {
            call.handle_timeout(now);
        }
        self.flush_commands();
        self.finish(now);
        if self.running.is_none()
            && self.registered
            && self.not_before.is_none_or(|t| t <= now)
            && let Some(w) = self.wanted.take()
        {
            let plan = self.codes.plan(&FeatureAction::Presence(w.status.clone()));
            tracing::info!(dial = %plan.dial, dtmf = ?plan.dtmf, attempt = w.attempt, "status by feature code");
            let call = FeatureCall::start(now, plan, self.timing.prompt, self.timing.linger, MAX_WAIT);
            self.running = Some((call, w));
            self.call_id = None;
            self.not_before = None;
            self.flush_commands();
        }
    }

    fn flush_commands(&mut self) {
        if let Some((call, _)) = &mut self.running {
            while let Some(c) = call.poll_command() {
                self.inner.send(c);
            }
        }
    }

    /// Reports a finished call; schedules the retry of a failed one.
    fn finish(&mut self, now: Instant) {
        let Some(outcome) = self.running.as_ref().and_then(|(c, _)| c.outcome().cloned()) else { return };
        let Some((_, w)) = self.running.take() else { return };
        match outcome {
            FeatureOutcome::Done => {
                self.out.push_back(Event::Published {
                    via: "feature-codes".into(),
                    status: w.word.clone(),
                    expires: 0,
                    etag: None,
                });
            }
            FeatureOutcome::Failed(reason) => {
                let pause = RETRIES.get(w.attempt).copied();
                self.out.push_back(Event::PublishFailed {
                    via: "feature-codes".into(),
                    code: None,
                    reason,
                    unsupported: false,
                    retry_in_ms: pause.map(|d| d.as_millis() as u64),
                });
                // A newer status chosen meanwhile replaces the retry.
                if let Some(p) = pause
                    && self.wanted.is_none()
                {
                    self.wanted = Some(Wanted { attempt: w.attempt + 1, ..w });
                    self.not_before = Some(now + p);
                }
            }
        }
    }

    /// Whether `ev` belongs to the running feature call (and is kept from the console).
    fn is_ours(&mut self, ev: &Event) -> bool {
        let id = match ev {
            Event::Call { id, .. } | Event::Media { id, .. } | Event::Dtmf { id, .. } => id,
            _ => return false,
        };
        if self.call_id.is_none()
            && let (Some((call, _)), Event::Call { direction, remote, .. }) = (&self.running, ev)
            && direction == "out"
            && crate::ua::feature_codes::is_dialled(remote, &call.plan().dial)
        {
            self.call_id = Some(id.clone());
        }
        self.call_id.as_deref() == Some(id.as_str())
    }
}

impl EngineLink for FeatureStatusLink {
    fn send(&mut self, command: Command) {
        if let Command::SetPresence { status, note, .. } = &command {
            match UserStatus::parse(status, note.as_deref()) {
                Some(s) => {
                    self.wanted = Some(Wanted { status: s, word: status.clone(), attempt: 0 });
                    // A newly chosen status goes out without waiting for an old retry.
                    self.not_before = None;
                    self.pump(Instant::now());
                }
                None => tracing::warn!(%status, "unknown status, not dialled"),
            }
            if !self.publish {
                return;
            }
        }
        self.inner.send(command);
    }

    fn poll_event(&mut self, now: Duration) -> Option<Event> {
        let instant = Instant::now();
        self.clock = (now, instant);
        self.pump(instant);
        if let Some(e) = self.out.pop_front() {
            return Some(e);
        }
        // Bounded: at most a frame's worth of the feature call's own events is skipped here.
        for _ in 0..64 {
            let ev = self.inner.poll_event(now)?;
            match &ev {
                Event::Registered { .. } => self.registered = true,
                Event::RegistrationFailed { .. } | Event::Unregistered { .. } => self.registered = false,
                _ => {}
            }
            if self.is_ours(&ev) {
                if let (Some((call, _)), Event::Call { .. }) = (&mut self.running, &ev) {
                    call.handle_event(instant, &ev);
                }
                if matches!(&ev, Event::Call { state, .. } if state == "ended") {
                    self.call_id = None;
                }
                self.pump(instant);
                if let Some(e) = self.out.pop_front() {
                    return Some(e);
                }
                continue;
            }
            self.pump(instant);
            return Some(ev);
        }
        self.out.pop_front()
    }

    fn next_wakeup(&self) -> Option<Duration> {
        let due = self
            .running
            .as_ref()
            .and_then(|(c, _)| c.poll_timeout())
            .or(self.not_before.filter(|_| self.wanted.is_some() && self.registered));
        let (ui, at) = self.clock;
        let ours = due.map(|d| ui + d.saturating_duration_since(at));
        match (ours, self.inner.next_wakeup()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

/// Puts the presence feature code around the console's link when the account's backends
/// include [`PresenceBackend::FeatureCodes`]; `SetPresence` still goes on to the link (the
/// app's command path applies the other backends and leaves PUBLISH out when the account does
/// not publish — see [`publishes`]).
///
/// [`PresenceBackend::FeatureCodes`]: crate::config::account::PresenceBackend::FeatureCodes
pub fn wrap(
    inner: Box<dyn EngineLink>,
    backends: &[crate::config::account::PresenceBackend],
    codes: FeatureCodes,
) -> Box<dyn EngineLink> {
    use crate::config::account::PresenceBackend;
    if !backends.contains(&PresenceBackend::FeatureCodes) {
        return inner;
    }
    Box::new(FeatureStatusLink::new(inner, codes, FeatureTiming::default(), true))
}

/// Whether our status goes to the engine for PUBLISH with these backends (a PBX that answers
/// PUBLISH with 489, like Asterisk, would only show an error).
pub fn publishes(backends: &[crate::config::account::PresenceBackend]) -> bool {
    backends.contains(&crate::config::account::PresenceBackend::Publish)
}
