//! Call history in SQLite (WAL mode) in the platform data dir.
//!
//! A call's row is inserted when it starts (`calling`/`ringing`) and updated when it is
//! answered and when it ends, so a crash mid-call leaves a row that says what was known;
//! the next [`HistoryRecorder`] closes such rows as interrupted. [`HistoryDb`] answers the
//! views' queries: recent calls, missed / received / dialled, search, mark missed as seen,
//! delete. Time comes in as Unix milliseconds (see [`unix_ms`]); nothing here reads a clock.

use serde::{Deserialize, Serialize};
use std::fmt;

mod db;
mod recorder;
mod schema;

pub use db::HistoryDb;
pub use recorder::{HistoryRecorder, outcome_of, split_remote};
pub use schema::SCHEMA_VERSION;

/// Who placed the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Incoming.
    In,
    /// Outgoing (dialled).
    Out,
}

impl Direction {
    /// `in` / `out`, as in the database and in `api::Event::Call`.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::In => "in",
            Direction::Out => "out",
        }
    }

    /// Parses `in` / `out`.
    pub fn parse(s: &str) -> Option<Direction> {
        match s {
            "in" => Some(Direction::In),
            "out" => Some(Direction::Out),
            _ => None,
        }
    }
}

/// How a call turned out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Not ended yet (or Lampboard stopped before it ended and no recorder has run since).
    InProgress,
    /// Answered (and ended).
    Answered,
    /// Incoming, not answered here or anywhere.
    Missed,
    /// Incoming, answered by another phone (pickup, `Reason: … completed elsewhere`).
    AnsweredElsewhere,
    /// Incoming, rejected by us.
    Rejected,
    /// Outgoing, we hung up before the answer.
    Cancelled,
    /// Outgoing, the far end refused (busy, declined, not found, timeout…).
    Failed,
}

impl Outcome {
    /// The word stored in the database and printed by the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::InProgress => "in_progress",
            Outcome::Answered => "answered",
            Outcome::Missed => "missed",
            Outcome::AnsweredElsewhere => "answered_elsewhere",
            Outcome::Rejected => "rejected",
            Outcome::Cancelled => "cancelled",
            Outcome::Failed => "failed",
        }
    }

    /// Parses a stored word.
    pub fn parse(s: &str) -> Option<Outcome> {
        [
            Outcome::InProgress,
            Outcome::Answered,
            Outcome::Missed,
            Outcome::AnsweredElsewhere,
            Outcome::Rejected,
            Outcome::Cancelled,
            Outcome::Failed,
        ]
        .into_iter()
        .find(|o| o.as_str() == s)
    }
}

/// Which calls a query returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Filter {
    /// Every call.
    #[default]
    All,
    /// Incoming calls nobody answered.
    Missed,
    /// Incoming calls we answered.
    Received,
    /// Outgoing calls.
    Dialled,
}

/// One call in the history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallRecord {
    /// Row id (stable; use it to delete).
    pub id: i64,
    /// The account the call belonged to, if known.
    pub account: Option<String>,
    /// The engine's id of the call during its run (`c1`…; not unique across runs).
    pub engine_id: String,
    /// Incoming or outgoing.
    pub direction: Direction,
    /// The other party as the engine reported it (`Anna <sip:1002@pbx>`).
    pub remote: String,
    /// Display name part of `remote`, if any.
    pub remote_name: Option<String>,
    /// Number / user part of `remote` (what "call back" dials).
    pub remote_number: String,
    /// When the call started (Unix ms).
    pub started_at: i64,
    /// When it was answered (Unix ms).
    pub answered_at: Option<i64>,
    /// When it ended (Unix ms); `None` while in progress or after a crash.
    pub ended_at: Option<i64>,
    /// The last call state seen (calling, ringing, early, answered, held, ended).
    pub last_state: String,
    /// How it turned out.
    pub outcome: Outcome,
    /// SIP status code of the end, if any.
    pub code: Option<u16>,
    /// Why it ended.
    pub reason: Option<String>,
    /// For missed calls: whether the user has seen it.
    pub seen: bool,
}

impl CallRecord {
    /// Talk time in whole seconds (0 when not answered or not ended).
    pub fn duration_secs(&self) -> i64 {
        match (self.answered_at, self.ended_at) {
            (Some(a), Some(e)) if e > a => (e - a) / 1000,
            _ => 0,
        }
    }
}

/// A history database failure.
#[derive(Debug)]
pub enum HistoryError {
    /// SQLite said no (file unreadable, disk full, corrupt database…).
    Sqlite(rusqlite::Error),
    /// The directory could not be created.
    Io(std::io::Error),
    /// The database was written by a newer Lampboard.
    TooNew {
        /// Its schema version.
        found: i64,
    },
}

impl fmt::Display for HistoryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HistoryError::Sqlite(e) => write!(f, "call history database: {e}"),
            HistoryError::Io(e) => write!(f, "call history directory: {e}"),
            HistoryError::TooNew { found } => write!(
                f,
                "call history database has schema version {found}, newer than this Lampboard's {SCHEMA_VERSION}"
            ),
        }
    }
}

impl std::error::Error for HistoryError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            HistoryError::Sqlite(e) => Some(e),
            HistoryError::Io(e) => Some(e),
            HistoryError::TooNew { .. } => None,
        }
    }
}

impl From<rusqlite::Error> for HistoryError {
    fn from(e: rusqlite::Error) -> Self {
        HistoryError::Sqlite(e)
    }
}

/// Unix milliseconds of `t` (0 before 1970).
pub fn unix_ms(t: std::time::SystemTime) -> i64 {
    t.duration_since(std::time::UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
