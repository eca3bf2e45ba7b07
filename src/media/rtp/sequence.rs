//! Sequence-number bookkeeping for one source: extension to 64 bits across wraparound,
//! expected/received counts and the restart rule of RFC 3550 appendix A.1.

/// A jump this far ahead (in packets) is still taken as loss (RFC 3550 `MAX_DROPOUT`).
const MAX_DROPOUT: u16 = 3000;
/// A packet this far behind is still taken as reordered (RFC 3550 `MAX_MISORDER`).
const MAX_MISORDER: u16 = 100;

/// What [`SequenceTracker::update`] made of a sequence number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SeqUpdate {
    /// In order, a gap (loss) or a reordered/duplicate packet: accept it.
    Accepted {
        /// The 64-bit extended sequence number.
        extended: u64,
    },
    /// The second of two sequential packets after a large jump: the sender restarted its
    /// numbering, the statistics were re-based (RFC 3550 A.1 "assume the other side restarted").
    Restarted {
        /// The 64-bit extended sequence number in the new numbering.
        extended: u64,
    },
    /// A large jump not (yet) confirmed by a following packet: drop it.
    Rejected,
}

/// The RFC 3550 A.1 state of one source.
#[derive(Debug, Clone)]
pub(crate) struct SequenceTracker {
    /// Highest sequence number seen, extended with the wrap count (`cycles + max_seq`).
    max_extended: u64,
    /// Extended number of the first packet (offset so that early reordered packets fit).
    base_extended: u64,
    /// The sequence number that would confirm a large jump as a restart.
    bad_seq: Option<u16>,
    /// Packets accepted since the last (re)start, duplicates included (as RFC 3550 counts).
    received: u64,
    /// Loss accumulated by earlier numberings (before restarts).
    lost_before: u64,
}

/// Offset added to extended numbers so that packets reordered before the very first one do
/// not go below zero.
const EXTENDED_ORIGIN: u64 = 1 << 16;

impl SequenceTracker {
    /// A tracker whose first packet is `seq`.
    pub(crate) fn new(seq: u16) -> Self {
        let start = EXTENDED_ORIGIN + u64::from(seq);
        SequenceTracker { max_extended: start, base_extended: start, bad_seq: None, received: 1, lost_before: 0 }
    }

    /// Starts a new numbering at `seq` (extended numbers keep growing across the restart).
    fn restart(&mut self, seq: u16) {
        self.lost_before += self.lost_current();
        // The next wrap cycle but one, so that the low 16 bits are `seq` again.
        let start = (((self.max_extended >> 16) + 2) << 16) | u64::from(seq);
        self.max_extended = start;
        self.base_extended = start;
        self.bad_seq = None;
        self.received = 1;
    }

    /// The extended number of the first packet of the stream.
    pub(crate) fn first_extended(&self) -> u64 {
        self.base_extended
    }

    /// Feeds one more sequence number (RFC 3550 A.1 `update_seq` without the probation part,
    /// which the receiver does per source).
    pub(crate) fn update(&mut self, seq: u16) -> SeqUpdate {
        let max_seq = self.max_extended as u16;
        let delta = seq.wrapping_sub(max_seq);
        if delta < MAX_DROPOUT {
            // In order, with a permissible gap; wraparound is carried by the 64-bit add.
            self.max_extended += u64::from(delta);
            self.bad_seq = None;
            self.received += 1;
            SeqUpdate::Accepted { extended: self.max_extended }
        } else if delta <= u16::MAX - MAX_MISORDER {
            // A very large jump: accept only when the next packet confirms it.
            if self.bad_seq == Some(seq) {
                self.restart(seq);
                SeqUpdate::Restarted { extended: self.max_extended }
            } else {
                self.bad_seq = Some(seq.wrapping_add(1));
                SeqUpdate::Rejected
            }
        } else {
            // Duplicate or reordered: behind the maximum by at most MAX_MISORDER.
            let behind = u64::from(max_seq.wrapping_sub(seq));
            let extended = self.max_extended.saturating_sub(behind);
            if extended < self.base_extended {
                self.base_extended = extended;
            }
            self.received += 1;
            SeqUpdate::Accepted { extended }
        }
    }

    /// Packets expected in the current numbering: highest − first + 1.
    pub(crate) fn expected(&self) -> u64 {
        self.max_extended - self.base_extended + 1
    }

    fn lost_current(&self) -> u64 {
        self.expected().saturating_sub(self.received)
    }

    /// Cumulative packets lost: expected − received, summed over restarts and never below zero
    /// (duplicates can make RFC 3550's signed count negative; we report 0 then).
    pub(crate) fn lost(&self) -> u64 {
        self.lost_before + self.lost_current()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accepted(update: SeqUpdate) -> u64 {
        match update {
            SeqUpdate::Accepted { extended } | SeqUpdate::Restarted { extended } => extended,
            SeqUpdate::Rejected => panic!("rejected"),
        }
    }

    #[test]
    fn extends_across_wraparound() {
        let mut t = SequenceTracker::new(65534);
        let a = t.first_extended();
        let b = accepted(t.update(65535));
        let c = accepted(t.update(0));
        let d = accepted(t.update(1));
        assert_eq!([b - a, c - a, d - a], [1, 2, 3]);
        assert_eq!(t.lost(), 0);
        assert_eq!(t.expected(), 4);
    }

    #[test]
    fn counts_loss_and_reordering() {
        let mut t = SequenceTracker::new(100);
        let base = t.first_extended();
        accepted(t.update(101));
        accepted(t.update(104)); // 102 and 103 missing
        assert_eq!(t.lost(), 2);
        let late = accepted(t.update(102)); // reordered
        assert_eq!(late - base, 2);
        assert_eq!(t.lost(), 1);
        assert_eq!(t.expected(), 5);
    }

    #[test]
    fn reordered_before_the_first_packet() {
        let mut t = SequenceTracker::new(0);
        let early = accepted(t.update(65535));
        assert_eq!(t.first_extended(), early);
        assert_eq!(t.expected(), 2);
        assert_eq!(t.lost(), 0);
    }

    #[test]
    fn large_jump_needs_confirmation() {
        let mut t = SequenceTracker::new(10);
        accepted(t.update(11));
        accepted(t.update(13)); // one lost
        assert_eq!(t.update(30000), SeqUpdate::Rejected);
        assert_eq!(t.update(31000), SeqUpdate::Rejected, "not sequential with the jump");
        assert!(matches!(t.update(31001), SeqUpdate::Restarted { .. }));
        accepted(t.update(31002));
        assert_eq!(t.lost(), 1, "loss before the restart is kept");
        assert_eq!(t.expected(), 2);
    }

    #[test]
    fn duplicates_do_not_make_loss_negative() {
        let mut t = SequenceTracker::new(5);
        accepted(t.update(5));
        accepted(t.update(5));
        assert_eq!(t.lost(), 0);
    }
}
