//! How the call policy's decision acts on an incoming call (the forwarding rules enforced
//! here): ask the policy when the call arrives and again when it has rung out; reject (DND,
//! busy) or forward with a 302 carrying Diversion and History-Info.
//!
//! A forward after the ring timeout may be announced first with 181 Call Is Being Forwarded
//! ([`super::policy::CallPolicy::cfna_181`]). The 302 then follows [`ANNOUNCE_GAP`] later: a
//! proxy with several UDP workers (Kamailio's `children`) may otherwise relay the 302 before
//! the 181, and a 181 after the final response is worthless to the caller. During the gap the
//! call still rings here (answering it or a CANCEL wins over the forward).

use super::calls::Calls;
use super::policy::{Disposition, ForwardKind, IncomingCall};
use crate::api::Event;
use crate::sip::invite::{CallState, Redirect};
use std::time::{Duration, Instant};

/// How long after the 181 the 302 of an announced forward goes out.
pub const ANNOUNCE_GAP: Duration = Duration::from_millis(100);

/// A forward whose 181 went out; its 302 is due at `at`.
#[derive(Debug, Clone)]
pub(super) struct PendingForward {
    /// When the 302 goes out.
    pub(super) at: Instant,
    redirect: Redirect,
    kind: ForwardKind,
    reason: String,
}

impl Calls {
    /// The policy's decision for call `id` (ring when there is no policy).
    pub(super) fn consult(&self, id: &str, busy: bool, rung_out: bool) -> Disposition {
        let (Some(p), Some(c)) = (&self.policy, self.calls.get(id)) else { return Disposition::Ring };
        let call = IncomingCall { caller: c.caller.clone(), remote: c.remote.clone(), busy, rung_out };
        p.0.decide(&call)
    }

    /// Forwards (302 with Diversion and History-Info; after the ring timeout maybe 181 first)
    /// or rejects an incoming call as the policy decided.
    pub(super) fn dispose(&mut self, now: Instant, id: &str, d: Disposition) {
        let announce = self.policy.as_ref().is_some_and(|p| p.0.cfna_181());
        let Some(c) = self.calls.get_mut(id) else { return };
        match d {
            Disposition::Ring => {}
            Disposition::Forward { target, kind, reason } => {
                let uri = super::target_uri(&target, &self.domain);
                let Some(redirect) = c.session.redirect_for(&self.aor, &uri, kind.cause()) else { return };
                if kind == ForwardKind::NoAnswer && announce && c.session.announce_forward(&redirect) {
                    tracing::info!(call = id, %reason, "forwarding the call (181 sent, 302 follows)");
                    c.forward_at = Some(PendingForward { at: now + ANNOUNCE_GAP, redirect, kind, reason });
                } else {
                    self.send_forward(id, &redirect, kind, reason);
                }
            }
            Disposition::Reject { code, reason } => {
                tracing::info!(call = id, code, %reason, "rejecting the call");
                let phrase = match code {
                    486 => "Busy Here",
                    480 => "Temporarily Unavailable",
                    _ => "Decline",
                };
                c.session.reject(code, phrase, None);
                c.disposed = Some(reason);
            }
        }
        self.drain(id);
    }

    /// Sends a ringing incoming call on to `target` (302 with Diversion `reason=deflection`
    /// and History-Info `cause=480`): the incoming-call panel's Forward. Ignored for a call
    /// that is no longer ringing here.
    pub fn deflect(&mut self, now: Instant, id: &str, target: &str) {
        if !self.calls.get(id).is_some_and(|c| c.session.state() == CallState::Incoming) {
            tracing::info!(call = id, "not ringing here: nothing to forward");
            return;
        }
        let d = Disposition::Forward {
            target: target.to_string(),
            kind: ForwardKind::Deflection,
            reason: format!("forwarded to {target} by you"),
        };
        self.dispose(now, id, d);
    }

    /// Sends the 302 of a forward and reports it.
    fn send_forward(&mut self, id: &str, redirect: &Redirect, kind: ForwardKind, reason: String) {
        let Some(c) = self.calls.get_mut(id) else { return };
        if c.session.state() != CallState::Incoming {
            // Answered or cancelled in the meantime: that wins.
            return;
        }
        tracing::info!(call = id, %reason, "forwarding the call");
        c.session.redirect(redirect);
        c.disposed = Some(reason.clone());
        self.events.push_back(Event::Forwarded {
            id: id.to_string(),
            remote: c.remote.clone(),
            target: redirect.target.clone(),
            kind: kind.diversion_reason().to_string(),
            reason,
        });
    }

    /// The policy's timers: calls that have rung out are decided again (call forward no
    /// answer), and announced forwards send their 302.
    pub(super) fn policy_timeout(&mut self, now: Instant) {
        let rung_out: Vec<String> = self
            .calls
            .iter_mut()
            .filter(|(_, c)| c.no_answer_at.is_some_and(|t| t <= now))
            .map(|(id, c)| {
                c.no_answer_at = None;
                id.clone()
            })
            .collect();
        for id in rung_out {
            if self.calls.get(&id).is_some_and(|c| c.session.state() == CallState::Incoming) {
                let busy = self.in_another_call();
                if let d @ Disposition::Forward { .. } = self.consult(&id, busy, true) {
                    self.dispose(now, &id, d);
                }
            }
        }
        let due: Vec<(String, PendingForward)> = self
            .calls
            .iter_mut()
            .filter(|(_, c)| c.forward_at.as_ref().is_some_and(|f| f.at <= now))
            .filter_map(|(id, c)| c.forward_at.take().map(|f| (id.clone(), f)))
            .collect();
        for (id, f) in due {
            self.send_forward(&id, &f.redirect, f.kind, f.reason);
            self.drain(&id);
        }
    }
}
