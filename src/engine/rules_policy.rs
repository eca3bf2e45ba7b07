//! The forwarding rules as the user agent's call policy: [`crate::forwarding::decide`] with
//! the wall clock (the engine is where clocks are read), so DND, CFU, CFB and CFNA act on
//! calls to this softphone.

use crate::forwarding::{Action, ForwardKind as RuleKind, Rules, decide};
use crate::ua::policy::{CallPolicy, Disposition, ForwardKind, IncomingCall, PolicyHandle};
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// The rules in force; replace them with [`RulesPolicy::set`] (e.g. after the file changed).
pub struct RulesPolicy {
    rules: RwLock<Rules>,
}

impl RulesPolicy {
    /// A policy enforcing `rules`, shareable with the engine.
    pub fn handle(rules: Rules) -> (Arc<RulesPolicy>, PolicyHandle) {
        let p = Arc::new(RulesPolicy { rules: RwLock::new(rules) });
        (p.clone(), PolicyHandle(p))
    }

    /// Replaces the rules.
    pub fn set(&self, rules: Rules) {
        if let Ok(mut r) = self.rules.write() {
            *r = rules;
        }
    }
}

impl RulesPolicy {
    /// Our own status changed (the status bar): the rules of that status apply from now on.
    /// Unknown words are ignored.
    pub fn set_status(&self, status: &str, note: Option<&str>) {
        let Some(kind) = crate::forwarding::StatusKind::parse(status) else { return };
        if let Ok(mut r) = self.rules.write() {
            r.status = kind;
            if kind == crate::forwarding::StatusKind::Custom
                && let Some(n) = note
            {
                r.custom_text = n.to_string();
            }
        }
    }
}

impl CallPolicy for RulesPolicy {
    fn decide(&self, call: &IncomingCall) -> Disposition {
        let Ok(rules) = self.rules.read() else { return Disposition::Ring };
        // "Busy" for the rules means "cannot take another call": in a call, call waiting off.
        let busy = call.busy && !rules.call_waiting;
        let d = decide(&rules, &rules.user_status(), jiff::Timestamp::now(), &call.caller, busy, call.rung_out);
        match d.action {
            Action::Ring => Disposition::Ring,
            Action::Reject { code } => Disposition::Reject { code, reason: d.reason },
            Action::Forward { target, kind } => Disposition::Forward {
                target: target.as_str().to_string(),
                kind: match kind {
                    RuleKind::Cfu => ForwardKind::Unconditional,
                    RuleKind::Cfb => ForwardKind::Busy,
                    RuleKind::Cfna => ForwardKind::NoAnswer,
                },
                reason: d.reason,
            },
        }
    }

    fn ring_timeout(&self) -> Option<Duration> {
        self.rules.read().ok().map(|r| Duration::from_secs(u64::from(r.ring_timeout)))
    }

    fn cfna_181(&self) -> bool {
        self.rules.read().is_ok_and(|r| r.cfna_181)
    }
}
