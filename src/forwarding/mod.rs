//! Call-forwarding rules (sans-IO): the Grandstream UCM model of per-status forwarding
//! (CFU / CFNA / CFB), Do Not Disturb, time conditions, forward and DND whitelists with UCM
//! dial patterns, and one pure [`decide()`] function saying what to do with an incoming call.
//!
//! Nothing here opens a socket or reads the clock: `now` is an argument. The only I/O is
//! in [`file`] (loading and saving the rules file), and [`Zone::system`] when the rules name
//! no time zone.

pub mod decide;
pub mod file;
pub mod model;
pub mod pattern;
pub mod timecond;

pub use decide::{Action, Decision, ForwardKind, decide};
pub use model::{PerStatus, RuleError, Rules, StatusKind, StatusRules, Target, Zone};
pub use pattern::{Pattern, PatternError, caller_number};
pub use timecond::{Calendar, Period, TimeCondition, TimeError};
