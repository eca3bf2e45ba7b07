//! Runs a list of feature-code calls one after the other on one registered account (the
//! forwarding settings made through the PBX's codes: DND `*77`/`*78`, CFU `*72`+target/`*73`,
//! CFB `*90`/`*91`, CFNA `*92`/`*93`), printing one `{"event":"feature_code",…}` line each.

use super::session;
use crate::api::Event;
use crate::engine::EngineConfig;
use crate::ua::feature_codes::{FeatureCall, FeatureOutcome, FeaturePlan};
use std::cell::RefCell;
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// How long the call stays up after the digits, and how long the PBX may take to answer.
const LINGER: Duration = Duration::from_millis(800);
const MAX_WAIT: Duration = Duration::from_secs(30);

/// Starts the call for `plan` (its Dial goes out with the next batch of commands).
pub(super) fn start(plan: FeaturePlan, prompt: Duration, ctl: &mut session::Control) -> FeatureCall {
    let mut c = FeatureCall::start(Instant::now(), plan, prompt, LINGER, MAX_WAIT);
    ctl.send.extend(std::iter::from_fn(|| c.poll_command()));
    c
}

/// Feeds an engine event to the call in progress; once it is over, prints its
/// `feature_code` line, clears it and returns the outcome.
pub(super) fn on_event(
    call: &mut Option<FeatureCall>,
    ev: &Event,
    ctl: &mut session::Control,
) -> Option<FeatureOutcome> {
    let c = call.as_mut()?;
    c.handle_event(Instant::now(), ev);
    ctl.send.extend(std::iter::from_fn(|| c.poll_command()));
    let outcome = c.outcome().cloned()?;
    report(c, &outcome);
    *call = None;
    Some(outcome)
}

/// The call's timers (the prompt wait, the linger, the overall limit).
pub(super) fn on_tick(call: &mut Option<FeatureCall>, now: Instant, ctl: &mut session::Control) {
    if let Some(c) = call.as_mut()
        && c.poll_timeout().is_some_and(|t| t <= now)
    {
        c.handle_timeout(now);
        ctl.send.extend(std::iter::from_fn(|| c.poll_command()));
    }
}

/// Prints the outcome of a feature-code call as one JSON line.
fn report(c: &FeatureCall, outcome: &FeatureOutcome) {
    let (result, reason) = match outcome {
        FeatureOutcome::Done => ("done", None),
        FeatureOutcome::Failed(why) => ("failed", Some(why.as_str())),
    };
    let line = serde_json::json!({
        "event": "feature_code",
        "dial": c.plan().dial,
        "dtmf": c.plan().dtmf,
        "result": result,
        "reason": reason,
    });
    println!("{line}");
}

/// Dials each plan in turn once registered; exit 0 when every call went through.
pub fn run(cfg: EngineConfig, plans: Vec<FeaturePlan>, prompt: Duration) -> i32 {
    let state = RefCell::new((VecDeque::from(plans), None::<FeatureCall>, false));
    let next =
        |queue: &mut VecDeque<FeaturePlan>, call: &mut Option<FeatureCall>, ctl: &mut session::Control| match queue
            .pop_front()
        {
            Some(p) => *call = Some(start(p, prompt, ctl)),
            None => {
                ctl.ok = true;
                ctl.stop = true;
            }
        };
    session::run_ticking(
        cfg,
        Vec::new(),
        None,
        session::Control::default(),
        |ev, ctl| {
            let (queue, call, started) = &mut *state.borrow_mut();
            if matches!(ev, Event::Registered { .. }) && !*started {
                *started = true;
                next(queue, call, ctl);
                return;
            }
            match on_event(call, ev, ctl) {
                Some(FeatureOutcome::Done) => next(queue, call, ctl),
                Some(FeatureOutcome::Failed(why)) => ctl.fail(format!("a feature code failed: {why}")),
                None => {}
            }
        },
        |now, ctl| on_tick(&mut state.borrow_mut().1, now, ctl),
    )
}
