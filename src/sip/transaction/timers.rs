//! RFC 3261 §17 timer values (Table 4) and the per-transaction timer table.

use std::time::{Duration, Instant};

/// T1, T2 and T4 (RFC 3261 §17.1.1.1, Table 4). Every other timer derives from them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimerConfig {
    /// RTT estimate, default 500 ms.
    pub t1: Duration,
    /// Maximum retransmit interval for non-INVITE requests and INVITE responses, default 4 s.
    pub t2: Duration,
    /// Maximum duration a message remains in the network, default 5 s.
    pub t4: Duration,
}

impl Default for TimerConfig {
    fn default() -> Self {
        Self { t1: Duration::from_millis(500), t2: Duration::from_secs(4), t4: Duration::from_secs(5) }
    }
}

impl TimerConfig {
    /// 64·T1: Timers B, F, H, J (unreliable) and L, M (RFC 6026).
    pub fn timeout(&self) -> Duration {
        self.t1 * 64
    }
}

/// The named timers of RFC 3261 §17 and RFC 6026.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Timer {
    /// INVITE client: request retransmit (unreliable only).
    A,
    /// INVITE client: transaction timeout.
    B,
    /// INVITE client: wait time for response retransmits after a non-2xx final.
    D,
    /// Non-INVITE client: request retransmit (unreliable only).
    E,
    /// Non-INVITE client: transaction timeout.
    F,
    /// INVITE server: final response retransmit (unreliable only).
    G,
    /// INVITE server: wait time for ACK receipt.
    H,
    /// INVITE server: wait time for ACK retransmits.
    I,
    /// Non-INVITE server: wait time for request retransmits.
    J,
    /// Non-INVITE client: wait time for response retransmits.
    K,
    /// INVITE server (RFC 6026): wait time for 2xx ACK retransmits / accepted state.
    L,
    /// INVITE client (RFC 6026): wait time for 2xx retransmits in the Accepted state.
    M,
}

/// A small table of armed timers; one transaction never has more than three.
#[derive(Debug, Clone, Default)]
pub struct TimerTable {
    armed: Vec<(Timer, Instant)>,
}

impl TimerTable {
    /// Arms (or re-arms) a timer.
    pub fn set(&mut self, t: Timer, at: Instant) {
        self.stop(t);
        self.armed.push((t, at));
    }

    /// Disarms a timer.
    pub fn stop(&mut self, t: Timer) {
        self.armed.retain(|(x, _)| *x != t);
    }

    /// Disarms every timer.
    pub fn clear(&mut self) {
        self.armed.clear();
    }

    /// The earliest deadline.
    pub fn next(&self) -> Option<Instant> {
        self.armed.iter().map(|(_, at)| *at).min()
    }

    /// Removes and returns the earliest timer that has expired at `now`.
    pub fn pop_expired(&mut self, now: Instant) -> Option<Timer> {
        let (idx, _) =
            self.armed.iter().enumerate().filter(|(_, (_, at))| *at <= now).min_by_key(|(_, (_, at))| *at)?;
        Some(self.armed.swap_remove(idx).0)
    }

    /// When a timer is armed for.
    pub fn deadline(&self, t: Timer) -> Option<Instant> {
        self.armed.iter().find(|(x, _)| *x == t).map(|(_, at)| *at)
    }
}
