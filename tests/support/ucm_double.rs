//! A **test double** of the Grandstream UCM HTTPS API (not a UCM, not a simulator of one): a
//! small HTTPS server on 127.0.0.1 that answers `challenge`, `login`, `getSIPAccount`,
//! `updateSIPAccount` and `applyChanges` with the request and answer shapes of PRESENCE.md §2.
//!
//! It is strict where the real UCM's behaviour is documented and Lampboard's requests must be
//! exact: unknown or missing fields get status -1, bad values -15, a bad cookie -6, a wrong token
//! -37, an unknown extension -16. It keeps each account's fields, so a read-back shows what was
//! written; it records every request body; and a test can expire the cookies, make the next
//! request of an action fail with a given status, ask for `applyChanges`, nest the
//! `getSIPAccount` answer under `extension`, or stop answering at all.
//!
//! TLS: a fresh CA and a server certificate for `127.0.0.1`/`localhost` are made with rcgen at
//! start; the CA's PEM is written to a temporary file for the client's `ca_file`.

#![allow(dead_code)] // each test binary uses a different part of the double

use md5::{Digest, Md5};
use serde_json::{Map, Value, json};
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// The statuses that have a forwarding entry (no `dnd`).
const LIST_STATUSES: [&str; 5] = ["available", "away", "chat", "userdef", "unavailable"];
const ALL_STATUSES: [&str; 6] = ["available", "away", "chat", "dnd", "userdef", "unavailable"];
const TIME_TYPES: [u64; 8] = [0, 1, 2, 3, 4, 5, 6, 8];

#[derive(Default)]
struct State {
    user: String,
    password: String,
    next_challenge: u64,
    challenge: Option<String>,
    cookies: HashSet<String>,
    next_cookie: u64,
    accounts: HashMap<String, Map<String, Value>>,
    requests: Vec<Value>,
    fail_next: Vec<(String, i64)>,
    need_apply: bool,
    pending_apply: bool,
    applies: usize,
    nest_under_extension: bool,
    list_field: String,
    stall: bool,
}

/// A running test double of the UCM API.
pub struct UcmDouble {
    /// `https://127.0.0.1:PORT/api`.
    pub url: String,
    /// The PEM file of the double's CA.
    pub ca_file: PathBuf,
    state: Arc<Mutex<State>>,
    _dir: tempfile::TempDir,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for UcmDouble {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A CA and a server certificate signed by it: (CA PEM, server chain DER, server key DER).
pub fn make_certificates() -> (String, Vec<rustls::pki_types::CertificateDer<'static>>, Vec<u8>) {
    let ca_key = rcgen::KeyPair::generate().expect("test CA key");
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params.distinguished_name.push(rcgen::DnType::CommonName, "Lampboard UCM test double CA");
    ca_params.key_usages = vec![rcgen::KeyUsagePurpose::KeyCertSign, rcgen::KeyUsagePurpose::CrlSign];
    let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).expect("CA certificate");
    let key = rcgen::KeyPair::generate().expect("server key");
    let mut params =
        rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()]).expect("server params");
    params.distinguished_name.push(rcgen::DnType::CommonName, "ucm-double");
    let cert = params.signed_by(&key, &ca).expect("server certificate");
    (ca.pem(), vec![cert.der().clone()], key.serialize_der())
}

impl UcmDouble {
    /// Starts the double for API user `user` with `password`, with no accounts.
    pub async fn start(user: &str, password: &str) -> UcmDouble {
        let (ca_pem, chain, key) = make_certificates();
        let dir = tempfile::tempdir().expect("temp dir");
        let ca_file = dir.path().join("ucm-double-ca.pem");
        std::fs::write(&ca_file, ca_pem).expect("write CA file");
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let server = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_no_client_auth()
            .with_single_cert(chain, rustls::pki_types::PrivateKeyDer::Pkcs8(key.into()))
            .expect("server TLS config");
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(server));
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("local addr").port();
        let state = Arc::new(Mutex::new(State {
            user: user.to_owned(),
            password: password.to_owned(),
            next_challenge: 1_652_168_893,
            list_field: "sip_presence_settings".to_owned(),
            ..State::default()
        }));
        let st = state.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else { return };
                let acceptor = acceptor.clone();
                let st = st.clone();
                tokio::spawn(async move {
                    // A client that does not trust us aborts the handshake: nothing to do then.
                    if let Ok(tls) = acceptor.accept(tcp).await {
                        serve(tls, st).await;
                    }
                });
            }
        });
        UcmDouble { url: format!("https://127.0.0.1:{port}/api"), ca_file, state, _dir: dir, task }
    }

    fn st(&self) -> MutexGuard<'_, State> {
        self.state.lock().expect("double state lock")
    }

    /// Adds extension `ext` with these fields (as `getSIPAccount` will show them).
    pub fn add_account(&self, ext: &str, fields: Value) {
        let Value::Object(mut m) = fields else { panic!("account fields must be an object") };
        m.insert("extension".into(), ext.into());
        self.st().accounts.insert(ext.to_owned(), m);
    }

    /// The stored fields of `ext`.
    pub fn account(&self, ext: &str) -> Option<Map<String, Value>> {
        self.st().accounts.get(ext).cloned()
    }

    /// Every request body received, in order (parsed JSON; holds tokens and cookies: test only).
    pub fn requests(&self) -> Vec<Value> {
        self.st().requests.clone()
    }

    /// How many requests of `action` arrived.
    pub fn count(&self, action: &str) -> usize {
        self.st().requests.iter().filter(|r| r["request"]["action"] == action).count()
    }

    /// Makes every cookie handed out so far invalid (the session expired).
    pub fn expire_cookies(&self) {
        self.st().cookies.clear();
    }

    /// The next request of `action` is answered with `status` (and an empty response).
    pub fn fail_next(&self, action: &str, status: i64) {
        self.st().fail_next.push((action.to_owned(), status));
    }

    /// Whether `updateSIPAccount` answers `need_apply: "yes"`.
    pub fn set_need_apply(&self, yes: bool) {
        self.st().need_apply = yes;
    }

    /// True while an update waits for `applyChanges`.
    pub fn pending_apply(&self) -> bool {
        self.st().pending_apply
    }

    /// Whether `getSIPAccount` nests the fields under `response.extension`.
    pub fn set_nest_under_extension(&self, yes: bool) {
        self.st().nest_under_extension = yes;
    }

    /// The field name taken for the forwarding list (`sip_presence_settings` by default).
    pub fn set_list_field(&self, name: &str) {
        self.st().list_field = name.to_owned();
    }

    /// Stop answering: connections are accepted and read, never answered.
    pub fn set_stall(&self, yes: bool) {
        self.st().stall = yes;
    }

    /// The answer the double gives to `body`, without HTTP (to test the double's own checks).
    pub fn answer(&self, body: &[u8]) -> Value {
        handle(&mut self.st(), body)
    }
}

/// One connection: one HTTP/1.1 POST, one answer, then close.
async fn serve<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin>(mut io: S, st: Arc<Mutex<State>>) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    // Bounded: at most 64 KiB of head and body together.
    let (head_len, content_len) = loop {
        if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..pos]).to_string();
            let len = head
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.trim().eq_ignore_ascii_case("content-length").then(|| v.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            if !head.starts_with("POST /api HTTP/1.1") {
                let _ = io.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").await;
                return;
            }
            break (pos + 4, len);
        }
        if buf.len() > 64 * 1024 {
            return;
        }
        match io.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    while buf.len() < head_len + content_len && buf.len() <= 64 * 1024 {
        match io.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    let body = &buf[head_len..(head_len + content_len).min(buf.len())];
    let stall = st.lock().expect("double state lock").stall;
    if stall {
        tokio::time::sleep(std::time::Duration::from_secs(30)).await;
        return;
    }
    let answer = handle(&mut st.lock().expect("double state lock"), body);
    let text = answer.to_string();
    let resp = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json;charset=UTF-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
        text.len()
    );
    let _ = io.write_all(resp.as_bytes()).await;
    let _ = io.shutdown().await;
}

fn status(code: i64) -> Value {
    json!({"response": {}, "status": code})
}

fn ok(response: Value) -> Value {
    json!({"response": response, "status": 0})
}

fn md5_hex(s: &str) -> String {
    Md5::digest(s.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// The keys of `req` must be exactly `required` plus any of `optional`.
fn check_keys(req: &Map<String, Value>, required: &[&str], optional: &[&str]) -> Result<(), i64> {
    if required.iter().any(|k| !req.contains_key(*k)) {
        return Err(-1);
    }
    if req.keys().any(|k| !required.contains(&k.as_str()) && !optional.contains(&k.as_str())) {
        return Err(-1);
    }
    Ok(())
}

fn handle(st: &mut State, body: &[u8]) -> Value {
    let Ok(v) = serde_json::from_slice::<Value>(body) else { return status(-1) };
    st.requests.push(v.clone());
    let Some(outer) = v.as_object() else { return status(-1) };
    let (Some(Value::Object(req)), 1) = (outer.get("request"), outer.len()) else { return status(-1) };
    let Some(action) = req.get("action").and_then(Value::as_str) else { return status(-1) };
    if let Some(i) = st.fail_next.iter().position(|(a, _)| a == action) {
        let (_, code) = st.fail_next.remove(i);
        return status(code);
    }
    match action {
        "challenge" => challenge(st, req),
        "login" => login(st, req),
        _ => {
            let cookie_ok = req.get("cookie").and_then(Value::as_str).is_some_and(|c| st.cookies.contains(c));
            if !cookie_ok {
                return status(-6);
            }
            let r = match action {
                "getSIPAccount" => get_account(st, req),
                "updateSIPAccount" => update_account(st, req),
                "applyChanges" => check_keys(req, &["action", "cookie"], &[]).map(|()| {
                    st.pending_apply = false;
                    st.applies += 1;
                    ok(json!({}))
                }),
                _ => Err(-1),
            };
            r.unwrap_or_else(status)
        }
    }
}

fn challenge(st: &mut State, req: &Map<String, Value>) -> Value {
    if let Err(code) = check_keys(req, &["action", "user", "version"], &[]) {
        return status(code);
    }
    if req["version"] != "1.0" || !req["user"].is_string() {
        return status(-15);
    }
    st.next_challenge += 1;
    let ch = format!("{:016}", st.next_challenge);
    st.challenge = Some(ch.clone());
    ok(json!({"challenge": ch}))
}

fn login(st: &mut State, req: &Map<String, Value>) -> Value {
    if let Err(code) = check_keys(req, &["action", "user", "token"], &[]) {
        return status(code);
    }
    // A challenge is good for one login attempt.
    let Some(ch) = st.challenge.take() else { return status(-37) };
    let want = md5_hex(&format!("{ch}{}", st.password));
    if req["user"] != st.user.as_str() || req["token"] != want.as_str() {
        return status(-37);
    }
    st.next_cookie += 1;
    let cookie = format!("sid{:08x}-{}", st.next_cookie * 2_654_435_761 % 0xffff_ffff, st.next_cookie);
    st.cookies.insert(cookie.clone());
    ok(json!({"cookie": cookie}))
}

fn get_account(st: &mut State, req: &Map<String, Value>) -> Result<Value, i64> {
    check_keys(req, &["action", "cookie", "extension"], &[])?;
    let ext = req["extension"].as_str().ok_or(-15)?;
    let acct = st.accounts.get(ext).ok_or(-16)?.clone();
    Ok(if st.nest_under_extension { ok(json!({"extension": acct})) } else { ok(Value::Object(acct)) })
}

fn update_account(st: &mut State, req: &Map<String, Value>) -> Result<Value, i64> {
    let list_field = st.list_field.clone();
    let optional = [
        "presence_status",
        "presence_def_script",
        list_field.as_str(),
        "dnd",
        "dnd_timetype",
        "dndwhitelist",
        "fwdwhitelist",
    ];
    check_keys(req, &["action", "cookie", "extension"], &optional)?;
    if req.len() == 3 {
        return Err(-1);
    }
    let ext = req["extension"].as_str().ok_or(-15)?;
    if !st.accounts.contains_key(ext) {
        return Err(-16);
    }
    for (k, v) in req {
        match k.as_str() {
            "action" | "cookie" | "extension" => {}
            "presence_status" => one_of(v, &ALL_STATUSES)?,
            "presence_def_script" => {
                let t = v.as_str().ok_or(-15)?;
                if t.chars().count() > 64 {
                    return Err(-15);
                }
            }
            "dnd" => one_of(v, &["yes", "no"])?,
            "dnd_timetype" => time_type(v)?,
            "dndwhitelist" | "fwdwhitelist" => whitelist(v)?,
            _ => presence_list(v)?,
        }
    }
    if req.get("presence_status") == Some(&json!("userdef"))
        && req.get("presence_def_script").and_then(Value::as_str).is_none_or(str::is_empty)
    {
        return Err(-15);
    }
    let acct = st.accounts.get_mut(ext).ok_or(-16)?;
    for (k, v) in req {
        if !matches!(k.as_str(), "action" | "cookie" | "extension") {
            acct.insert(k.clone(), v.clone());
        }
    }
    if st.need_apply {
        st.pending_apply = true;
    }
    Ok(ok(json!({"need_apply": if st.need_apply { "yes" } else { "no" }})))
}

fn one_of(v: &Value, allowed: &[&str]) -> Result<(), i64> {
    v.as_str().filter(|s| allowed.contains(s)).map(|_| ()).ok_or(-15)
}

/// A digit string (or a JSON number).
fn small_number(v: &Value) -> Result<u64, i64> {
    match v {
        Value::String(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => s.parse().map_err(|_| -15),
        Value::Number(n) => n.as_u64().ok_or(-15),
        _ => Err(-15),
    }
}

fn time_type(v: &Value) -> Result<(), i64> {
    TIME_TYPES.contains(&small_number(v)?).then_some(()).ok_or(-15)
}

fn whitelist(v: &Value) -> Result<(), i64> {
    let s = v.as_str().ok_or(-15)?;
    if s.is_empty() {
        return Ok(());
    }
    let entries: Vec<&str> = s.split(',').collect();
    let pattern_char = |c: char| c.is_ascii_digit() || "XZNxzn.!_[]-+*#".contains(c);
    if entries.len() > 10 || entries.iter().any(|e| e.is_empty() || !e.chars().all(pattern_char)) {
        return Err(-15);
    }
    Ok(())
}

/// The whole per-status list: exactly the five statuses, each object with exactly its ten keys.
fn presence_list(v: &Value) -> Result<(), i64> {
    let items = v.as_array().ok_or(-15)?;
    if items.len() != LIST_STATUSES.len() {
        return Err(-15);
    }
    let mut seen = HashSet::new();
    for item in items {
        let obj = item.as_object().ok_or(-15)?;
        let mut keys = vec!["presence_status"];
        for f in ["cfu", "cfn", "cfb"] {
            keys.push(f);
        }
        let typed: Vec<String> = ["cfu", "cfn", "cfb"]
            .iter()
            .flat_map(|f| [format!("{f}_timetype"), format!("{f}_destination_type")])
            .collect();
        keys.extend(typed.iter().map(String::as_str));
        check_keys(obj, &keys, &[])?;
        let st = obj["presence_status"].as_str().ok_or(-15)?;
        if !LIST_STATUSES.contains(&st) || !seen.insert(st.to_owned()) {
            return Err(-15);
        }
        for f in ["cfu", "cfn", "cfb"] {
            let target = obj[f].as_str().ok_or(-15)?;
            time_type(&obj[&format!("{f}_timetype")])?;
            let dest = small_number(&obj[&format!("{f}_destination_type")])?;
            // The UCM GUI: destination type 0 or 7 means "none", and then the target is empty.
            if dest > 7 || (matches!(dest, 0 | 7) != target.is_empty()) {
                return Err(-15);
            }
        }
    }
    Ok(())
}
