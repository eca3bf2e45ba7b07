//! The one interface between the engine and its clients (GUI, CLI, demo): commands in,
//! events out, plain serde data. Event JSON (`{"event":"registered",…}`) is the CLI's
//! public output contract: fields may be added, never renamed or dropped.

use crate::sip::TransportKind;
use serde::{Deserialize, Serialize};

/// What a client asks the engine to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum Command {
    /// Register the account (again).
    Register,
    /// Remove the binding and stay unregistered.
    Unregister,
    /// Un-register and stop the engine.
    Shutdown,
}

/// What the engine reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// The server was resolved and a REGISTER is on its way.
    Registering {
        /// Address of record.
        aor: String,
        /// The server's socket address chosen by DNS.
        server: String,
        /// The transport.
        transport: TransportKind,
    },
    /// The binding is in place.
    Registered {
        /// Address of record.
        aor: String,
        /// Seconds granted.
        expires: u32,
        /// All contacts the registrar lists for the AOR.
        contacts: Vec<String>,
    },
    /// A registration attempt failed.
    RegistrationFailed {
        /// Address of record.
        aor: String,
        /// SIP status code, `null` for timeouts and network errors.
        code: Option<u16>,
        /// Human-readable reason.
        reason: String,
        /// Milliseconds until the next attempt; `null` when it will not retry by itself.
        retry_in_ms: Option<u64>,
    },
    /// The binding was removed.
    Unregistered {
        /// Address of record.
        aor: String,
    },
    /// A transport-level problem (DNS, connect, TLS, socket).
    NetworkError {
        /// What failed.
        reason: String,
    },
    /// The engine has stopped; no more events follow.
    Stopped,
}
