//! `lampboard call TARGET` and `lampboard answer`: calls with audio from/to WAV files (or
//! silence), JSON lines `{"event":"call",…}` and, at the end, `{"event":"media",…}`.

use super::{AccountArgs, prepare, session};
use crate::api::{Command, Event};
use crate::engine::media::AudioFiles;
use crate::media::audio::{AudioDevices, BackendKind};
use clap::Args;
use std::collections::HashSet;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Audio options shared by `call` and `answer`.
#[derive(Debug, Args, Clone)]
pub struct AudioArgs {
    /// WAV file to send (16-bit PCM, any rate). Without --play and --record the sound devices are used.
    #[arg(long)]
    pub play: Option<PathBuf>,
    /// WAV file to write what we receive (16-bit mono at the codec's sample rate). A call that
    /// overlaps another (consult, transfer, pickup) records to FILE-<call>.wav next to it.
    #[arg(long)]
    pub record: Option<PathBuf>,
    /// Sound devices when there is no --play/--record: `device` (cpal) or `null` (none).
    #[arg(long, default_value = "device")]
    pub audio: BackendKind,
    /// Microphone by name (see `lampboard devices`; default: the system's).
    #[arg(long)]
    pub input: Option<String>,
    /// Speaker or headset by name (default: the system's).
    #[arg(long)]
    pub output: Option<String>,
    /// Where incoming calls ring (default: the output device).
    #[arg(long)]
    pub ring: Option<String>,
}

/// `lampboard call`.
#[derive(Debug, Args)]
pub struct CallArgs {
    /// Extension (in the account's domain), number or SIP URI.
    pub target: String,
    /// Hang up this many seconds after the answer (default: when the other side hangs up).
    #[arg(long)]
    pub duration: Option<u64>,
    /// DTMF digits to send once answered (RFC 4733).
    #[arg(long)]
    pub dtmf: Option<String>,
    /// Blind-transfer the answered call to this number or SIP URI (REFER); the run succeeds
    /// when the transfer is done.
    #[arg(long)]
    pub transfer: Option<String>,
    /// Attended transfer to this number or SIP URI: hold the answered call, call the target
    /// to consult, then connect the two (REFER with Replaces); the run succeeds when the
    /// transfer is done and both of our calls have ended.
    #[arg(long)]
    pub attended_transfer: Option<String>,
    /// Seconds between the answer and the transfer (for an attended transfer: the consult call).
    #[arg(long, default_value_t = 1)]
    pub transfer_after: u64,
    /// Attended transfer: seconds of consultation between the target's answer and the REFER.
    #[arg(long, default_value_t = 1)]
    pub consult_secs: u64,
    /// Park the answered call with the PBX's park code (sent as DTMF) after this many seconds.
    #[arg(long)]
    pub park_after: Option<u64>,
    /// Audio files.
    #[command(flatten)]
    pub audio: AudioArgs,
    /// Account options.
    #[command(flatten)]
    pub account: AccountArgs,
}

/// `lampboard answer`.
#[derive(Debug, Args)]
pub struct AnswerArgs {
    /// Answer this many calls, then exit.
    #[arg(long, default_value_t = 1)]
    pub count: u32,
    /// Let an incoming call ring this many seconds (one ring each) before answering.
    #[arg(long, default_value_t = 0)]
    pub after_rings: u64,
    /// Hang up this many seconds after answering (default: when the caller hangs up).
    #[arg(long)]
    pub duration: Option<u64>,
    /// Enforce the call-forwarding rules of this file (DND, CFU, CFB, CFNA, whitelists) on
    /// incoming calls; `default` for the rules file `lampboard rules` edits.
    #[arg(long)]
    pub rules: Option<String>,
    /// Audio files.
    #[command(flatten)]
    pub audio: AudioArgs,
    /// Account options.
    #[command(flatten)]
    pub account: AccountArgs,
}

/// Loads the rules named by `--rules` and makes them the engine's call policy.
fn load_policy(arg: &str) -> Result<crate::ua::policy::PolicyHandle, String> {
    let path = if arg == "default" {
        crate::forwarding::file::default_path().ok_or("no config directory for the default rules file")?
    } else {
        PathBuf::from(arg)
    };
    let rules = crate::forwarding::file::load(&path).map_err(|e| e.to_string())?;
    Ok(crate::engine::rules_policy::RulesPolicy::handle(rules).1)
}

pub(super) fn audio(a: &AudioArgs) -> AudioFiles {
    AudioFiles {
        play: a.play.clone(),
        record: a.record.clone(),
        devices: AudioDevices {
            backend: a.audio,
            input: a.input.clone(),
            output: a.output.clone(),
            ring: a.ring.clone(),
        },
    }
}

/// Runs `lampboard call`; returns the exit code.
pub fn call(args: &CallArgs) -> i32 {
    let mut cfg = match prepare(&args.account) {
        Ok(c) => c,
        Err(code) => return code,
    };
    cfg.audio = audio(&args.audio);
    if args.transfer.is_some() && args.attended_transfer.is_some() {
        eprintln!("lampboard: --transfer and --attended-transfer exclude each other");
        return super::EXIT_USAGE;
    }
    let dial = Command::Dial { target: args.target.clone() };
    let mut run = CallRun::new(args);
    session::run(cfg, vec![dial], None, session::Control::default(), move |ev, ctl| run.on_event(ev, ctl))
}

/// What `lampboard call` does with the events of its calls: the call it dialed, and for an
/// attended transfer the consult call.
struct CallRun {
    duration: Option<u64>,
    dtmf: Option<String>,
    transfer: Option<String>,
    attended: Option<String>,
    transfer_after: u64,
    consult_secs: u64,
    park_after: Option<u64>,
    /// The call we dialed (the first call event).
    main: Option<String>,
    /// The consult call of an attended transfer.
    consult: Option<String>,
    /// When the REFER of an attended transfer goes out.
    refer_at: Option<Instant>,
    /// The main call is being replaced (RFC 3891): the next new call takes its place.
    main_replaced: bool,
    answered_at: Option<Instant>,
    transfer_done: bool,
    main_ended: bool,
    consult_ended: bool,
    /// Media statistics still expected (one per answered call).
    media_due: u32,
}

impl CallRun {
    fn new(args: &CallArgs) -> CallRun {
        CallRun {
            duration: args.duration,
            dtmf: args.dtmf.clone(),
            transfer: args.transfer.clone(),
            attended: args.attended_transfer.clone(),
            transfer_after: args.transfer_after,
            consult_secs: args.consult_secs,
            park_after: args.park_after,
            main: None,
            consult: None,
            main_replaced: false,
            refer_at: None,
            answered_at: None,
            transfer_done: args.transfer.is_none() && args.attended_transfer.is_none(),
            main_ended: false,
            consult_ended: false,
            media_due: 0,
        }
    }

    fn on_event(&mut self, ev: &Event, ctl: &mut session::Control) {
        match ev {
            Event::Call { id, state, code, reason, .. } => {
                if self.main.is_none() {
                    self.main = Some(id.clone());
                } else if self.main_replaced && self.main.as_deref() != Some(id.as_str()) {
                    // The call that replaces ours (a pickup of our ringing call, RFC 3891)
                    // carries on as our call; the old one ends on its own.
                    self.main = Some(id.clone());
                    self.main_replaced = false;
                } else if self.main.as_deref() != Some(id.as_str()) && self.consult.is_none() && self.attended.is_some()
                {
                    self.consult = Some(id.clone());
                }
                if self.main.as_deref() == Some(id.as_str()) {
                    self.main_event(id, state, *code, reason.as_deref(), ctl);
                } else if self.consult.as_deref() == Some(id.as_str()) {
                    self.consult_event(id, state, *code, reason.as_deref(), ctl);
                }
            }
            Event::Transfer { id, state, code, .. } => match state.as_str() {
                "replaced" if self.main.as_deref() == Some(id.as_str()) => self.main_replaced = true,
                "done" => {
                    self.transfer_done = true;
                    if let Some(k) = self.consult.clone().filter(|_| !self.consult_ended) {
                        // The target ends the replaced consult call itself (RFC 3891); when it
                        // does not within a few seconds, we do.
                        ctl.deadline = Some(Instant::now() + Duration::from_secs(CONSULT_GRACE_SECS));
                        ctl.on_deadline = vec![Command::Hangup { call: k }];
                        ctl.stop_at_deadline = false;
                    }
                }
                "failed" => ctl.fail(format!("transfer failed: {}", code.map(|c| c.to_string()).unwrap_or_default())),
                _ => {}
            },
            Event::Media { .. } => {
                self.media_due = self.media_due.saturating_sub(1);
                self.maybe_finish(ctl);
            }
            _ => {}
        }
    }

    fn main_event(
        &mut self,
        id: &str,
        state: &str,
        code: Option<u16>,
        reason: Option<&str>,
        ctl: &mut session::Control,
    ) {
        match state {
            "answered" if self.answered_at.is_none() => {
                self.answered_at = Some(Instant::now());
                self.media_due += 1;
                if let Some(d) = &self.dtmf {
                    ctl.send.push(Command::SendDtmf { call: id.to_string(), digits: d.clone() });
                }
                let later = |secs| Some(Instant::now() + Duration::from_secs(secs));
                if let Some(t) = &self.transfer {
                    ctl.deadline = later(self.transfer_after);
                    ctl.on_deadline = vec![transfer_command(id, t, None, false)];
                } else if let Some(t) = &self.attended {
                    // Step one: hold the call and call the target to consult.
                    ctl.deadline = later(self.transfer_after);
                    ctl.on_deadline = vec![transfer_command(id, t, None, true)];
                } else if let Some(secs) = self.park_after {
                    ctl.deadline = later(secs);
                    ctl.on_deadline = vec![Command::Park { call: id.to_string() }];
                } else if let Some(secs) = self.duration {
                    ctl.deadline = later(secs);
                    ctl.on_deadline = vec![Command::Hangup { call: id.to_string() }];
                }
            }
            "ended" => {
                self.main_ended = true;
                if self.answered_at.is_some() && !self.transfer_done {
                    if let Some(k) = self.consult.clone().filter(|_| !self.consult_ended) {
                        ctl.send.push(Command::Hangup { call: k });
                    }
                    ctl.fail("the call ended before the transfer was done".into());
                } else if self.answered_at.is_none() {
                    let why = reason.unwrap_or_default();
                    ctl.fail(match code {
                        Some(c) if !why.starts_with(&c.to_string()) => format!("call failed: {c} {why}"),
                        _ => format!("call failed: {why}"),
                    });
                }
                self.maybe_finish(ctl);
            }
            _ => {}
        }
    }

    fn consult_event(
        &mut self,
        id: &str,
        state: &str,
        code: Option<u16>,
        reason: Option<&str>,
        ctl: &mut session::Control,
    ) {
        match state {
            "answered" => {
                self.media_due += 1;
                // Step two: connect the held call with the consulted target (REFER with Replaces).
                let main = self.main.clone().unwrap_or_default();
                let at = Instant::now() + Duration::from_secs(self.consult_secs);
                self.refer_at = Some(at);
                ctl.deadline = Some(at);
                ctl.on_deadline = vec![transfer_command(&main, "", Some(id), false)];
            }
            "ended" => {
                self.consult_ended = true;
                // Once the REFER is out, a target that honours Replaces ends the consult call
                // itself, possibly before the transferee's final NOTIFY reaches us.
                let referred = self.refer_at.is_some_and(|t| Instant::now() >= t);
                if !self.transfer_done && !referred {
                    let why = reason.unwrap_or_default();
                    let c = code.map(|c| format!("{c} ")).unwrap_or_default();
                    ctl.fail(format!("the consult call ended before the transfer: {c}{why}"));
                }
                self.maybe_finish(ctl);
            }
            _ => {}
        }
    }

    /// Stops once every call is over and its media statistics are out (at most a few seconds
    /// after the last call ended).
    fn maybe_finish(&mut self, ctl: &mut session::Control) {
        let calls_over = self.main_ended && (self.consult.is_none() || self.consult_ended);
        if !calls_over {
            return;
        }
        if self.answered_at.is_some() && self.transfer_done && ctl.failure.is_none() {
            ctl.ok = true;
        }
        if self.media_due == 0 || ctl.failure.is_some() {
            ctl.stop = true;
        } else if !ctl.stop_at_deadline {
            // wait for the media statistics
            ctl.deadline = Some(Instant::now() + Duration::from_secs(3));
            ctl.on_deadline.clear();
            ctl.stop_at_deadline = true;
        }
    }
}

/// Seconds the transfer target gets to end the consult call it replaced.
const CONSULT_GRACE_SECS: u64 = 5;

fn transfer_command(call: &str, target: &str, consult: Option<&str>, attended: bool) -> Command {
    Command::Transfer {
        call: call.to_string(),
        target: target.to_string(),
        consult: consult.map(str::to_string),
        attended,
    }
}

/// Runs `lampboard answer`; returns the exit code.
pub fn answer(args: &AnswerArgs) -> i32 {
    let mut cfg = match prepare(&args.account) {
        Ok(c) => c,
        Err(code) => return code,
    };
    cfg.audio = audio(&args.audio);
    if let Some(r) = &args.rules {
        match load_policy(r) {
            Ok(p) => cfg.policy = Some(p),
            Err(e) => {
                eprintln!("lampboard: {e}");
                return super::EXIT_USAGE;
            }
        }
    }
    let mut run = AnswerRun {
        wanted: args.count.max(1),
        rings: args.after_rings,
        duration: args.duration,
        ..AnswerRun::default()
    };
    session::run(cfg, Vec::new(), None, session::Control::default(), move |ev, ctl| run.on_event(ev, ctl))
}

/// What `lampboard answer` does with its calls: it answers `wanted` incoming calls, and also
/// carries the calls the user agent starts by itself — the call to a transfer target when a
/// caller transfers us (REFER), and a call that replaces one of ours (INVITE with Replaces) —
/// until every call is over and has reported its media statistics.
#[derive(Default)]
struct AnswerRun {
    wanted: u32,
    rings: u64,
    duration: Option<u64>,
    /// Incoming calls we chose to answer.
    answered: u32,
    /// Calls our rules forwarded or rejected, or that ended before we answered.
    unanswered: u32,
    /// Every answered call (ours, transfer-made, replacing).
    talked: HashSet<String>,
    /// Calls whose media statistics came.
    reported: HashSet<String>,
    /// Calls not ended yet.
    live: HashSet<String>,
    /// The user agent is taking an incoming call that replaces one of ours: it answers it.
    replacing: bool,
}

impl AnswerRun {
    fn on_event(&mut self, ev: &Event, ctl: &mut session::Control) {
        match ev {
            Event::Transfer { state, .. } if state == "replaced" => self.replacing = true,
            Event::Call { id, state, direction, .. } => {
                if state == "ended" {
                    self.live.remove(id);
                } else {
                    self.live.insert(id.clone());
                }
                match (direction.as_str(), state.as_str()) {
                    ("in", "ringing") if self.replacing => self.replacing = false,
                    ("in", "ringing") if self.answered < self.wanted => {
                        self.answered += 1;
                        let answer = Command::Answer { call: id.clone() };
                        if self.rings == 0 {
                            ctl.send.push(answer);
                        } else {
                            ctl.deadline = Some(Instant::now() + Duration::from_secs(self.rings));
                            ctl.on_deadline = vec![answer];
                        }
                    }
                    ("in", "ringing") => ctl.send.push(Command::Reject { call: id.clone(), code: 486 }),
                    (_, "answered") => {
                        self.talked.insert(id.clone());
                        if let Some(secs) = self.duration {
                            ctl.deadline = Some(Instant::now() + Duration::from_secs(secs));
                            ctl.on_deadline = vec![Command::Hangup { call: id.clone() }];
                        }
                    }
                    // Never answered: forwarded or rejected by our rules, or the caller gave up.
                    ("in", "ended") if !self.talked.contains(id) => self.unanswered += 1,
                    _ => {}
                }
            }
            Event::Media { id, .. } => {
                self.reported.insert(id.clone());
            }
            _ => return,
        }
        let handled = self.reported.len() as u32 + self.unanswered >= self.wanted;
        if handled && self.live.is_empty() && self.talked.is_subset(&self.reported) {
            ctl.ok = true;
            ctl.stop = true;
        }
    }
}
