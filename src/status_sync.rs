//! Our own status and the forwarding rules also set on the PBX through the Grandstream UCM
//! HTTPS API, for the desktop app: each status chosen in the status bar and each rules save in
//! the forwarding editor goes to the UCM on a worker thread (for each kind the newest wins),
//! is retried with a growing pause when it fails, and is reported — the status as
//! `Event::Published { via: "ucm-api" }` / `Event::PublishFailed { via: "ucm-api" }`, the rules
//! as `Event::RulesSynced { via: "ucm-api" }` — never silently dropped.

use crate::api::Event;
use crate::forwarding::Rules;
use crate::pbx::ucm_api::{UcmConfig, apply_status, push_rules};
use crate::presence::status::UserStatus;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

/// Pauses between attempts; after the last one the failure stands until the next change.
const RETRIES: [Duration; 3] = [Duration::from_secs(2), Duration::from_secs(8), Duration::from_secs(30)];

/// Something to apply on the UCM.
#[derive(Debug, Clone)]
enum Job {
    /// Our status (word and note as in `Command::SetPresence`).
    Status(String, Option<String>),
    /// The whole forwarding rules.
    Rules(Box<Rules>),
}

impl Job {
    /// Jobs of one kind replace each other.
    fn kind(&self) -> usize {
        match self {
            Job::Status(..) => 0,
            Job::Rules(_) => 1,
        }
    }
}

/// A job waiting for its (next) attempt.
struct Slot {
    job: Job,
    attempt: usize,
    due: Instant,
}

/// The handle the app keeps: send it every status change and every rules save.
pub struct StatusSync {
    tx: Sender<Job>,
}

impl StatusSync {
    /// Starts the worker for extension `ext` on the UCM `cfg`; its reports go to `out`, then
    /// `wake` is called (the GUI's repaint).
    pub fn spawn(cfg: UcmConfig, ext: String, out: Sender<Event>, wake: impl Fn() + Send + 'static) -> StatusSync {
        let (tx, rx) = std::sync::mpsc::channel();
        let _ = std::thread::Builder::new().name("ucm-sync".into()).spawn(move || worker(cfg, ext, rx, out, wake));
        StatusSync { tx }
    }

    /// Our status changed (`status` as in `Command::SetPresence`).
    pub fn set(&self, status: &str, note: Option<&str>) {
        let _ = self.tx.send(Job::Status(status.to_string(), note.map(str::to_string)));
    }

    /// The forwarding rules were saved: send them all (status, per-status forwarding, DND,
    /// whitelists).
    pub fn push_rules(&self, rules: &Rules) {
        let _ = self.tx.send(Job::Rules(Box::new(rules.clone())));
    }
}

fn worker(cfg: UcmConfig, ext: String, rx: Receiver<Job>, out: Sender<Event>, wake: impl Fn()) {
    let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
    let mut slots: [Option<Slot>; 2] = [None, None];
    loop {
        let due = slots.iter().flatten().map(|s| s.due).min();
        let received = match due {
            None => rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
            Some(d) => rx.recv_timeout(d.saturating_duration_since(Instant::now())),
        };
        match received {
            // A newer job of a kind replaces the one waiting (or being retried).
            Ok(job) => {
                let k = job.kind();
                slots[k] = Some(Slot { job, attempt: 0, due: Instant::now() });
                continue;
            }
            Err(RecvTimeoutError::Disconnected) => return,
            Err(RecvTimeoutError::Timeout) => {}
        }
        let now = Instant::now();
        let Some(k) = (0..slots.len()).find(|&k| slots[k].as_ref().is_some_and(|s| s.due <= now)) else {
            continue;
        };
        let Some(slot) = slots[k].take() else { continue };
        let pause = RETRIES.get(slot.attempt).copied();
        let retry_in_ms = pause.map(|d| d.as_millis() as u64);
        let (report, failed) = match &slot.job {
            Job::Status(word, note) => {
                let Some(status) = UserStatus::parse(word, note.as_deref()) else {
                    let _ = out.send(Event::PublishFailed {
                        via: "ucm-api".into(),
                        code: None,
                        reason: format!("unknown status {word:?}"),
                        unsupported: false,
                        retry_in_ms: None,
                    });
                    continue;
                };
                match rt.block_on(apply_status(&cfg, &ext, &status, note.as_deref())) {
                    Ok(a) => (
                        Event::Published {
                            via: "ucm-api".into(),
                            status: a.status.as_str().to_string(),
                            expires: 0,
                            etag: None,
                        },
                        false,
                    ),
                    Err(e) => (
                        Event::PublishFailed {
                            via: "ucm-api".into(),
                            code: None,
                            reason: e.to_string(),
                            unsupported: false,
                            retry_in_ms,
                        },
                        true,
                    ),
                }
            }
            Job::Rules(rules) => match rt.block_on(push_rules(&cfg, &ext, rules)) {
                Ok(_) => {
                    (Event::RulesSynced { via: "ucm-api".into(), ok: true, reason: None, retry_in_ms: None }, false)
                }
                Err(e) => (
                    Event::RulesSynced { via: "ucm-api".into(), ok: false, reason: Some(e.to_string()), retry_in_ms },
                    true,
                ),
            },
        };
        if out.send(report).is_err() {
            return;
        }
        wake();
        if failed && let Some(p) = pause {
            slots[k] = Some(Slot { attempt: slot.attempt + 1, due: Instant::now() + p, ..slot });
        }
    }
}
