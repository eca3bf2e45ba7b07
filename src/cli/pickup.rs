//! `lampboard pickup EXT`: directed pickup of a colleague's ringing call. Watches EXT's line
//! (dialog event package); once it rings, picks the call up — INVITE with Replaces built
//! from the dialog-info call-id and tags when the server sends them, otherwise the PBX's
//! pickup code + extension — and talks with the caller (audio from/to WAV files or the
//! sound devices), printing the usual `lamp`, `call` and `media` JSON lines.

use super::call::AudioArgs;
use super::{AccountArgs, prepare, session};
use crate::api::{Command, Event};
use clap::Args;
use std::time::{Duration, Instant};

/// `lampboard pickup`.
#[derive(Debug, Args)]
pub struct PickupArgs {
    /// The colleague whose phone rings (extension in the account's domain, or SIP URI).
    pub ext: String,
    /// Wait at most this many seconds for the colleague's line to ring.
    #[arg(long, default_value_t = 30)]
    pub wait: u64,
    /// Hang up this many seconds after the pickup is answered (default: when the other side
    /// hangs up).
    #[arg(long)]
    pub duration: Option<u64>,
    /// Audio files.
    #[command(flatten)]
    pub audio: AudioArgs,
    /// Account options.
    #[command(flatten)]
    pub account: AccountArgs,
}

/// Runs `lampboard pickup`; returns the exit code.
pub fn run(args: &PickupArgs) -> i32 {
    let mut cfg = match prepare(&args.account) {
        Ok(c) => c,
        Err(code) => return code,
    };
    cfg.audio = super::call::audio(&args.audio);
    let watch = Command::Watch { targets: vec![args.ext.clone()], events: vec!["dialog".into()], list: None };
    let ext = args.ext.clone();
    let duration = args.duration;
    let wait = args.wait;
    let give_up = Instant::now() + Duration::from_secs(wait);
    // Shared with the tick: only a line that never rang makes the run give up.
    let shared = std::rc::Rc::new(std::cell::Cell::new(Pickup::Waiting));
    let seen = shared.clone();
    let ctl = session::Control::default();
    let on_event = move |ev: &Event, ctl: &mut session::Control| {
        let mut state = shared.get();
        on_event(&ext, duration, &mut state, ev, ctl);
        shared.set(state);
    };
    let on_tick = move |now: Instant, ctl: &mut session::Control| {
        if now >= give_up && seen.get() == Pickup::Waiting && ctl.failure.is_none() {
            ctl.fail(format!("nothing to pick up: the line did not ring within {wait} s"));
        }
    };
    session::run_ticking(cfg, vec![watch], None, ctl, on_event, on_tick)
}

/// Follows the colleague's lamp and then the pickup call.
fn on_event(ext: &str, duration: Option<u64>, state: &mut Pickup, ev: &Event, ctl: &mut session::Control) {
    match ev {
        Event::Lamp(l) if (l.ext == ext || l.uri == ext) && l.line == "ringing" && *state == Pickup::Waiting => {
            *state = Pickup::Calling;
            ctl.send.push(Command::Pickup { ext: ext.to_string() });
        }
        Event::Call { id, state: s, code, reason, .. } if *state != Pickup::Waiting => match s.as_str() {
            "answered" if *state == Pickup::Calling => {
                *state = Pickup::Talking;
                if let Some(secs) = duration {
                    ctl.deadline = Some(Instant::now() + Duration::from_secs(secs));
                    ctl.on_deadline = vec![Command::Hangup { call: id.clone() }];
                }
            }
            "ended" if *state == Pickup::Talking => {
                *state = Pickup::Over;
                ctl.ok = true;
                // wait for the media statistics
                ctl.deadline = Some(Instant::now() + Duration::from_secs(3));
                ctl.on_deadline.clear();
                ctl.stop_at_deadline = true;
            }
            "ended" if *state == Pickup::Calling => {
                let why = reason.clone().unwrap_or_default();
                let c = code.map(|c| format!("{c} ")).unwrap_or_default();
                ctl.fail(format!("pickup failed: {c}{why}"));
            }
            _ => {}
        },
        Event::Media { .. } if *state == Pickup::Over => ctl.stop = true,
        _ => {}
    }
}

/// Where a pickup stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pickup {
    /// Watching the colleague's line until it rings.
    Waiting,
    /// The pickup call is on its way.
    Calling,
    /// Answered: talking with the caller.
    Talking,
    /// The call is over; waiting for its media statistics.
    Over,
}
