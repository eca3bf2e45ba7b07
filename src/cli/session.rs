//! The loop every subcommand shares: start the engine, send commands, print each event as a
//! JSON line, stop on Ctrl-C / `--duration` / the subcommand's own condition, and turn the
//! outcome into an exit code.

use super::{EXIT_FAILURE, print_event};
use crate::api::{Command, Event};
use crate::engine::{self, EngineConfig};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// What a subcommand decides while events arrive.
#[derive(Debug, Default)]
pub struct Control {
    /// Ask the engine to shut down (un-REGISTER, un-SUBSCRIBE…).
    pub stop: bool,
    /// Leave the published status on the server when stopping.
    pub keep_presence: bool,
    /// The first failure; printed on stderr as one line, exit 3.
    pub failure: Option<String>,
    /// The subcommand reached its goal (exit 0 unless a failure is recorded afterwards).
    pub ok: bool,
    /// Fail on the first registration or network error instead of retrying.
    pub fail_fast: bool,
    /// Commands to send after the current event.
    pub send: Vec<Command>,
    /// A moment at which `on_deadline` is sent (and, with `stop_at_deadline`, the run stops).
    pub deadline: Option<Instant>,
    /// Commands for the deadline.
    pub on_deadline: Vec<Command>,
    /// Stop when the deadline passes.
    pub stop_at_deadline: bool,
}

impl Control {
    /// Records a failure (the first one wins) and stops.
    pub fn fail(&mut self, why: String) {
        self.failure.get_or_insert(why);
        self.stop = true;
    }
}

/// Runs the engine until it stops; returns the exit code.
pub fn run(
    cfg: EngineConfig,
    initial: Vec<Command>,
    duration: Option<u64>,
    ctl: Control,
    on_event: impl FnMut(&Event, &mut Control),
) -> i32 {
    run_ticking(cfg, initial, duration, ctl, on_event, |_, _| {})
}

/// Like [`run`], with `on_tick` called at least every 100 ms (for scripted timing).
pub fn run_ticking(
    cfg: EngineConfig,
    initial: Vec<Command>,
    duration: Option<u64>,
    mut ctl: Control,
    mut on_event: impl FnMut(&Event, &mut Control),
    mut on_tick: impl FnMut(Instant, &mut Control),
) -> i32 {
    let handle = match engine::spawn(cfg, Arc::new(|| {})) {
        Ok(h) => h,
        Err(e) => {
            eprintln!("lampboard: cannot start the engine: {e}");
            return EXIT_FAILURE;
        }
    };
    for c in initial {
        handle.send(c);
    }
    let interrupted = signal_flag();
    let deadline = duration.map(|d| Instant::now() + Duration::from_secs(d));
    let mut stopping = false;
    let mut ever_registered = false;
    loop {
        if interrupted.load(Ordering::Relaxed) || deadline.is_some_and(|d| Instant::now() >= d) {
            ctl.stop = true;
        }
        if ctl.deadline.is_some_and(|d| Instant::now() >= d) {
            ctl.deadline = None;
            ctl.send.append(&mut ctl.on_deadline);
            if ctl.stop_at_deadline {
                ctl.stop = true;
            }
        }
        on_tick(Instant::now(), &mut ctl);
        for c in ctl.send.drain(..) {
            handle.send(c);
        }
        if ctl.stop && !stopping {
            stopping = true;
            handle.send(if ctl.keep_presence { Command::ShutdownKeepingPresence } else { Command::Shutdown });
        }
        let ev = match handle.events.recv_timeout(Duration::from_millis(50)) {
            Ok(ev) => ev,
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => continue,
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
        };
        if ev == Event::Stopped {
            break;
        }
        print_event(&ev);
        match &ev {
            Event::Registered { .. } => ever_registered = true,
            Event::RegistrationFailed { code, reason, retry_in_ms, .. } => {
                let text = match code {
                    Some(c) => format!("registration failed: {c} {reason}"),
                    None => format!("registration failed: {reason}"),
                };
                if retry_in_ms.is_none() || (ctl.fail_fast && !ever_registered) {
                    ctl.fail(text);
                }
            }
            Event::NetworkError { reason } if ctl.fail_fast && !ever_registered => {
                ctl.fail(format!("network error: {reason}"));
            }
            _ => {}
        }
        on_event(&ev, &mut ctl);
    }
    handle.join();
    match ctl.failure {
        Some(f) => {
            eprintln!("lampboard: {f}");
            EXIT_FAILURE
        }
        None if !ctl.ok => {
            eprintln!("lampboard: stopped before it succeeded");
            EXIT_FAILURE
        }
        None => 0,
    }
}

/// A flag set by SIGINT/SIGTERM, so a subcommand can clean up before it exits.
fn signal_flag() -> Arc<AtomicBool> {
    let flag = Arc::new(AtomicBool::new(false));
    let f = flag.clone();
    let _ = std::thread::Builder::new().name("signals".into()).spawn(move || {
        let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
        rt.block_on(async {
            #[cfg(unix)]
            {
                use tokio::signal::unix::{SignalKind, signal};
                let (Ok(mut a), Ok(mut b)) = (signal(SignalKind::interrupt()), signal(SignalKind::terminate())) else {
                    return;
                };
                tokio::select! { _ = a.recv() => {}, _ = b.recv() => {} }
            }
            #[cfg(not(unix))]
            {
                let _ = tokio::signal::ctrl_c().await;
            }
        });
        f.store(true, Ordering::Relaxed);
    });
    flag
}
