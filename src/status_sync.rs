//! Our own status also set on the PBX through the Grandstream UCM HTTPS API, for the desktop
//! app: each status chosen in the status bar goes to the UCM on a worker thread (the newest
//! wins), is retried with a growing pause when it fails, and is reported as
//! `Event::Published { via: "ucm-api" }` or `Event::PublishFailed { via: "ucm-api" }` — never
//! silently dropped.

use crate::api::Event;
use crate::pbx::ucm_api::{UcmConfig, apply_status};
use crate::presence::status::UserStatus;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::time::Duration;

/// Pauses between attempts; after the last one the failure stands until the next change.
const RETRIES: [Duration; 3] = [Duration::from_secs(2), Duration::from_secs(8), Duration::from_secs(30)];

/// The handle the app keeps: send it every status change.
pub struct StatusSync {
    tx: Sender<(String, Option<String>)>,
}

impl StatusSync {
    /// Starts the worker for extension `ext` on the UCM `cfg`; its reports go to `out`, then
    /// `wake` is called (the GUI's repaint).
    pub fn spawn(cfg: UcmConfig, ext: String, out: Sender<Event>, wake: impl Fn() + Send + 'static) -> StatusSync {
        let (tx, rx) = std::sync::mpsc::channel();
        let _ = std::thread::Builder::new().name("ucm-status".into()).spawn(move || worker(cfg, ext, rx, out, wake));
        StatusSync { tx }
    }

    /// Our status changed (`status` as in `Command::SetPresence`).
    pub fn set(&self, status: &str, note: Option<&str>) {
        let _ = self.tx.send((status.to_string(), note.map(str::to_string)));
    }
}

fn worker(cfg: UcmConfig, ext: String, rx: Receiver<(String, Option<String>)>, out: Sender<Event>, wake: impl Fn()) {
    let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
    let mut next = rx.recv().ok();
    while let Some((word, note)) = next.take() {
        let Some(status) = UserStatus::parse(&word, note.as_deref()) else { continue };
        let mut attempt = 0;
        loop {
            let report = match rt.block_on(apply_status(&cfg, &ext, &status, note.as_deref())) {
                Ok(a) => {
                    let s = a.status.as_str().to_string();
                    Event::Published { via: "ucm-api".into(), status: s, expires: 0, etag: None }
                }
                Err(e) => {
                    let pause = RETRIES.get(attempt).copied();
                    Event::PublishFailed {
                        via: "ucm-api".into(),
                        code: None,
                        reason: e.to_string(),
                        unsupported: false,
                        retry_in_ms: pause.map(|d| d.as_millis() as u64),
                    }
                }
            };
            let retry = match &report {
                Event::PublishFailed { retry_in_ms: Some(ms), .. } => Some(Duration::from_millis(*ms)),
                _ => None,
            };
            if out.send(report).is_err() {
                return;
            }
            wake();
            let Some(pause) = retry else { break };
            attempt += 1;
            // A newer status replaces the one being retried.
            match rx.recv_timeout(pause) {
                Ok(newer) => {
                    next = Some(newer);
                    break;
                }
                Err(RecvTimeoutError::Timeout) => continue,
                Err(RecvTimeoutError::Disconnected) => return,
            }
        }
        if next.is_none() {
            next = rx.recv().ok();
        }
        // Only the newest of several quick changes matters.
        while let Ok(newer) = rx.try_recv() {
            next = Some(newer);
        }
    }
}
