//! The history schema and its migrations: `schema_version` holds one row with the version;
//! each migration runs in a transaction together with the version bump.

use super::HistoryError;
use rusqlite::{Connection, OptionalExtension};

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = 1;

/// Migration `i` takes the database from version `i` to `i + 1`.
const MIGRATIONS: [&str; 1] = [
    // 0 → 1: the calls table.
    "CREATE TABLE calls (
        id            INTEGER PRIMARY KEY,
        account       TEXT,
        engine_id     TEXT NOT NULL,
        direction     TEXT NOT NULL CHECK (direction IN ('in', 'out')),
        remote        TEXT NOT NULL,
        remote_name   TEXT,
        remote_number TEXT NOT NULL,
        started_at    INTEGER NOT NULL,
        answered_at   INTEGER,
        ended_at      INTEGER,
        updated_at    INTEGER NOT NULL,
        last_state    TEXT NOT NULL,
        outcome       TEXT NOT NULL,
        code          INTEGER,
        reason        TEXT,
        seen          INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX calls_by_start ON calls (started_at DESC);
    CREATE INDEX calls_by_number ON calls (remote_number);
    CREATE INDEX calls_open ON calls (ended_at) WHERE ended_at IS NULL;",
];

/// The database's schema version (0 for a new, empty database).
pub fn version(conn: &Connection) -> Result<i64, HistoryError> {
    conn.execute_batch("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);")?;
    let v: Option<i64> =
        conn.query_row("SELECT MAX(version) FROM schema_version", [], |r| r.get(0)).optional()?.flatten();
    Ok(v.unwrap_or(0))
}

/// Brings the database up to [`SCHEMA_VERSION`]; refuses a newer one.
pub fn migrate(conn: &mut Connection) -> Result<(), HistoryError> {
    let mut current = version(conn)?;
    if current > SCHEMA_VERSION {
        return Err(HistoryError::TooNew { found: current });
    }
    while current < SCHEMA_VERSION {
        let Some(sql) = usize::try_from(current).ok().and_then(|i| MIGRATIONS.get(i)) else {
            break;
        };
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.execute("DELETE FROM schema_version", [])?;
        tx.execute("INSERT INTO schema_version (version) VALUES (?1)", [current + 1])?;
        tx.commit()?;
        current += 1;
    }
    Ok(())
}
