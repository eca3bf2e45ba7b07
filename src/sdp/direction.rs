//! Media direction attributes (`a=sendrecv` …, RFC 4566 §6) and the RFC 3264 rules built on
//! them: answering (§6.1) and hold/resume (§8.4).

use std::fmt;

/// A stream's direction, always from the point of view of the SDP's author.
///
/// Think of it as two bits, "I send" and "I receive"; every rule here is a bit operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Direction {
    /// Send and receive (the default when no attribute is present).
    #[default]
    SendRecv,
    /// Send only (the usual way to put the peer on hold).
    SendOnly,
    /// Receive only.
    RecvOnly,
    /// Neither send nor receive.
    Inactive,
}

impl Direction {
    /// All four directions, for exhaustive tables.
    pub const ALL: [Direction; 4] =
        [Direction::SendRecv, Direction::SendOnly, Direction::RecvOnly, Direction::Inactive];

    /// The direction with these two bits.
    pub fn from_flags(sends: bool, receives: bool) -> Direction {
        match (sends, receives) {
            (true, true) => Direction::SendRecv,
            (true, false) => Direction::SendOnly,
            (false, true) => Direction::RecvOnly,
            (false, false) => Direction::Inactive,
        }
    }

    /// Whether the author sends media.
    pub fn sends(self) -> bool {
        matches!(self, Direction::SendRecv | Direction::SendOnly)
    }

    /// Whether the author receives media.
    pub fn receives(self) -> bool {
        matches!(self, Direction::SendRecv | Direction::RecvOnly)
    }

    /// The same stream seen from the other end (`sendonly` ↔ `recvonly`).
    pub fn reversed(self) -> Direction {
        Direction::from_flags(self.receives(), self.sends())
    }

    /// What we may do when we want `self` and the peer declared `remote`: we send only if the
    /// peer receives, and receive only if the peer sends.
    ///
    /// This is the answer rule of RFC 3264 §6.1 (offer `sendonly` → `recvonly`, `recvonly` →
    /// `sendonly`, `inactive` → `inactive`, `sendrecv` → whatever we want), and also the
    /// effective direction after an answer arrives.
    pub fn negotiate(self, remote: Direction) -> Direction {
        Direction::from_flags(self.sends() && remote.receives(), self.receives() && remote.sends())
    }

    /// The direction to offer to put a stream on hold (RFC 3264 §8.4): stop receiving, so
    /// `sendrecv` → `sendonly` and `recvonly` (the peer holds us) → `inactive`.
    pub fn held(self) -> Direction {
        Direction::from_flags(self.sends(), false)
    }

    /// The direction to offer to take a stream off hold: receive again, so `sendonly` →
    /// `sendrecv` and `inactive` → `recvonly` (the peer's own hold is left in place).
    pub fn resumed(self) -> Direction {
        Direction::from_flags(self.sends(), true)
    }

    /// The attribute name: `sendrecv`, `sendonly`, `recvonly`, `inactive`.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::SendRecv => "sendrecv",
            Direction::SendOnly => "sendonly",
            Direction::RecvOnly => "recvonly",
            Direction::Inactive => "inactive",
        }
    }

    /// The direction an attribute name stands for (exact, lower case as RFC 4566 writes them).
    pub fn from_attribute(name: &str) -> Option<Direction> {
        Direction::ALL.into_iter().find(|d| d.as_str() == name)
    }
}

impl fmt::Display for Direction {
    /// The attribute name.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::Direction::{self, Inactive, RecvOnly, SendOnly, SendRecv};

    #[test]
    fn bits_round_trip() {
        for d in Direction::ALL {
            assert_eq!(Direction::from_flags(d.sends(), d.receives()), d);
            assert_eq!(d.reversed().reversed(), d);
            assert_eq!(Direction::from_attribute(d.as_str()), Some(d));
        }
        assert_eq!(SendOnly.reversed(), RecvOnly);
        assert_eq!(Direction::from_attribute("SENDRECV"), None);
    }

    #[test]
    fn answering_a_sendrecv_wish() {
        assert_eq!(SendRecv.negotiate(SendRecv), SendRecv);
        assert_eq!(SendRecv.negotiate(SendOnly), RecvOnly);
        assert_eq!(SendRecv.negotiate(RecvOnly), SendOnly);
        assert_eq!(SendRecv.negotiate(Inactive), Inactive);
    }

    #[test]
    fn hold_and_resume() {
        assert_eq!(SendRecv.held(), SendOnly);
        assert_eq!(RecvOnly.held(), Inactive);
        assert_eq!(SendOnly.held(), SendOnly);
        assert_eq!(Inactive.held(), Inactive);
        for d in Direction::ALL {
            assert_eq!(d.held().resumed().held(), d.held());
            assert!(d.resumed().receives());
        }
        assert_eq!(SendOnly.resumed(), SendRecv);
        assert_eq!(Inactive.resumed(), RecvOnly);
    }
}
