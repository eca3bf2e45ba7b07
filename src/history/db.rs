//! The history database: opening (WAL, migrations) and the queries the views need.

use super::{CallRecord, Direction, Filter, HistoryError, Outcome, schema};
use rusqlite::{Connection, OptionalExtension, Row, params};
use std::path::Path;
use std::time::Duration;

/// Most rows one query returns.
pub const MAX_LIMIT: usize = 10_000;

/// The call history database.
#[derive(Debug)]
pub struct HistoryDb {
    conn: Connection,
}

const COLUMNS: &str = "id, account, engine_id, direction, remote, remote_name, remote_number, started_at, \
                       answered_at, ended_at, last_state, outcome, code, reason, seen";

/// A new call, as first seen.
#[derive(Debug, Clone)]
pub(super) struct NewCall<'a> {
    pub account: Option<&'a str>,
    pub engine_id: &'a str,
    pub direction: Direction,
    pub remote: &'a str,
    pub remote_name: Option<&'a str>,
    pub remote_number: &'a str,
    pub state: &'a str,
    pub now: i64,
}

impl HistoryDb {
    /// Opens (creating it and its directory if needed) the database at `path` in WAL mode
    /// and migrates it to the current schema.
    pub fn open(path: &Path) -> Result<HistoryDb, HistoryError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(HistoryError::Io)?;
        }
        let conn = Connection::open(path)?;
        Self::setup(conn)
    }

    /// Opens the database in the platform data dir ([`crate::config::Paths::history_db`]).
    pub fn open_platform() -> Result<HistoryDb, HistoryError> {
        let paths = crate::config::Paths::platform().ok_or_else(|| {
            HistoryError::Io(std::io::Error::new(std::io::ErrorKind::NotFound, "no home directory for the data dir"))
        })?;
        Self::open(&paths.history_db())
    }

    /// A private in-memory database (tests, or when the data dir is unusable).
    pub fn open_in_memory() -> Result<HistoryDb, HistoryError> {
        Self::setup(Connection::open_in_memory()?)
    }

    fn setup(mut conn: Connection) -> Result<HistoryDb, HistoryError> {
        // Another Lampboard (or the CLI) may hold a write lock for a moment.
        conn.busy_timeout(Duration::from_secs(5))?;
        let _mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        // WAL + NORMAL: a committed call survives an application crash; only an OS crash may
        // lose the last transactions.
        conn.execute_batch("PRAGMA synchronous = NORMAL;")?;
        schema::migrate(&mut conn)?;
        Ok(HistoryDb { conn })
    }

    /// The journal mode in force (`wal` for a file, `memory` for an in-memory database).
    pub fn journal_mode(&self) -> Result<String, HistoryError> {
        Ok(self.conn.query_row("PRAGMA journal_mode", [], |r| r.get(0))?)
    }

    /// The schema version of the open database.
    pub fn schema_version(&self) -> Result<i64, HistoryError> {
        schema::version(&self.conn)
    }

    pub(super) fn insert(&self, c: &NewCall<'_>) -> Result<i64, HistoryError> {
        self.conn.execute(
            "INSERT INTO calls (account, engine_id, direction, remote, remote_name, remote_number, started_at, \
             updated_at, last_state, outcome, seen) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8, ?9, 0)",
            params![
                c.account,
                c.engine_id,
                c.direction.as_str(),
                c.remote,
                c.remote_name,
                c.remote_number,
                c.now,
                c.state,
                Outcome::InProgress.as_str()
            ],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Records a state change of an open call; `answered` sets the answer time once.
    pub(super) fn update_state(&self, id: i64, state: &str, answered: bool, now: i64) -> Result<(), HistoryError> {
        self.conn.execute(
            "UPDATE calls SET last_state = ?2, updated_at = ?3, \
             answered_at = CASE WHEN ?4 AND answered_at IS NULL THEN ?3 ELSE answered_at END WHERE id = ?1",
            params![id, state, now, answered],
        )?;
        Ok(())
    }

    /// Closes a call with its outcome.
    pub(super) fn finish(
        &self,
        id: i64,
        outcome: Outcome,
        code: Option<u16>,
        reason: Option<&str>,
        now: i64,
    ) -> Result<(), HistoryError> {
        self.conn.execute(
            "UPDATE calls SET last_state = 'ended', updated_at = ?2, ended_at = ?2, outcome = ?3, code = ?4, \
             reason = ?5 WHERE id = ?1",
            params![id, now, outcome.as_str(), code, reason],
        )?;
        Ok(())
    }

    /// Closes every call left open by a Lampboard that stopped without ending it (crash,
    /// power loss): answered ones as answered, unanswered incoming as missed, unanswered
    /// outgoing as failed; the end time is the last update seen. Returns how many.
    pub fn close_interrupted(&self) -> Result<usize, HistoryError> {
        Ok(self.conn.execute(
            "UPDATE calls SET ended_at = updated_at, \
             outcome = CASE WHEN answered_at IS NOT NULL THEN 'answered' \
                            WHEN direction = 'in' THEN 'missed' ELSE 'failed' END, \
             reason = COALESCE(reason, 'interrupted: Lampboard stopped during the call') \
             WHERE ended_at IS NULL",
            [],
        )?)
    }

    /// The call with row id `id`.
    pub fn get(&self, id: i64) -> Result<Option<CallRecord>, HistoryError> {
        let sql = format!("SELECT {COLUMNS} FROM calls WHERE id = ?1");
        Ok(self.conn.query_row(&sql, [id], record).optional()?)
    }

    /// The `limit` most recent calls that match `filter`, newest first.
    pub fn recent(&self, filter: Filter, limit: usize) -> Result<Vec<CallRecord>, HistoryError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM calls WHERE {} ORDER BY started_at DESC, id DESC LIMIT ?1",
            where_of(filter)
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map([clamp(limit)], record)?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// Calls whose number or name contains `text` (case-insensitive for ASCII), newest first.
    pub fn search(&self, text: &str, limit: usize) -> Result<Vec<CallRecord>, HistoryError> {
        let pattern = format!("%{}%", escape_like(text.trim()));
        let sql = format!(
            "SELECT {COLUMNS} FROM calls WHERE remote_number LIKE ?1 ESCAPE '\\' OR remote_name LIKE ?1 ESCAPE '\\' \
             OR remote LIKE ?1 ESCAPE '\\' ORDER BY started_at DESC, id DESC LIMIT ?2"
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map(params![pattern, clamp(limit)], record)?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// How many missed calls the user has not seen yet (the badge).
    pub fn unseen_missed(&self) -> Result<i64, HistoryError> {
        let sql = format!("SELECT COUNT(*) FROM calls WHERE {} AND seen = 0", where_of(Filter::Missed));
        Ok(self.conn.query_row(&sql, [], |r| r.get(0))?)
    }

    /// Marks every missed call as seen; returns how many changed.
    pub fn mark_missed_seen(&self) -> Result<usize, HistoryError> {
        let sql = format!("UPDATE calls SET seen = 1 WHERE {} AND seen = 0", where_of(Filter::Missed));
        Ok(self.conn.execute(&sql, [])?)
    }

    /// Deletes one call; returns whether it existed.
    pub fn delete(&self, id: i64) -> Result<bool, HistoryError> {
        Ok(self.conn.execute("DELETE FROM calls WHERE id = ?1", [id])? > 0)
    }

    /// Deletes every call that matches `filter`; returns how many.
    pub fn clear(&self, filter: Filter) -> Result<usize, HistoryError> {
        Ok(self.conn.execute(&format!("DELETE FROM calls WHERE {}", where_of(filter)), [])?)
    }
}

fn where_of(filter: Filter) -> &'static str {
    match filter {
        Filter::All => "1",
        Filter::Missed => "direction = 'in' AND outcome = 'missed'",
        Filter::Received => "direction = 'in' AND answered_at IS NOT NULL",
        Filter::Dialled => "direction = 'out'",
    }
}

fn clamp(limit: usize) -> i64 {
    i64::try_from(limit.min(MAX_LIMIT)).unwrap_or(0)
}

fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn record(r: &Row<'_>) -> rusqlite::Result<CallRecord> {
    let bad = |i: usize, what: &str| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, format!("bad {what}").into())
    };
    let direction: String = r.get(3)?;
    let outcome: String = r.get(11)?;
    let code: Option<i64> = r.get(12)?;
    Ok(CallRecord {
        id: r.get(0)?,
        account: r.get(1)?,
        engine_id: r.get(2)?,
        direction: Direction::parse(&direction).ok_or_else(|| bad(3, "direction"))?,
        remote: r.get(4)?,
        remote_name: r.get(5)?,
        remote_number: r.get(6)?,
        started_at: r.get(7)?,
        answered_at: r.get(8)?,
        ended_at: r.get(9)?,
        last_state: r.get(10)?,
        outcome: Outcome::parse(&outcome).ok_or_else(|| bad(11, "outcome"))?,
        code: code.and_then(|c| u16::try_from(c).ok()),
        reason: r.get(13)?,
        seen: r.get(14)?,
    })
}
