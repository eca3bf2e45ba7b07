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

/// Dials each plan in turn once registered; exit 0 when every call went through.
pub fn run(cfg: EngineConfig, plans: Vec<FeaturePlan>, prompt: Duration) -> i32 {
    let state = RefCell::new((VecDeque::from(plans), None::<FeatureCall>, false));
    let next =
        |queue: &mut VecDeque<FeaturePlan>, call: &mut Option<FeatureCall>, ctl: &mut session::Control| match queue
            .pop_front()
        {
            Some(p) => {
                let mut c =
                    FeatureCall::start(Instant::now(), p, prompt, Duration::from_millis(800), Duration::from_secs(30));
                ctl.send.extend(std::iter::from_fn(|| c.poll_command()));
                *call = Some(c);
            }
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
            let Some(c) = call.as_mut() else { return };
            c.handle_event(Instant::now(), ev);
            ctl.send.extend(std::iter::from_fn(|| c.poll_command()));
            if let Some(outcome) = c.outcome().cloned() {
                super::presence::report_feature_call(c, &outcome);
                *call = None;
                match outcome {
                    FeatureOutcome::Done => next(queue, call, ctl),
                    FeatureOutcome::Failed(why) => ctl.fail(format!("a feature code failed: {why}")),
                }
            }
        },
        |now, ctl| {
            let (_, call, _) = &mut *state.borrow_mut();
            if let Some(c) = call.as_mut()
                && c.poll_timeout().is_some_and(|t| t <= now)
            {
                c.handle_timeout(now);
                ctl.send.extend(std::iter::from_fn(|| c.poll_command()));
            }
        },
    )
}
