//! Every forwarding rule on real calls, once with its time condition holding now and once
//! with one that does not (then the call rings here as if the rule were off), all against one
//! Kamailio on loopback. Each scenario has its own forwarding softphone (`lampboard answer
//! --rules FILE`, started together up front) and its own caller (`lampboard call`, which
//! follows the 302); baresip 1982 is the forward target's phone (auto-answer) whose log shows
//! which caller reached it. SIPp callers check the 302's Diversion and History-Info and the
//! 181 Call Is Being Forwarded before a CFNA 302 (`cfna_181`), then follow the 302 to the
//! target's phone themselves.
//!
//! Time conditions used: "holds now" — `daily`, `office` with office hours `daily`,
//! `out-of-holiday` with a holiday in 2020; "does not hold" — dates in 2020, `holiday` and
//! `office` whose days are in 2020.

mod common;

use common::{Kamailio, Running, account_cmd, start_baresip};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The forward target's phone.
const TARGET: &str = "1982";
/// How long the target's log may take to show a call.
const WAIT: Duration = Duration::from_secs(5);

/// One forwarding softphone: extension, rules (TOML, UTC), and `lampboard answer` flags.
struct Spec {
    ext: &'static str,
    rules: String,
    args: &'static [&'static str],
}

fn spec(ext: &'static str, rules: &str, args: &'static [&'static str]) -> Spec {
    Spec { ext, rules: format!("time_zone = \"UTC\"\n{rules}"), args }
}

/// Starts every softphone at once, then waits until each is registered.
fn start_phones(k: &Kamailio, dir: &Path, specs: Vec<Spec>) -> Vec<(&'static str, Running)> {
    let mut phones: Vec<(&'static str, Running)> = specs
        .into_iter()
        .map(|s| {
            let path = dir.join(format!("rules-{}.toml", s.ext));
            std::fs::write(&path, &s.rules).unwrap();
            let mut c = account_cmd(k, &["answer", "--rules", path.to_str().unwrap()], s.ext);
            c.args(s.args);
            (s.ext, Running::spawn(c))
        })
        .collect();
    for (ext, p) in &mut phones {
        assert!(p.wait_event("registered", Duration::from_secs(20)).is_some(), "softphone {ext}: {:?}", p.seen);
    }
    phones
}

fn phone<'a>(phones: &'a mut [(&'static str, Running)], ext: &str) -> &'a mut Running {
    &mut phones.iter_mut().find(|(e, _)| *e == ext).expect("a softphone of that extension").1
}

/// `lampboard call CALLEE` from `caller`; exit code and events.
fn call(k: &Kamailio, caller: &str, callee: &str, extra: &[&str]) -> (Option<i32>, Vec<serde_json::Value>) {
    let mut all = vec!["call", callee];
    all.extend_from_slice(extra);
    let out = account_cmd(k, &all, caller).output().unwrap();
    let seen = String::from_utf8_lossy(&out.stdout).lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    (out.status.code(), seen)
}

fn ended_code(seen: &[serde_json::Value]) -> serde_json::Value {
    seen.iter()
        .rev()
        .find(|v| v["event"] == "call" && v["state"] == "ended")
        .map(|v| v["code"].clone())
        .unwrap_or_default()
}

fn answered(seen: &[serde_json::Value]) -> bool {
    seen.iter().any(|v| v["event"] == "call" && v["state"] == "answered")
}

/// The target's phone has an established call from `caller` (its log says so, polled up to
/// `within` because baresip writes it asynchronously).
fn target_has_call_from(dir: &Path, caller: &str, within: Duration) -> bool {
    let end = Instant::now() + within;
    loop {
        let log = std::fs::read_to_string(dir.join("baresip.log")).unwrap_or_default();
        if log.lines().any(|l| l.contains("Call established") && l.contains(&format!("sip:{caller}@"))) {
            return true;
        }
        if Instant::now() > end {
            return false;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The softphone's `forwarded` event (waited for a little), or `None`.
fn forwarded(p: &mut Running, within: Duration) -> Option<serde_json::Value> {
    if let Some(v) = p.seen.iter().find(|v| v["event"] == "forwarded") {
        return Some(v.clone());
    }
    p.wait_event("forwarded", within)
}

/// A SIPp caller (tests/testbed/sipp/uac_redirect.xml) from `caller` to `callee`: whether it
/// got its 302 with Diversion and History-Info and reached the forward target by following
/// it (answered, 1 s, BYE), and the message trace.
fn sipp_redirected(k: &Kamailio, dir: &Path, caller: &str, callee: &str) -> (bool, String) {
    let log = dir.join(format!("sipp-{caller}.log"));
    let port = std::net::UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let scenario = format!("{}/tests/testbed/sipp/uac_redirect.xml", env!("CARGO_MANIFEST_DIR"));
    let st = Command::new("timeout")
        .args(["40", "sipp", &format!("127.0.0.1:{}", k.sip_port), "-sf", &scenario])
        .args(["-i", "127.0.0.1", "-p", &port.to_string(), "-m", "1", "-nostdin", "-s", caller])
        .args(["-ap", &k.password(caller), "-key", "target", callee, "-d", "1000"])
        .args(["-timeout", "30s", "-timeout_error", "-trace_msg", "-message_file"])
        .arg(&log)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("sipp (tests/testbed/install-deps.sh installs it)");
    (st.success(), std::fs::read_to_string(&log).unwrap_or_default())
}

/// The text of the first received response with `code` in a SIPp trace.
fn received<'a>(trace: &'a str, code: &str) -> Option<&'a str> {
    let at = trace.find(&format!("SIP/2.0 {code} "))?;
    let rest = &trace[at..];
    Some(&rest[..rest.find("\n\n").or_else(|| rest.find("\r\n\r\n")).unwrap_or(rest.len())])
}

fn history_info(resp: &str) -> Option<&str> {
    resp.lines().find_map(|l| l.strip_prefix("History-Info: ")).map(str::trim)
}

#[test]
fn every_rule_with_its_time_condition_on_and_off() {
    let started = Instant::now();
    let k = Kamailio::start(&[]);
    let tmp = tempfile::tempdir().unwrap();
    let target_dir = tmp.path().join("target");
    let _target = start_baresip(&k, &target_dir, TARGET, &[]);
    let mut phones = start_phones(
        &k,
        tmp.path(),
        vec![
            spec("1941", "dnd = true\ndnd_time = \"daily\"\n", &[]),
            spec("1942", "dnd = true\ndnd_time = \"2020-01-01\"\n", &["--duration", "2"]),
            spec("1943", "dnd = true\ndnd_time = \"daily\"\ndnd_whitelist = [\"1963\"]\n", &["--count", "2"]),
            spec(
                "1944",
                "office_hours = [\"daily\"]\n[per_status.available]\ncfu = \"1982\"\ncfu_time = \"office\"\n",
                &["--count", "2"],
            ),
            spec(
                "1945",
                "holidays = [\"2020-01-01\"]\n[per_status.available]\ncfu = \"1982\"\ncfu_time = \"holiday\"\n",
                &["--duration", "2"],
            ),
            spec(
                "1946",
                "fwd_whitelist = [\"_196[7-8]\"]\n[per_status.available]\ncfu = \"1982\"\n",
                &["--duration", "2"],
            ),
            spec(
                "1947",
                "call_waiting = false\nholidays = [\"2020-01-01\"]\n\
                 [per_status.available]\ncfb = \"1982\"\ncfb_time = \"out-of-holiday\"\n",
                &["--count", "2", "--duration", "10"],
            ),
            spec(
                "1948",
                "call_waiting = false\noffice_hours = [\"2020-01-01\"]\n\
                 [per_status.available]\ncfb = \"1982\"\ncfb_time = \"office\"\n",
                &["--count", "2", "--duration", "10"],
            ),
            spec(
                "1949",
                "ring_timeout = 3\ncfna_181 = true\n[per_status.available]\ncfna = \"1982\"\ncfna_time = \"daily\"\n",
                &["--count", "2", "--after-rings", "30"],
            ),
            spec(
                "1950",
                "ring_timeout = 3\n[per_status.available]\ncfna = \"1982\"\ncfna_time = \"2020-01-01..2020-01-02\"\n",
                &["--after-rings", "5", "--duration", "2"],
            ),
        ],
    );

    // DND, its time condition holding: 486 for the caller and in the softphone's log.
    let (code, seen) = call(&k, "1961", "1941", &[]);
    assert_eq!((code, ended_code(&seen)), (Some(3), 486.into()), "DND on: {seen:#?}");
    let p = phone(&mut phones, "1941");
    assert!(p.wait_where("call", Duration::from_secs(5), |v| v["code"] == 486).is_some(), "{:?}", p.seen);

    // DND whose time condition does not hold: the call rings and is answered here.
    let (code, seen) = call(&k, "1962", "1942", &["--duration", "1"]);
    assert!(code == Some(0) && answered(&seen), "DND off by its time condition: {seen:#?}");

    // DND on with a whitelist: another caller gets 486, the whitelisted one rings through.
    let (code, seen) = call(&k, "1964", "1943", &[]);
    assert_eq!((code, ended_code(&seen)), (Some(3), 486.into()), "DND on, not whitelisted: {seen:#?}");
    let (code, seen) = call(&k, "1963", "1943", &["--duration", "1"]);
    assert!(code == Some(0) && answered(&seen), "DND whitelist: {seen:#?}");

    // CFU during office hours (every day): the call lands on the target's phone…
    let (code, seen) = call(&k, "1965", "1944", &["--duration", "1"]);
    assert!(code == Some(0) && answered(&seen), "CFU on: the caller followed the 302: {seen:#?}");
    assert!(target_has_call_from(&target_dir, "1965", WAIT), "CFU on: the target's phone has the call");
    let fwd = forwarded(phone(&mut phones, "1944"), Duration::from_secs(5)).expect("CFU on: a forwarded event");
    assert_eq!(fwd["kind"], "unconditional");
    // …and a SIPp caller sees the 302 with Diversion and History-Info (cause 302).
    let (ok, trace) = sipp_redirected(&k, tmp.path(), "1971", "1944");
    assert!(ok, "SIPp got the 302 with Diversion and History-Info and followed it:\n{trace}");
    assert!(target_has_call_from(&target_dir, "1971", WAIT), "CFU on: SIPp reached the target's phone");
    let r302 = received(&trace, "302").expect("a 302 in the trace");
    assert!(r302.contains(&format!("Contact: <sip:{TARGET}@")), "{r302}");
    assert!(r302.contains("Diversion: <sip:1944@127.0.0.1>;reason=unconditional;counter=1"), "{r302}");
    assert_eq!(
        history_info(r302),
        Some(
            "<sip:1944@127.0.0.1?Reason=SIP%3Bcause%3D302%3Btext%3D%22Moved%20Temporarily%22>;index=1,\
             <sip:1982@127.0.0.1;cause=302>;index=1.1;mp=1"
        ),
        "{r302}"
    );
    assert!(received(&trace, "181").is_none(), "no 181 for CFU: {trace}");

    // CFU only on holidays (none now): rings here.
    let (code, seen) = call(&k, "1966", "1945", &["--duration", "1"]);
    assert!(code == Some(0) && answered(&seen), "CFU off by its time condition: {seen:#?}");
    assert!(!target_has_call_from(&target_dir, "1966", Duration::ZERO), "CFU off: not at the target");
    let p = phone(&mut phones, "1945");
    assert!(p.wait_where("call", Duration::from_secs(5), |v| v["state"] == "answered").is_some(), "{:?}", p.seen);
    assert!(forwarded(p, Duration::ZERO).is_none(), "CFU off: {:?}", p.seen);

    // CFU on, but the caller is on the forward whitelist: rings here.
    let (code, seen) = call(&k, "1967", "1946", &["--duration", "1"]);
    assert!(code == Some(0) && answered(&seen), "forward whitelist: {seen:#?}");
    let p = phone(&mut phones, "1946");
    assert!(p.wait_where("call", Duration::from_secs(5), |v| v["state"] == "answered").is_some(), "{:?}", p.seen);
    assert!(forwarded(p, Duration::ZERO).is_none(), "whitelisted caller forwarded: {:?}", p.seen);

    // CFB (out of holidays = now) while in a call with call waiting off: the second caller
    // reaches the target.
    let mut first = Running::spawn(account_cmd(&k, &["call", "1947", "--duration", "6"], "1983"));
    first.wait_where("call", Duration::from_secs(10), |v| v["state"] == "answered").expect("first call answered");
    let (code, seen) = call(&k, "1968", "1947", &["--duration", "1"]);
    assert!(code == Some(0) && answered(&seen), "CFB on: {seen:#?}");
    assert!(target_has_call_from(&target_dir, "1968", WAIT), "CFB on: the target's phone has the second call");
    let fwd = forwarded(phone(&mut phones, "1947"), Duration::from_secs(5)).expect("CFB on: a forwarded event");
    assert_eq!(fwd["kind"], "user-busy");
    drop(first);

    // CFB only in office hours (days in 2020): busy → 486, not forwarded.
    let mut first = Running::spawn(account_cmd(&k, &["call", "1948", "--duration", "6"], "1984"));
    first.wait_where("call", Duration::from_secs(10), |v| v["state"] == "answered").expect("first call answered");
    let (code, seen) = call(&k, "1969", "1948", &[]);
    assert_eq!((code, ended_code(&seen)), (Some(3), 486.into()), "CFB off by its time condition: {seen:#?}");
    assert!(!target_has_call_from(&target_dir, "1969", Duration::ZERO), "CFB off: not at the target");
    assert!(forwarded(phone(&mut phones, "1948"), Duration::ZERO).is_none(), "CFB off");
    drop(first);

    // CFNA (daily) after the 3 s ring timeout, announced with 181: the call rang here first,
    // then lands on the target.
    let (code, seen) = call(&k, "1970", "1949", &["--duration", "1"]);
    assert!(code == Some(0) && answered(&seen), "CFNA on: {seen:#?}");
    assert!(seen.iter().any(|v| v["event"] == "call" && v["state"] == "ringing"), "it rang first: {seen:#?}");
    assert!(target_has_call_from(&target_dir, "1970", WAIT), "CFNA on: the target's phone has the call");
    let fwd = forwarded(phone(&mut phones, "1949"), Duration::from_secs(5)).expect("CFNA on: a forwarded event");
    assert_eq!(fwd["kind"], "no-answer");
    // A SIPp caller gets 180, then 181 Call Is Being Forwarded, then the 302 (cause 408).
    let (ok, trace) = sipp_redirected(&k, tmp.path(), "1972", "1949");
    assert!(ok, "SIPp got the CFNA 302 and followed it:\n{trace}");
    assert!(target_has_call_from(&target_dir, "1972", WAIT), "CFNA on: SIPp reached the target's phone");
    let at = |code: &str| trace.find(&format!("SIP/2.0 {code} ")).unwrap_or_else(|| panic!("no {code}:\n{trace}"));
    assert!(at("180") < at("181") && at("181") < at("302"), "180, 181, 302 in that order:\n{trace}");
    let r181 = received(&trace, "181").expect("the 181");
    assert!(r181.starts_with("SIP/2.0 181 Call Is Being Forwarded"), "{r181}");
    let r302 = received(&trace, "302").expect("the 302");
    assert!(r302.contains("Diversion: <sip:1949@127.0.0.1>;reason=no-answer;counter=1"), "{r302}");
    let hi = history_info(r302).expect("History-Info in the 302");
    assert!(hi.ends_with("<sip:1982@127.0.0.1;cause=408>;index=1.1;mp=1"), "{r302}");
    assert_eq!(history_info(r181), Some(hi), "the 181 carries the same History-Info");

    // CFNA only on days in 2020: the ring timeout passes and it keeps ringing; answered at 5 s.
    let t = Instant::now();
    let (code, seen) = call(&k, "1974", "1950", &["--duration", "1"]);
    assert!(code == Some(0) && answered(&seen), "CFNA off by its time condition: {seen:#?}");
    assert!(t.elapsed() >= Duration::from_secs(4), "answered here after the rings, not before");
    assert!(!target_has_call_from(&target_dir, "1974", Duration::ZERO), "CFNA off: not at the target");
    assert!(forwarded(phone(&mut phones, "1950"), Duration::ZERO).is_none(), "CFNA off");

    eprintln!("forwarding matrix: {:.1} s", started.elapsed().as_secs_f64());
}
