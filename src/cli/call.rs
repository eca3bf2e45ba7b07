//! `lampboard call TARGET` and `lampboard answer`: calls with audio from/to WAV files (or
//! silence), JSON lines `{"event":"call",…}` and, at the end, `{"event":"media",…}`.

use super::{AccountArgs, prepare, session};
use crate::api::{Command, Event};
use crate::engine::media::AudioFiles;
use crate::media::audio::{AudioDevices, BackendKind};
use clap::Args;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Audio options shared by `call` and `answer`.
#[derive(Debug, Args, Clone)]
pub struct AudioArgs {
    /// WAV file to send (16-bit PCM, any rate). Without --play and --record the sound devices are used.
    #[arg(long)]
    pub play: Option<PathBuf>,
    /// WAV file to write what we receive (16-bit mono at the codec's sample rate).
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
    /// Seconds between the answer and the transfer.
    #[arg(long, default_value_t = 1)]
    pub transfer_after: u64,
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

fn audio(a: &AudioArgs) -> AudioFiles {
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
    let dial = Command::Dial { target: args.target.clone() };
    let ctl = session::Control::default();
    let duration = args.duration;
    let dtmf = args.dtmf.clone();
    let transfer = args.transfer.clone();
    let transfer_after = args.transfer_after;
    let park_after = args.park_after;
    let mut transfer_done = transfer.is_none();
    let mut answered_at: Option<Instant> = None;
    let mut call_id = String::new();
    let mut media_seen = false;
    let mut ended = false;
    session::run(cfg, vec![dial], None, ctl, move |ev, ctl| {
        match ev {
            Event::Call { id, state, code, reason, .. } => {
                call_id = id.clone();
                match state.as_str() {
                    "answered" if answered_at.is_none() => {
                        answered_at = Some(Instant::now());
                        if let Some(d) = &dtmf {
                            ctl.send.push(Command::SendDtmf { call: id.clone(), digits: d.clone() });
                        }
                        if let Some(t) = &transfer {
                            ctl.deadline = Some(Instant::now() + Duration::from_secs(transfer_after));
                            ctl.on_deadline = vec![Command::Transfer {
                                call: id.clone(),
                                target: t.clone(),
                                consult: None,
                                attended: false,
                            }];
                        } else if let Some(secs) = park_after {
                            ctl.deadline = Some(Instant::now() + Duration::from_secs(secs));
                            ctl.on_deadline = vec![Command::Park { call: id.clone() }];
                        } else if let Some(secs) = duration {
                            ctl.deadline = Some(Instant::now() + Duration::from_secs(secs));
                            ctl.on_deadline = vec![Command::Hangup { call: id.clone() }];
                        }
                    }
                    "ended" => {
                        ended = true;
                        if answered_at.is_some() && !transfer_done {
                            ctl.fail("the call ended before the transfer was done".into());
                        } else if answered_at.is_some() {
                            ctl.ok = true;
                        } else {
                            let why = reason.clone().unwrap_or_default();
                            ctl.fail(match code {
                                Some(c) if !why.starts_with(&c.to_string()) => format!("call failed: {c} {why}"),
                                _ => format!("call failed: {why}"),
                            });
                        }
                        if !media_seen && answered_at.is_some() {
                            // wait for the media statistics
                            ctl.deadline = Some(Instant::now() + Duration::from_secs(3));
                            ctl.on_deadline.clear();
                            ctl.stop_at_deadline = true;
                        } else {
                            ctl.stop = true;
                        }
                    }
                    _ => {}
                }
            }
            Event::Transfer { state, code, .. } => match state.as_str() {
                "done" => transfer_done = true,
                "failed" => ctl.fail(format!("transfer failed: {}", code.map(|c| c.to_string()).unwrap_or_default())),
                _ => {}
            },
            Event::Media { .. } => {
                media_seen = true;
                if ended {
                    ctl.stop = true;
                }
            }
            _ => {}
        }
        let _ = &call_id;
    })
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
    let ctl = session::Control::default();
    let wanted = args.count.max(1);
    let rings = args.after_rings;
    let duration = args.duration;
    let mut answered = 0u32;
    let mut done = 0u32;
    let mut stats = 0u32;
    // Calls our rules forwarded or rejected, or that ended before we answered.
    let mut unanswered = 0u32;
    let mut answering: std::collections::HashSet<String> = Default::default();
    let mut talked: std::collections::HashSet<String> = Default::default();
    session::run(cfg, Vec::new(), None, ctl, move |ev, ctl| match ev {
        Event::Call { id, state, direction, .. } if direction == "in" => match state.as_str() {
            "ringing" if answered < wanted => {
                answered += 1;
                answering.insert(id.clone());
                let answer = Command::Answer { call: id.clone() };
                if rings == 0 {
                    ctl.send.push(answer);
                } else {
                    ctl.deadline = Some(Instant::now() + Duration::from_secs(rings));
                    ctl.on_deadline = vec![answer];
                }
            }
            "ringing" => ctl.send.push(Command::Reject { call: id.clone(), code: 486 }),
            "answered" => {
                answering.remove(id);
                talked.insert(id.clone());
                if let Some(secs) = duration {
                    ctl.deadline = Some(Instant::now() + Duration::from_secs(secs));
                    ctl.on_deadline = vec![Command::Hangup { call: id.clone() }];
                }
            }
            "ended" if !talked.contains(id) => {
                // Never answered: forwarded or rejected by our rules, or the caller gave up.
                answering.remove(id);
                unanswered += 1;
                if stats + unanswered >= wanted {
                    ctl.ok = true;
                    ctl.stop = true;
                }
            }
            "ended" => {
                done += 1;
            }
            _ => {}
        },
        Event::Media { .. } => {
            stats += 1;
            if stats + unanswered >= wanted || (done >= wanted && stats >= done) {
                ctl.ok = true;
                ctl.stop = true;
            }
        }
        _ => {}
    })
}
