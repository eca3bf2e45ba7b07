//! Why a presence or dialog-info body was refused.

use std::fmt;

/// Largest body the presence parsers accept, in bytes (64 KiB).
pub const MAX_BODY_LEN: usize = 64 * 1024;

/// A NOTIFY/PUBLISH body that could not be read.
///
/// Every variant is produced from network input, so none of them panics and all of them
/// are cheap to build; the `String`s are short reasons for a log line, never the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyError {
    /// The body is empty or whitespace only (a body-less NOTIFY is not an error: the caller
    /// should not parse it at all, see `Lamp::apply_bodyless_notify`).
    Empty,
    /// The body is larger than [`MAX_BODY_LEN`].
    TooLarge,
    /// The XML is not well-formed, is truncated, uses an undeclared entity, or a required
    /// attribute has an unusable value.
    Malformed(String),
    /// The root element has the expected local name in a namespace we do not read
    /// (for example `<presence xmlns="urn:example">`).
    WrongNamespace,
    /// The root element is not one this parser reads (for example a `dialog-info` document
    /// handed to the PIDF parser).
    UnexpectedRoot(String),
    /// The document carries a DTD internal subset (`<!DOCTYPE x [ ... ]>`). Entity
    /// declarations are never expanded; such bodies (billion laughs, XXE) are refused whole.
    DoctypeRefused,
}

impl BodyError {
    pub(crate) fn malformed(reason: impl fmt::Display) -> Self {
        BodyError::Malformed(reason.to_string())
    }
}

impl fmt::Display for BodyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BodyError::Empty => f.write_str("empty body"),
            BodyError::TooLarge => write!(f, "body larger than {MAX_BODY_LEN} bytes"),
            BodyError::Malformed(why) => write!(f, "malformed XML body: {why}"),
            BodyError::WrongNamespace => f.write_str("root element in an unexpected namespace"),
            BodyError::UnexpectedRoot(name) => write!(f, "unexpected root element <{name}>"),
            BodyError::DoctypeRefused => f.write_str("DTD internal subset refused"),
        }
    }
}

impl std::error::Error for BodyError {}
