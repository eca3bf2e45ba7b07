//! Turns the engine's call events into history rows: insert at the first event of a call,
//! update at the answer, close at the end. What the UI and the engine driver call.

use super::db::NewCall;
use super::{Direction, HistoryDb, HistoryError, Outcome};
use crate::api::{Command, Event};
use std::collections::{HashMap, HashSet};

/// Records calls from [`Event::Call`] events (and our own rejects from [`Command::Reject`]).
#[derive(Debug)]
pub struct HistoryRecorder {
    db: HistoryDb,
    account: Option<String>,
    /// Engine call id → row id, for calls of this engine run that have not ended.
    open: HashMap<String, i64>,
    /// Calls we rejected ourselves (so their end is "rejected", not "missed").
    rejected: HashSet<String>,
}

impl HistoryRecorder {
    /// Starts recording into `db` for `account`. Rows a previous run left open (it crashed
    /// mid-call) are closed first: call ids restart with every engine run, so they can never
    /// be continued. Hence one recorder per data dir at a time (the app's); other processes
    /// only read (`lampboard history`).
    pub fn new(db: HistoryDb, account: Option<String>) -> Result<HistoryRecorder, HistoryError> {
        db.close_interrupted()?;
        Ok(HistoryRecorder { db, account, open: HashMap::new(), rejected: HashSet::new() })
    }

    /// The database, for queries.
    pub fn db(&self) -> &HistoryDb {
        &self.db
    }

    /// Gives the database back.
    pub fn into_db(self) -> HistoryDb {
        self.db
    }

    /// Notes a command the client sent (only `Reject` matters).
    pub fn on_command(&mut self, cmd: &Command) {
        if let Command::Reject { call, .. } = cmd {
            self.rejected.insert(call.clone());
        }
    }

    /// Records one engine event at `now_ms` (Unix ms); returns the row id it touched.
    /// Events other than `Call` are ignored, and so is a call event with an unknown direction.
    pub fn on_event(&mut self, event: &Event, now_ms: i64) -> Result<Option<i64>, HistoryError> {
        let Event::Call { id, state, direction, remote, code, reason } = event else {
            return Ok(None);
        };
        let Some(direction) = Direction::parse(direction) else {
            return Ok(None);
        };
        let row = match self.open.get(id) {
            Some(&row) => row,
            None => {
                let (name, number) = split_remote(remote);
                let row = self.db.insert(&NewCall {
                    account: self.account.as_deref(),
                    engine_id: id,
                    direction,
                    remote,
                    remote_name: name.as_deref(),
                    remote_number: &number,
                    state,
                    now: now_ms,
                })?;
                self.open.insert(id.clone(), row);
                row
            }
        };
        match state.as_str() {
            "ended" => {
                self.open.remove(id);
                let rejected = self.rejected.remove(id);
                let answered = self.db.get(row)?.is_some_and(|r| r.answered_at.is_some());
                let outcome = outcome_of(direction, answered, rejected, *code, reason.as_deref());
                self.db.finish(row, outcome, *code, reason.as_deref(), now_ms)?;
            }
            s => self.db.update_state(row, s, matches!(s, "answered" | "held"), now_ms)?,
        }
        Ok(Some(row))
    }
}

/// How an ended call turned out: answered, rejected by us, answered elsewhere, missed,
/// cancelled or failed (also what the desktop notifications call a missed call).
pub fn outcome_of(dir: Direction, answered: bool, rejected: bool, code: Option<u16>, reason: Option<&str>) -> Outcome {
    if answered {
        return Outcome::Answered;
    }
    let reason = reason.unwrap_or("").to_ascii_lowercase();
    match dir {
        Direction::In if rejected => Outcome::Rejected,
        // RFC 3326 `Reason: SIP;cause=200;text="Call completed elsewhere"` on the CANCEL.
        Direction::In if reason.contains("elsewhere") => Outcome::AnsweredElsewhere,
        Direction::In => Outcome::Missed,
        Direction::Out if code == Some(487) || reason.contains("cancel") => Outcome::Cancelled,
        Direction::Out => Outcome::Failed,
    }
}

/// Splits the engine's `remote` (`Anna <sip:1002@pbx>`, `"Anna B" <sip:…>`, `sip:1002@pbx`,
/// `tel:+4930…`) into the display name and the number (the URI's user part, or the URI
/// without scheme and parameters when it has no user part).
pub fn split_remote(remote: &str) -> (Option<String>, String) {
    let remote = remote.trim();
    let (name, uri) = match (remote.find('<'), remote.rfind('>')) {
        (Some(l), Some(r)) if l < r => (remote.get(..l).unwrap_or(""), remote.get(l + 1..r).unwrap_or("")),
        _ => ("", remote),
    };
    let name = name.trim().trim_matches('"').trim();
    let name = (!name.is_empty()).then(|| name.replace("\\\"", "\""));
    let lower = uri.to_ascii_lowercase();
    let rest = ["sips:", "sip:", "tel:"]
        .iter()
        .find(|s| lower.starts_with(*s))
        .and_then(|s| uri.get(s.len()..))
        .unwrap_or(uri);
    let rest = rest.split([';', '?']).next().unwrap_or(rest);
    let number = match rest.rsplit_once('@') {
        Some((user, _)) if !user.is_empty() => user,
        _ => rest,
    };
    (name, number.to_string())
}
