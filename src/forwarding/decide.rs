//! The one decision: what to do with an incoming call, given the rules and the moment.
//!
//! Order (first match wins), following the UCM guide:
//!
//! 1. **DND** is on when `rules.dnd` is set *or* the status is DND, and its time condition
//!    holds. Then every caller is rejected with `dnd_code` (486/480) and forwarding is
//!    ignored — except a caller on the **DND whitelist**, who rings directly (still without
//!    any forward: "call forward settings will be ignored" while DND is on). If we are busy,
//!    that caller gets 486 Busy Here instead of ringing.
//! 2. A caller on the **forward whitelist** is never forwarded: rings (486 if busy).
//! 3. **CFU** of the current status, if set and its time condition holds (also when busy).
//! 4. When `busy`: **CFB** if set and its time condition holds, else 486 Busy Here.
//! 5. When `rung_out` (the ring timeout passed unanswered): **CFNA** if set and its time
//!    condition holds, else keep ringing.
//! 6. Otherwise ring.
//!
//! `busy` means "cannot take another call": the caller computes it, e.g. with
//! [`Rules::is_busy`] (in a call and call waiting off). Callers are matched by their number
//! (see [`caller_number`]).

use super::model::{Rules, StatusKind, StatusRules, Target};
use super::pattern::{Pattern, caller_number};
use super::timecond::{Calendar, TimeCondition};
use crate::presence::status::UserStatus;
use jiff::Timestamp;
use serde::Serialize;

/// The response code for a busy callee.
pub const BUSY_HERE: u16 = 486;

/// Which forward applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ForwardKind {
    /// Call Forward Always.
    Cfu,
    /// Call Forward Busy.
    Cfb,
    /// Call Forward No Answer.
    Cfna,
}

impl ForwardKind {
    /// `cfu|cfb|cfna`.
    pub fn as_str(&self) -> &'static str {
        match self {
            ForwardKind::Cfu => "cfu",
            ForwardKind::Cfb => "cfb",
            ForwardKind::Cfna => "cfna",
        }
    }
}

/// What to do with the call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Ring here (or keep ringing).
    Ring,
    /// Redirect (302) to `target`.
    Forward {
        /// Where to.
        target: Target,
        /// Which rule.
        kind: ForwardKind,
    },
    /// Reject with this SIP response code (486 or 480).
    Reject {
        /// The response code.
        code: u16,
    },
}

impl Action {
    /// `ring|forward|reject`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Action::Ring => "ring",
            Action::Forward { .. } => "forward",
            Action::Reject { .. } => "reject",
        }
    }
}

/// The action and a short human reason for the UI and the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// What to do.
    pub action: Action,
    /// Why, in a few words (e.g. "CFU (away) to 2000").
    pub reason: String,
}

fn decision(action: Action, reason: impl Into<String>) -> Decision {
    Decision { action, reason: reason.into() }
}

fn first_match<'a>(list: &'a [Pattern], number: &str) -> Option<&'a Pattern> {
    list.iter().find(|p| p.matches(number))
}

/// " (time condition X)" for a non-trivial condition, else "".
fn when(c: &TimeCondition) -> String {
    if *c == TimeCondition::Always { String::new() } else { format!(" (time condition {c})") }
}

/// Decides what to do with a call from `caller` (a number, URI or name-addr) at `now`,
/// while our status is `status`. See the module docs for the order of the rules.
///
/// Call it when the INVITE arrives (`rung_out = false`) and again when the ring timeout
/// ([`Rules::ring_timeout`]) passes unanswered (`rung_out = true`). Time conditions are read
/// in `rules.time_zone`; when that is unset the system's zone is used (the one input not
/// passed in: set the zone for reproducible results).
pub fn decide(
    rules: &Rules,
    status: &UserStatus,
    now: Timestamp,
    caller: &str,
    busy: bool,
    rung_out: bool,
) -> Decision {
    let zone = rules.zone();
    let cal = rules.calendar(zone.tz());
    let number = caller_number(caller);
    let kind = StatusKind::of(status);

    let dnd_on = rules.dnd || kind == StatusKind::Dnd;
    if dnd_on && rules.dnd_time.holds(&cal, now) {
        let why = if rules.dnd { "DND" } else { "DND (status)" };
        return match first_match(&rules.dnd_whitelist, &number) {
            Some(p) if busy => decision(
                Action::Reject { code: BUSY_HERE },
                format!("{why}: {number} is on the DND whitelist ({p}) but we are busy"),
            ),
            Some(p) => {
                decision(Action::Ring, format!("{why}: {number} is on the DND whitelist ({p}): rings, no forwarding"))
            }
            None => decision(
                Action::Reject { code: rules.dnd_code },
                format!("{why}{}: rejected with {}", when(&rules.dnd_time), rules.dnd_code),
            ),
        };
    }

    if let Some(p) = first_match(&rules.fwd_whitelist, &number) {
        return if busy {
            decision(
                Action::Reject { code: BUSY_HERE },
                format!("busy; {number} is on the forward whitelist ({p}), not forwarded"),
            )
        } else {
            decision(Action::Ring, format!("{number} is on the forward whitelist ({p}): rings, never forwarded"))
        };
    }

    let entry = rules.per_status.get(kind);
    let label = kind.as_str();
    if let Some(d) = forward(entry.cfu.as_ref(), &entry.cfu_time, ForwardKind::Cfu, label, &cal, now) {
        return d;
    }
    if busy {
        return forward(entry.cfb.as_ref(), &entry.cfb_time, ForwardKind::Cfb, label, &cal, now).unwrap_or_else(|| {
            decision(
                Action::Reject { code: BUSY_HERE },
                format!("busy, {}: 486 Busy Here", not_applied(entry, ForwardKind::Cfb)),
            )
        });
    }
    if rung_out {
        return forward(entry.cfna.as_ref(), &entry.cfna_time, ForwardKind::Cfna, label, &cal, now).unwrap_or_else(
            || {
                decision(
                    Action::Ring,
                    format!(
                        "rang {} s unanswered, {}: keeps ringing",
                        rules.ring_timeout,
                        not_applied(entry, ForwardKind::Cfna)
                    ),
                )
            },
        );
    }
    let cfu_note =
        if entry.cfu.is_some() { format!(" ({})", not_applied(entry, ForwardKind::Cfu)) } else { String::new() };
    decision(Action::Ring, format!("rings{cfu_note}"))
}

/// The forward decision if `target` is set and `time` holds.
fn forward(
    target: Option<&Target>,
    time: &TimeCondition,
    kind: ForwardKind,
    status: &str,
    cal: &Calendar<'_>,
    now: Timestamp,
) -> Option<Decision> {
    let target = target?;
    if !time.holds(cal, now) {
        return None;
    }
    let reason = format!("{} ({status}){} to {target}", kind.as_str().to_uppercase(), when(time));
    Some(decision(Action::Forward { target: target.clone(), kind }, reason))
}

/// "no CFB" or "CFB time condition office does not hold".
fn not_applied(entry: &StatusRules, kind: ForwardKind) -> String {
    let (target, time) = match kind {
        ForwardKind::Cfu => (&entry.cfu, &entry.cfu_time),
        ForwardKind::Cfb => (&entry.cfb, &entry.cfb_time),
        ForwardKind::Cfna => (&entry.cfna, &entry.cfna_time),
    };
    let name = kind.as_str().to_uppercase();
    if target.is_none() { format!("no {name}") } else { format!("{name} time condition {time} does not hold") }
}
