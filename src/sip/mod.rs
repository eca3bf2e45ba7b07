//! The sans-IO SIP core: messages, transactions, transport decisions, digest auth and
//! registration. Nothing here opens a socket, reads the clock or draws randomness: time
//! (`now: Instant`) and random strings come in as arguments.

pub mod addr;
pub mod auth;
pub mod message;
pub mod registration;
pub mod transaction;
pub mod transport;
pub mod via;

pub use message::{ParseError, Request, Response, SipMessage};
pub use transport::{Destination, Transmit, TransportKind};
