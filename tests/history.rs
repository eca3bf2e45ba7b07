//! Call history: the lifecycle of calls from engine events, missed/received/dialled, search,
//! seen marks, deletion, a crash mid-call, WAL mode and schema versions.

use lampboard::api::{Command, Event};
use lampboard::history::{Direction, Filter, HistoryDb, HistoryRecorder, Outcome, SCHEMA_VERSION, split_remote};

fn call(id: &str, state: &str, dir: &str, remote: &str, code: Option<u16>, reason: Option<&str>) -> Event {
    Event::Call {
        id: id.into(),
        state: state.into(),
        direction: dir.into(),
        remote: remote.into(),
        code,
        reason: reason.map(str::to_string),
    }
}

const ANNA: &str = "Anna <sip:1002@pbx.example.com>";
const BOB: &str = "\"Bob B\" <sip:1003@pbx.example.com;transport=tcp>";

fn recorder(dir: &tempfile::TempDir) -> HistoryRecorder {
    HistoryRecorder::new(HistoryDb::open(&dir.path().join("data/history.sqlite3")).unwrap(), Some("office".into()))
        .unwrap()
}

#[test]
fn lifecycle_of_answered_missed_and_dialled_calls() {
    let dir = tempfile::tempdir().unwrap();
    let mut rec = recorder(&dir);
    // An incoming call, answered, held, ended by BYE.
    let row = rec.on_event(&call("c1", "ringing", "in", ANNA, None, None), 1_000).unwrap().unwrap();
    assert_eq!(rec.on_event(&call("c1", "answered", "in", ANNA, None, None), 3_000).unwrap(), Some(row));
    rec.on_event(&call("c1", "held", "in", ANNA, None, None), 5_000).unwrap();
    rec.on_event(&call("c1", "answered", "in", ANNA, None, None), 6_000).unwrap();
    rec.on_event(&call("c1", "ended", "in", ANNA, None, Some("BYE")), 63_000).unwrap();
    let r = rec.db().get(row).unwrap().unwrap();
    assert_eq!(r.direction, Direction::In);
    assert_eq!(r.outcome, Outcome::Answered);
    assert_eq!((r.started_at, r.answered_at, r.ended_at), (1_000, Some(3_000), Some(63_000)));
    assert_eq!(r.duration_secs(), 60);
    assert_eq!(r.remote_name.as_deref(), Some("Anna"));
    assert_eq!(r.remote_number, "1002");
    assert_eq!(r.account.as_deref(), Some("office"));

    // An incoming call the caller gave up on: missed.
    rec.on_event(&call("c2", "ringing", "in", BOB, None, None), 100_000).unwrap();
    rec.on_event(&call("c2", "ended", "in", BOB, Some(487), Some("Request Terminated")), 110_000).unwrap();
    // An incoming call we rejected: not missed.
    rec.on_event(&call("c3", "ringing", "in", BOB, None, None), 120_000).unwrap();
    rec.on_command(&Command::Reject { call: "c3".into(), code: 486 });
    rec.on_event(&call("c3", "ended", "in", BOB, Some(486), Some("Busy Here")), 121_000).unwrap();
    // An incoming call picked up by a colleague: not missed.
    rec.on_event(&call("c4", "ringing", "in", ANNA, None, None), 130_000).unwrap();
    rec.on_event(&call("c4", "ended", "in", ANNA, Some(487), Some("Call completed elsewhere")), 131_000).unwrap();
    // Outgoing: busy, cancelled by us, answered.
    rec.on_event(&call("c5", "calling", "out", "sip:1004@pbx.example.com", None, None), 140_000).unwrap();
    rec.on_event(&call("c5", "ended", "out", "sip:1004@pbx.example.com", Some(486), Some("Busy Here")), 141_000)
        .unwrap();
    rec.on_event(&call("c6", "calling", "out", "sip:1005@pbx.example.com", None, None), 150_000).unwrap();
    rec.on_event(&call("c6", "early", "out", "sip:1005@pbx.example.com", None, None), 150_500).unwrap();
    rec.on_event(&call("c6", "ended", "out", "sip:1005@pbx.example.com", Some(487), Some("cancelled")), 152_000)
        .unwrap();
    rec.on_event(&call("c7", "calling", "out", "tel:+4930123456", None, None), 160_000).unwrap();
    rec.on_event(&call("c7", "ringing", "out", "tel:+4930123456", None, None), 161_000).unwrap();
    rec.on_event(&call("c7", "answered", "out", "tel:+4930123456", None, None), 162_000).unwrap();
    rec.on_event(&call("c7", "ended", "out", "tel:+4930123456", None, Some("BYE")), 172_000).unwrap();
    // Other events are ignored.
    assert_eq!(rec.on_event(&Event::Stopped, 200_000).unwrap(), None);

    let db = rec.db();
    let all = db.recent(Filter::All, 100).unwrap();
    assert_eq!(all.len(), 7);
    assert_eq!(all[0].engine_id, "c7", "newest first");
    let outcomes: Vec<_> = all.iter().map(|r| (r.engine_id.as_str(), r.outcome)).collect();
    assert_eq!(
        outcomes,
        vec![
            ("c7", Outcome::Answered),
            ("c6", Outcome::Cancelled),
            ("c5", Outcome::Failed),
            ("c4", Outcome::AnsweredElsewhere),
            ("c3", Outcome::Rejected),
            ("c2", Outcome::Missed),
            ("c1", Outcome::Answered),
        ]
    );
    let ids = |f| db.recent(f, 100).unwrap().into_iter().map(|r| r.engine_id).collect::<Vec<_>>();
    assert_eq!(ids(Filter::Missed), vec!["c2"]);
    assert_eq!(ids(Filter::Received), vec!["c1"]);
    assert_eq!(ids(Filter::Dialled), vec!["c7", "c6", "c5"]);
    assert_eq!(db.recent(Filter::All, 2).unwrap().len(), 2, "limit");
    let c5 = &all[2];
    assert_eq!((c5.code, c5.reason.as_deref()), (Some(486), Some("Busy Here")));
    assert_eq!(all[0].remote_number, "+4930123456");
    assert_eq!(all[5].remote_name.as_deref(), Some("Bob B"));

    // Search by number, by name (any case), and LIKE wildcards are literal.
    let found = |t| db.search(t, 100).unwrap().into_iter().map(|r| r.engine_id).collect::<Vec<_>>();
    assert_eq!(found("1002"), vec!["c4", "c1"]);
    assert_eq!(found("bob b"), vec!["c3", "c2"]);
    assert_eq!(found("+4930"), vec!["c7"]);
    assert!(found("%").is_empty());
    assert!(found("_").is_empty());

    // Seen marks and deletion.
    assert_eq!(db.unseen_missed().unwrap(), 1);
    assert_eq!(db.mark_missed_seen().unwrap(), 1);
    assert_eq!(db.unseen_missed().unwrap(), 0);
    assert!(db.recent(Filter::Missed, 10).unwrap()[0].seen);
    assert!(db.delete(all[1].id).unwrap());
    assert!(!db.delete(all[1].id).unwrap(), "already gone");
    assert_eq!(db.recent(Filter::Dialled, 100).unwrap().len(), 2);
    assert_eq!(db.clear(Filter::Dialled).unwrap(), 2);
    assert_eq!(db.recent(Filter::All, 100).unwrap().len(), 4);
}

#[test]
fn a_crash_mid_call_leaves_the_row_and_the_next_run_closes_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data/history.sqlite3");
    {
        let mut rec = recorder(&dir);
        rec.on_event(&call("c1", "ringing", "in", ANNA, None, None), 1_000).unwrap();
        rec.on_event(&call("c1", "answered", "in", ANNA, None, None), 2_000).unwrap();
        rec.on_event(&call("c2", "ringing", "in", BOB, None, None), 30_000).unwrap();
        rec.on_event(&call("c3", "calling", "out", "sip:1009@pbx", None, None), 40_000).unwrap();
        // "Crash": the recorder and its connection go away without any `ended`.
        std::mem::forget(rec);
    }
    // Another process (the CLI) sees the rows as they were.
    let db = HistoryDb::open(&path).unwrap();
    let rows = db.recent(Filter::All, 10).unwrap();
    assert_eq!(rows.len(), 3);
    let c1 = rows.iter().find(|r| r.engine_id == "c1").unwrap();
    assert_eq!((c1.outcome, c1.last_state.as_str()), (Outcome::InProgress, "answered"));
    assert_eq!((c1.answered_at, c1.ended_at), (Some(2_000), None));

    // The next run's recorder closes them; its own call ids start again at c1.
    let mut rec = HistoryRecorder::new(db, None).unwrap();
    let rows = rec.db().recent(Filter::All, 10).unwrap();
    let by = |id: &str| rows.iter().find(|r| r.engine_id == id).unwrap().clone();
    assert_eq!((by("c1").outcome, by("c1").ended_at), (Outcome::Answered, Some(2_000)));
    assert_eq!(by("c2").outcome, Outcome::Missed);
    assert_eq!(by("c3").outcome, Outcome::Failed);
    assert!(by("c2").reason.unwrap().contains("interrupted"));
    let new = rec.on_event(&call("c1", "ringing", "in", BOB, None, None), 90_000).unwrap().unwrap();
    assert_ne!(new, by("c1").id, "a new run's c1 is a new row");
    assert_eq!(rec.db().recent(Filter::All, 10).unwrap().len(), 4);
}

#[test]
fn wal_mode_schema_version_and_a_newer_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.sqlite3");
    let db = HistoryDb::open(&path).unwrap();
    assert_eq!(db.journal_mode().unwrap().to_ascii_lowercase(), "wal");
    assert_eq!(db.schema_version().unwrap(), SCHEMA_VERSION);
    drop(db);
    // Reopening migrates nothing and keeps the version.
    assert_eq!(HistoryDb::open(&path).unwrap().schema_version().unwrap(), SCHEMA_VERSION);
    // A database from a newer Lampboard is refused, not damaged.
    {
        let conn = rusqlite_conn(&path);
        conn.execute_batch("UPDATE schema_version SET version = 99").unwrap();
    }
    let e = HistoryDb::open(&path).expect_err("newer schema");
    assert!(e.to_string().contains("99"), "{e}");
}

fn rusqlite_conn(path: &std::path::Path) -> rusqlite::Connection {
    rusqlite::Connection::open(path).unwrap()
}

#[test]
fn remotes_are_split_into_name_and_number() {
    assert_eq!(split_remote("Anna <sip:1002@pbx>"), (Some("Anna".into()), "1002".into()));
    assert_eq!(split_remote("\"Anna \\\"A\\\" B\" <sips:1002@pbx:5061>"), (Some("Anna \"A\" B".into()), "1002".into()));
    assert_eq!(split_remote("sip:1002@pbx;user=phone"), (None, "1002".into()));
    assert_eq!(split_remote("<tel:+4930123;phone-context=x>"), (None, "+4930123".into()));
    assert_eq!(split_remote("sip:pbx.example.com"), (None, "pbx.example.com".into()));
    assert_eq!(split_remote(""), (None, String::new()));
    assert_eq!(split_remote("garbage <"), (None, "garbage <".into()));
}
