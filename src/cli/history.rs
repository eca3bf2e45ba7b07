//! `lampboard history [--missed|--received|--dialled] [--search TEXT] [--limit N]
//! [--mark-seen] [--delete ID]`: the call history, one JSON line per call, newest first
//! (`{"event":"history",…}`).

use super::{EXIT_FAILURE, EXIT_USAGE};
use crate::config::Paths;
use crate::history::{CallRecord, Filter, HistoryDb};
use clap::Args;
use std::io::Write;

/// `lampboard history`.
#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// Only missed calls.
    #[arg(long, conflicts_with_all = ["received", "dialled"])]
    pub missed: bool,
    /// Only incoming calls that were answered.
    #[arg(long, conflicts_with = "dialled")]
    pub received: bool,
    /// Only outgoing calls.
    #[arg(long)]
    pub dialled: bool,
    /// Only calls whose number or name contains TEXT.
    #[arg(long, conflicts_with_all = ["missed", "received", "dialled"])]
    pub search: Option<String>,
    /// At most this many calls.
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
    /// Mark the missed calls as seen (after printing).
    #[arg(long)]
    pub mark_seen: bool,
    /// Delete the call with this id (instead of listing).
    #[arg(long)]
    pub delete: Option<i64>,
}

/// The JSON line of one call.
pub fn record_json(r: &CallRecord) -> serde_json::Value {
    let mut v = serde_json::json!({ "event": "history" });
    if let (Some(map), Ok(serde_json::Value::Object(fields))) = (v.as_object_mut(), serde_json::to_value(r)) {
        map.extend(fields);
        map.insert("duration_secs".into(), r.duration_secs().into());
    }
    v
}

/// Runs `lampboard history`; returns the exit code.
pub fn run(args: &HistoryArgs) -> i32 {
    let Some(paths) = Paths::platform() else {
        eprintln!("lampboard: cannot find the home directory for the call history");
        return EXIT_USAGE;
    };
    let path = paths.history_db();
    if !path.exists() {
        // No call recorded yet: nothing to list (and nothing is created by a read).
        if let Some(id) = args.delete {
            eprintln!("lampboard: no call {id} in the history");
            return EXIT_USAGE;
        }
        return 0;
    }
    match list(args, &path) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("lampboard: {e}");
            EXIT_FAILURE
        }
    }
}

fn list(args: &HistoryArgs, path: &std::path::Path) -> Result<i32, crate::history::HistoryError> {
    let db = HistoryDb::open(path)?;
    if let Some(id) = args.delete {
        if !db.delete(id)? {
            eprintln!("lampboard: no call {id} in the history");
            return Ok(EXIT_USAGE);
        }
        println!("{}", serde_json::json!({"event": "history_deleted", "id": id}));
        return Ok(0);
    }
    let filter = match (args.missed, args.received, args.dialled) {
        (true, _, _) => Filter::Missed,
        (_, true, _) => Filter::Received,
        (_, _, true) => Filter::Dialled,
        _ => Filter::All,
    };
    let rows = match &args.search {
        Some(text) => db.search(text, args.limit)?,
        None => db.recent(filter, args.limit)?,
    };
    let mut out = std::io::stdout().lock();
    for r in &rows {
        let _ = writeln!(out, "{}", record_json(r));
    }
    let _ = out.flush();
    if args.mark_seen {
        db.mark_missed_seen()?;
    }
    Ok(0)
}
