//! PBX feature codes: the status and forwarding settings made by dialling a code, for any
//! Asterisk-style PBX (UCM defaults, every code editable in the account's PBX profile).
//!
//! A setting becomes a short automatic call: dial the code (with the target appended for the
//! call-forward codes), wait for the PBX to answer and play its prompt, send the choice as RFC
//! 4733 DTMF where the PBX asks for one (presence `*48` + the digit of the status), then hang
//! up. [`FeatureCall`] is the sans-IO script of that call: it reads [`Event`]s and produces
//! [`Command`]s at the right moments; its outcome is reported.

use crate::api::{Command, Event};
use crate::presence::status::UserStatus;
use serde::{Deserialize, Serialize};
use std::time::{Duration, Instant};

/// The feature codes of one PBX profile (defaults: Grandstream UCM).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FeatureCodes {
    /// Presence (the PBX asks for the status digit).
    pub presence: String,
    /// Do Not Disturb on.
    pub dnd_on: String,
    /// Do Not Disturb off.
    pub dnd_off: String,
    /// Call Forward Always on (followed by the target).
    pub cfu_on: String,
    /// Call Forward Always off.
    pub cfu_off: String,
    /// Call Forward Busy on (followed by the target).
    pub cfb_on: String,
    /// Call Forward Busy off.
    pub cfb_off: String,
    /// Call Forward No Answer on (followed by the target).
    pub cfna_on: String,
    /// Call Forward No Answer off.
    pub cfna_off: String,
    /// Directed pickup (followed by the extension).
    pub pickup: String,
    /// Group pickup.
    pub group_pickup: String,
    /// Call park, dialled as DTMF in a call.
    pub park: String,
}

impl Default for FeatureCodes {
    fn default() -> Self {
        Self {
            presence: "*48".into(),
            dnd_on: "*77".into(),
            dnd_off: "*78".into(),
            cfu_on: "*72".into(),
            cfu_off: "*73".into(),
            cfb_on: "*90".into(),
            cfb_off: "*91".into(),
            cfna_on: "*92".into(),
            cfna_off: "*93".into(),
            pickup: "**".into(),
            group_pickup: "*8".into(),
            park: "#72".into(),
        }
    }
}

/// A setting made through a feature code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeatureAction {
    /// Set the presence status.
    Presence(UserStatus),
    /// Do Not Disturb on or off.
    Dnd(bool),
    /// Call Forward Always to a target, or off.
    Cfu(Option<String>),
    /// Call Forward Busy to a target, or off.
    Cfb(Option<String>),
    /// Call Forward No Answer to a target, or off.
    Cfna(Option<String>),
}

/// What to dial and which digits to send once the PBX answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeaturePlan {
    /// The number dialled (code, plus target).
    pub dial: String,
    /// DTMF sent after the prompt, if the code asks for a choice.
    pub dtmf: Option<String>,
}

/// The digit of a status in the `*48` prompt (order from the UCM guide: 1 Unavailable,
/// 2 Available, 3 Away, 4 Chat, 5 Do Not Disturb, 6 Custom). "Unknown" is not a status one
/// sets; it goes as Available.
pub fn presence_digit(status: &UserStatus) -> char {
    match status {
        UserStatus::Unavailable => '1',
        UserStatus::Unknown => '2',
        UserStatus::Available => '2',
        UserStatus::Away => '3',
        UserStatus::Chat => '4',
        UserStatus::Dnd => '5',
        UserStatus::Custom(_) => '6',
    }
}

impl FeatureCodes {
    /// `self` with every code the account's PBX profile (config file) sets put in its place.
    pub fn with_profile(mut self, p: &crate::config::account::FeatureCodes) -> FeatureCodes {
        let pairs: [(&mut String, &Option<String>); 12] = [
            (&mut self.presence, &p.presence),
            (&mut self.dnd_on, &p.dnd_on),
            (&mut self.dnd_off, &p.dnd_off),
            (&mut self.cfu_on, &p.cfu_on),
            (&mut self.cfu_off, &p.cfu_off),
            (&mut self.cfb_on, &p.cfb_on),
            (&mut self.cfb_off, &p.cfb_off),
            (&mut self.cfna_on, &p.cfna_on),
            (&mut self.cfna_off, &p.cfna_off),
            (&mut self.pickup, &p.pickup),
            (&mut self.group_pickup, &p.group_pickup),
            (&mut self.park, &p.park),
        ];
        for (slot, code) in pairs {
            if let Some(c) = code {
                *slot = c.clone();
            }
        }
        self
    }

    /// The call that makes `action`.
    pub fn plan(&self, action: &FeatureAction) -> FeaturePlan {
        let with = |code: &str, t: &Option<String>, off: &str| match t {
            Some(t) => FeaturePlan { dial: format!("{code}{t}"), dtmf: None },
            None => FeaturePlan { dial: off.to_string(), dtmf: None },
        };
        match action {
            FeatureAction::Presence(s) => {
                FeaturePlan { dial: self.presence.clone(), dtmf: Some(presence_digit(s).to_string()) }
            }
            FeatureAction::Dnd(true) => FeaturePlan { dial: self.dnd_on.clone(), dtmf: None },
            FeatureAction::Dnd(false) => FeaturePlan { dial: self.dnd_off.clone(), dtmf: None },
            FeatureAction::Cfu(t) => with(&self.cfu_on, t, &self.cfu_off),
            FeatureAction::Cfb(t) => with(&self.cfb_on, t, &self.cfb_off),
            FeatureAction::Cfna(t) => with(&self.cfna_on, t, &self.cfna_off),
        }
    }
}

/// Whether an outgoing call's `remote` (`sip:*48@pbx`, `#` escaped as `%23`) is `dial`.
pub fn is_dialled(remote: &str, dial: &str) -> bool {
    let (_, number) = crate::history::split_remote(remote);
    number.replace("%23", "#").replace("%2A", "*").replace("%2a", "*") == dial
}

/// How a feature-code call went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeatureOutcome {
    /// The PBX answered, the digits went out and the call ended.
    Done,
    /// The PBX refused or never answered.
    Failed(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Dialling,
    Prompt,
    Digits,
    Ending,
    Over,
}

/// The script of one feature-code call (sans-IO: `now` is an argument).
#[derive(Debug)]
pub struct FeatureCall {
    plan: FeaturePlan,
    step: Step,
    call: Option<String>,
    next_at: Option<Instant>,
    prompt: Duration,
    linger: Duration,
    deadline: Instant,
    commands: Vec<Command>,
    outcome: Option<FeatureOutcome>,
}

impl FeatureCall {
    /// Starts the call: dial now, send the digits `prompt` after the answer, hang up `linger`
    /// after them; give up when nothing is answered within `max`.
    pub fn start(now: Instant, plan: FeaturePlan, prompt: Duration, linger: Duration, max: Duration) -> Self {
        let commands = vec![Command::Dial { target: plan.dial.clone() }];
        Self {
            plan,
            step: Step::Dialling,
            call: None,
            next_at: None,
            prompt,
            linger,
            deadline: now + max,
            commands,
            outcome: None,
        }
    }

    /// What is dialled.
    pub fn plan(&self) -> &FeaturePlan {
        &self.plan
    }

    /// An event from the engine.
    pub fn handle_event(&mut self, now: Instant, ev: &Event) {
        let Event::Call { id, state, direction, code, reason, remote } = ev else { return };
        if direction != "out" {
            return;
        }
        // Ours is the outgoing call to the code dialled (a call the user places meanwhile is not).
        if self.call.is_none() && self.step == Step::Dialling && is_dialled(remote, &self.plan.dial) {
            self.call = Some(id.clone());
        }
        if self.call.as_deref() != Some(id.as_str()) {
            return;
        }
        match state.as_str() {
            "answered" if self.step == Step::Dialling => {
                self.step = Step::Prompt;
                self.next_at = Some(now + if self.plan.dtmf.is_some() { self.prompt } else { self.linger });
            }
            "ended" => {
                self.next_at = None;
                let answered = !matches!(self.step, Step::Dialling);
                self.step = Step::Over;
                self.outcome.get_or_insert(if answered {
                    FeatureOutcome::Done
                } else {
                    let why = reason.clone().unwrap_or_else(|| "call failed".into());
                    FeatureOutcome::Failed(match code {
                        Some(c) => format!("{c} {why}"),
                        None => why,
                    })
                });
            }
            _ => {}
        }
    }

    /// Timers: the prompt wait, the linger, the overall limit.
    pub fn handle_timeout(&mut self, now: Instant) {
        let Some(id) = self.call.clone() else {
            if now >= self.deadline && self.step == Step::Dialling {
                self.step = Step::Over;
                self.outcome = Some(FeatureOutcome::Failed("the call never started".into()));
            }
            return;
        };
        if self.step == Step::Dialling && now >= self.deadline {
            self.step = Step::Ending;
            self.outcome = Some(FeatureOutcome::Failed("the PBX did not answer".into()));
            self.commands.push(Command::Hangup { call: id });
            return;
        }
        if self.next_at.is_none_or(|t| t > now) {
            return;
        }
        match self.step {
            Step::Prompt => match self.plan.dtmf.clone() {
                Some(digits) => {
                    self.commands.push(Command::SendDtmf { call: id, digits });
                    self.step = Step::Digits;
                    self.next_at = Some(now + self.linger);
                }
                None => self.hang_up(id),
            },
            Step::Digits => self.hang_up(id),
            _ => self.next_at = None,
        }
    }

    fn hang_up(&mut self, id: String) {
        self.commands.push(Command::Hangup { call: id });
        self.step = Step::Ending;
        self.next_at = None;
    }

    /// When `handle_timeout` is due.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match self.step {
            Step::Dialling => Some(self.deadline),
            _ => self.next_at,
        }
    }

    /// The next command for the engine.
    pub fn poll_command(&mut self) -> Option<Command> {
        if self.commands.is_empty() { None } else { Some(self.commands.remove(0)) }
    }

    /// The outcome, once the call is over.
    pub fn outcome(&self) -> Option<&FeatureOutcome> {
        if self.step == Step::Over { self.outcome.as_ref() } else { None }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call_event(state: &str, code: Option<u16>) -> Event {
        Event::Call {
            id: "c1".into(),
            state: state.into(),
            direction: "out".into(),
            remote: "sip:*48@pbx".into(),
            code,
            reason: code.map(|_| "Not Found".into()),
        }
    }

    #[test]
    fn a_user_call_placed_meanwhile_is_not_taken_for_the_feature_call() {
        assert!(is_dialled("sip:*48@pbx", "*48"));
        assert!(is_dialled("<sip:%23721@pbx>", "#721"));
        assert!(!is_dialled("Anna <sip:1002@pbx>", "*48"));
        let now = Instant::now();
        let plan = FeatureCodes::default().plan(&FeatureAction::Presence(UserStatus::Away));
        let mut c =
            FeatureCall::start(now, plan, Duration::from_millis(10), Duration::from_millis(10), Duration::from_secs(5));
        let _ = c.poll_command();
        let user = Event::Call {
            id: "c9".into(),
            state: "answered".into(),
            direction: "out".into(),
            remote: "Anna <sip:1002@pbx>".into(),
            code: Some(200),
            reason: None,
        };
        c.handle_event(now, &user);
        c.handle_timeout(now + Duration::from_millis(50));
        assert_eq!(c.poll_command(), None, "no digits and no hang-up for the user's call");
        c.handle_event(now, &call_event("answered", Some(200)));
        c.handle_timeout(now + Duration::from_millis(100));
        assert!(matches!(c.poll_command(), Some(Command::SendDtmf { call, .. }) if call == "c1"));
    }

    #[test]
    fn plans_follow_the_ucm_codes() {
        let f = FeatureCodes::default();
        let digits: String = [
            UserStatus::Unavailable,
            UserStatus::Available,
            UserStatus::Away,
            UserStatus::Chat,
            UserStatus::Dnd,
            UserStatus::Custom("InMeeting".into()),
        ]
        .into_iter()
        .map(|s| f.plan(&FeatureAction::Presence(s)).dtmf.unwrap())
        .collect();
        assert_eq!(digits, "123456");
        assert_eq!(f.plan(&FeatureAction::Cfu(Some("2000".into()))).dial, "*722000");
        assert_eq!(f.plan(&FeatureAction::Cfb(None)).dial, "*91");
        assert_eq!(f.plan(&FeatureAction::Dnd(true)).dial, "*77");
    }

    #[test]
    fn a_profile_replaces_only_the_codes_it_sets() {
        let profile = crate::config::account::FeatureCodes {
            park: Some("700".into()),
            pickup: Some("*8".into()),
            ..Default::default()
        };
        let f = FeatureCodes::default().with_profile(&profile);
        assert_eq!((f.park.as_str(), f.pickup.as_str()), ("700", "*8"));
        assert_eq!(f.presence, "*48", "unset codes keep their default");
    }

    #[test]
    fn digits_after_the_prompt_then_hang_up() {
        let t0 = Instant::now();
        let plan = FeatureCodes::default().plan(&FeatureAction::Presence(UserStatus::Away));
        let ms = Duration::from_millis;
        let mut c = FeatureCall::start(t0, plan, ms(1500), ms(800), Duration::from_secs(30));
        assert_eq!(c.poll_command(), Some(Command::Dial { target: "*48".into() }));
        c.handle_event(t0 + ms(300), &call_event("answered", None));
        assert_eq!(c.poll_timeout(), Some(t0 + ms(1800)));
        c.handle_timeout(t0 + ms(1799));
        assert_eq!(c.poll_command(), None, "not before the prompt has played");
        c.handle_timeout(t0 + ms(1800));
        assert_eq!(c.poll_command(), Some(Command::SendDtmf { call: "c1".into(), digits: "3".into() }));
        c.handle_timeout(t0 + ms(2600));
        assert_eq!(c.poll_command(), Some(Command::Hangup { call: "c1".into() }));
        assert_eq!(c.outcome(), None);
        c.handle_event(t0 + ms(2700), &call_event("ended", None));
        assert_eq!(c.outcome(), Some(&FeatureOutcome::Done));
    }

    #[test]
    fn refused_code_is_a_failure_with_its_reason() {
        let t0 = Instant::now();
        let plan = FeatureCodes::default().plan(&FeatureAction::Dnd(true));
        let mut c = FeatureCall::start(t0, plan, Duration::ZERO, Duration::ZERO, Duration::from_secs(30));
        let to_77 = |e: Event| match e {
            Event::Call { id, state, direction, code, reason, .. } => {
                Event::Call { id, state, direction, remote: "sip:*77@pbx".into(), code, reason }
            }
            other => other,
        };
        c.handle_event(t0, &to_77(call_event("calling", None)));
        c.handle_event(t0, &to_77(call_event("ended", Some(404))));
        assert_eq!(c.outcome(), Some(&FeatureOutcome::Failed("404 Not Found".into())));
    }
}
