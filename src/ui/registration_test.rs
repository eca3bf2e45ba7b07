//! The wizard's **Test** button: register once with the data typed in and say exactly what
//! happened. [`EngineTester`] runs the real engine on a worker thread, reads its
//! `Registered` / `RegistrationFailed` / `NetworkError` events with a timeout and shuts it
//! down; the UI only polls a channel. [`RegistrationTester`] lets tests substitute it.

use crate::api::{Command, Event};
use crate::cli::AccountArgs;
use crate::config::Account;
use crate::engine::{self, EngineConfig};
use std::fmt;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

/// What a registration test found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TestOutcome {
    /// The registrar accepted the binding.
    Registered {
        /// Address of record.
        aor: String,
        /// Seconds granted.
        expires: u32,
    },
    /// The registrar answered with an error.
    Rejected {
        /// SIP status code.
        code: u16,
        /// The reason (the engine's words).
        reason: String,
    },
    /// No answer (or the transport failed) from the server.
    NoAnswer {
        /// Where the REGISTER went (`127.0.0.1:5060`), or the server as typed.
        server: String,
        /// The engine's words, or the test's own timeout.
        detail: String,
    },
    /// DNS, connect, TLS or socket trouble (e.g. connection refused).
    Network {
        /// Where the REGISTER went, or the server as typed (DNS failed).
        server: String,
        /// The engine's words.
        reason: String,
    },
    /// The engine could not be started or the account cannot be turned into its config.
    Setup(String),
}

impl TestOutcome {
    /// Whether the test succeeded.
    pub fn is_ok(&self) -> bool {
        matches!(self, TestOutcome::Registered { .. })
    }

    /// The outcome from one engine event, if that event decides it. `server` is where the
    /// REGISTER went (from `Registering`).
    pub fn from_event(e: &Event, server: &str) -> Option<TestOutcome> {
        match e {
            Event::Registered { aor, expires, .. } => {
                Some(TestOutcome::Registered { aor: aor.clone(), expires: *expires })
            }
            Event::RegistrationFailed { code: Some(408) | None, reason, .. } => {
                let detail = if reason.contains("timeout") || reason.starts_with("408") {
                    "timeout".to_string()
                } else {
                    reason.clone()
                };
                Some(TestOutcome::NoAnswer { server: server.to_string(), detail })
            }
            Event::RegistrationFailed { code: Some(code), reason, .. } => {
                Some(TestOutcome::Rejected { code: *code, reason: reason.clone() })
            }
            Event::NetworkError { reason } => {
                Some(TestOutcome::Network { server: server.to_string(), reason: reason.clone() })
            }
            _ => None,
        }
    }
}

impl fmt::Display for TestOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TestOutcome::Registered { aor, expires } => write!(f, "Registered as {aor} (expires {expires} s)"),
            TestOutcome::Rejected { code, reason } => {
                write!(f, "Not registered: {code} {reason}")?;
                match code {
                    401 | 403 | 407 => write!(f, " — wrong password or auth name?"),
                    404 => write!(f, " — unknown extension or wrong SIP domain?"),
                    423 => write!(f, " — the server wants a longer registration interval"),
                    _ => Ok(()),
                }
            }
            TestOutcome::NoAnswer { server, detail } => write!(f, "No answer from {server} ({detail})"),
            TestOutcome::Network { server, reason } => write!(f, "Cannot reach {server}: {reason}"),
            TestOutcome::Setup(reason) => write!(f, "Cannot test: {reason}"),
        }
    }
}

/// Tries a registration; the outcome arrives on the returned channel (exactly one message).
pub trait RegistrationTester: Send + Sync {
    /// Starts a test of `account` with `password`; must not block.
    fn start(&self, account: &Account, password: &str) -> Receiver<TestOutcome>;
}

/// The real tester: the engine on a worker thread.
#[derive(Debug, Clone)]
pub struct EngineTester {
    /// How long to wait for the registrar's decision.
    pub timeout: Duration,
}

impl Default for EngineTester {
    fn default() -> Self {
        EngineTester { timeout: Duration::from_secs(12) }
    }
}

impl RegistrationTester for EngineTester {
    fn start(&self, account: &Account, password: &str) -> Receiver<TestOutcome> {
        let (tx, rx) = mpsc::channel();
        let cfg = engine_config(account, password);
        let timeout = self.timeout;
        let fallback = account.server_spec();
        let spawned = std::thread::Builder::new().name("registration-test".into()).spawn({
            let tx = tx.clone();
            move || {
                let outcome = match cfg {
                    Ok(cfg) => run_test(cfg, &fallback, timeout),
                    Err(e) => TestOutcome::Setup(e),
                };
                let _ = tx.send(outcome);
            }
        });
        if let Err(e) = spawned {
            let _ = tx.send(TestOutcome::Setup(format!("cannot start a thread: {e}")));
        }
        rx
    }
}

/// The engine configuration of `account` as the console would run it (the CLI's defaults,
/// the account's values, its profile's feature codes), with `password`.
pub fn engine_config(account: &Account, password: &str) -> Result<EngineConfig, String> {
    #[derive(clap::Parser)]
    struct Defaults {
        #[command(flatten)]
        account: AccountArgs,
    }
    let args = <Defaults as clap::Parser>::try_parse_from(["lampboard"]).map_err(|e| e.to_string())?.account;
    let mut cfg = args.overlaid_on(account).engine_config(password.to_string())?;
    cfg.account.feature_codes = cfg.account.feature_codes.clone().with_profile(&account.effective_feature_codes());
    Ok(cfg)
}

/// Runs the engine until the registration is decided or `timeout`, then shuts it down.
fn run_test(mut cfg: EngineConfig, fallback_server: &str, timeout: Duration) -> TestOutcome {
    cfg.register_on_start = true;
    let handle = match engine::spawn(cfg, std::sync::Arc::new(|| {})) {
        Ok(h) => h,
        Err(e) => return TestOutcome::Setup(format!("cannot start the engine: {e}")),
    };
    let deadline = Instant::now() + timeout;
    let mut server = fallback_server.to_string();
    let outcome = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match handle.events.recv_timeout(left) {
            Ok(Event::Registering { server: s, .. }) => server = s,
            Ok(Event::Stopped) => break TestOutcome::Setup("the engine stopped".into()),
            Ok(e) => {
                if let Some(o) = TestOutcome::from_event(&e, &server) {
                    break o;
                }
            }
            Err(RecvTimeoutError::Timeout) => {
                break TestOutcome::NoAnswer { server, detail: format!("timeout after {} s", timeout.as_secs()) };
            }
            Err(RecvTimeoutError::Disconnected) => break TestOutcome::Setup("the engine stopped".into()),
        }
    };
    // Un-register and stop; the engine bounds its own shutdown (a few seconds).
    handle.send(Command::Shutdown);
    let stop_by = Instant::now() + Duration::from_secs(10);
    while let Some(left) = stop_by.checked_duration_since(Instant::now()) {
        match handle.events.recv_timeout(left) {
            Ok(Event::Stopped) | Err(_) => break,
            Ok(_) => {}
        }
    }
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_say_what_happened() {
        let reg = Event::Registered { aor: "sip:1001@pbx".into(), expires: 3600, contacts: vec![] };
        let o = TestOutcome::from_event(&reg, "127.0.0.1:5060").unwrap();
        assert_eq!(o.to_string(), "Registered as sip:1001@pbx (expires 3600 s)");
        let bad = Event::RegistrationFailed {
            aor: "a".into(),
            code: Some(401),
            reason: "wrong user name or password".into(),
            retry_in_ms: None,
        };
        let o = TestOutcome::from_event(&bad, "x").unwrap();
        assert!(o.to_string().starts_with("Not registered: 401 wrong user name or password — wrong password"), "{o}");
        let lost = Event::RegistrationFailed {
            aor: "a".into(),
            code: None,
            reason: "no answer from the server (timeout)".into(),
            retry_in_ms: Some(1000),
        };
        let o = TestOutcome::from_event(&lost, "127.0.0.1:5060").unwrap();
        assert_eq!(o.to_string(), "No answer from 127.0.0.1:5060 (timeout)");
        assert!(TestOutcome::from_event(&Event::Stopped, "x").is_none());
    }

    #[test]
    fn the_engine_config_follows_the_account() {
        let mut a = Account::new("office", "pbx.example.com", "1001");
        a.port = Some(5070);
        a.auth_user = Some("u1001".into());
        let cfg = engine_config(&a, "pw").unwrap();
        assert_eq!(cfg.server, "pbx.example.com:5070");
        assert_eq!(cfg.account.user, "1001");
        assert_eq!(cfg.account.auth_user.as_deref(), Some("u1001"));
        assert_eq!(cfg.account.password, "pw");
    }
}
