//! The sans-IO SIP core: messages, transactions, transport decisions, digest auth and
//! registration. Nothing here opens a socket, reads the clock or draws randomness: time
//! (`now: Instant`) and random strings come in as arguments.

pub mod addr;
pub mod auth;
pub mod dialog;
pub mod invite;
pub mod message;
pub mod publication;
pub mod refer;
pub mod registration;
pub mod subscription;
pub mod transaction;
pub mod transport;
pub mod via;

pub use message::{ParseError, Request, Response, SipMessage};
pub use transport::{Destination, Transmit, TransportKind};

/// A random lower-case alphanumeric string (tags, Call-IDs, branches, cnonces) drawn from the
/// caller's generator.
pub fn random_token(rng: &mut impl rand::Rng, len: usize) -> String {
    const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    (0..len).map(|_| CHARS[rng.random_range(0..CHARS.len())] as char).collect()
}
