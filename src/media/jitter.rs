//! Adaptive jitter buffer for fixed-duration audio frames (one frame per RTP packet).
//!
//! Frames are placed by media timestamp (so suppressed silence keeps its duration) and played
//! one per [`JitterBuffer::pop`], which the caller invokes once per frame duration on its
//! playout clock. The target delay follows the observed jitter:
//!
//! * every packet gives an *offset*, its arrival time minus its media time; the smallest
//!   offset in the last [`WINDOW`] packets is the "no queueing" reference, and the spread
//!   (largest − smallest) is the jitter the buffer has to absorb;
//! * target = spread + half a frame, clamped to `min_delay..=max_delay`; it rises at once
//!   (a late packet raises it) and decays slowly (0.25 ms per packet);
//! * frame `i` is due at reference + target + `i` × frame. When playout runs more than a frame
//!   behind that, one frame is dropped (time compression); when it runs more than half a
//!   frame ahead, one [`Frame::Lost`] is inserted without consuming a frame (time
//!   expansion), never twice in a row.
//!
//! A packet for a frame already played (or concealed) is late and dropped; the same frame
//! twice is a duplicate. Memory is bounded by [`JitterConfig::capacity`] frames. A jump of
//! the offset by more than a second (new timestamp base, long pause) or ten late packets in a
//! row restart the buffer (counted as a resync).

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

/// Packets over which the jitter spread is measured (2 s of 20 ms frames).
pub const WINDOW: usize = 100;
/// How fast the target delay falls back when the jitter goes away, per packet.
const DECAY_PER_PACKET_NS: i64 = 250_000;
/// An offset this far outside the observed range is a discontinuity.
const RESYNC_THRESHOLD_NS: i64 = 1_000_000_000;
/// This many late packets in a row restart the buffer.
const LATE_RUN_RESYNC: u32 = 10;
/// Missing frames with nothing buffered that are still reported as [`Frame::Lost`]; beyond
/// that the stream has paused and [`Frame::Empty`] is returned.
const DRY_LOST_FRAMES: u32 = 3;
/// Sequence numbers of played frames remembered to tell duplicates from late packets.
const RECENT_SEQUENCES: usize = 64;

/// Jitter buffer parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JitterConfig {
    /// RTP clock rate of the stream, in Hz.
    pub clock_rate: u32,
    /// Duration of one frame (one packet).
    pub frame: Duration,
    /// Lowest target delay.
    pub min_delay: Duration,
    /// Highest target delay.
    pub max_delay: Duration,
    /// Target delay before any jitter has been observed.
    pub initial_delay: Duration,
    /// Most frames held at once; further packets are dropped as overflow.
    pub capacity: usize,
}

impl Default for JitterConfig {
    /// 8 kHz, 20 ms frames, delay 10..=200 ms starting at 20 ms, 64 frames.
    ///
    /// The low floor assumes the playout ticks are aligned to [`JitterBuffer::next_due`]
    /// (see [`crate::media::PlayoutClock`]); with ticks at a random phase the half frame of
    /// margin in the target still keeps every frame inside the playout window.
    fn default() -> Self {
        JitterConfig {
            clock_rate: 8000,
            frame: Duration::from_millis(20),
            min_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(200),
            initial_delay: Duration::from_millis(20),
            capacity: 64,
        }
    }
}

/// What [`JitterBuffer::pop`] gives for one frame slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// The payload of the frame due now.
    Audio(Vec<u8>),
    /// The frame due now is missing (lost, late, or inserted to grow the delay): conceal it.
    Lost,
    /// Nothing to play: not started yet, or the stream has paused. Play silence.
    Empty,
}

/// What [`JitterBuffer::insert`] did with a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InsertOutcome {
    /// Stored for playout.
    Buffered,
    /// Its frame was already played or concealed: dropped.
    Late,
    /// Its frame is already buffered or was already played: dropped.
    Duplicate,
    /// Too far ahead or the buffer is full: dropped.
    Overflow,
}

/// Counters of a [`JitterBuffer`].
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct JitterStats {
    /// Packets stored.
    pub buffered: u64,
    /// Frames handed out as [`Frame::Audio`].
    pub played: u64,
    /// [`Frame::Lost`] handed out for missing frames.
    pub concealed: u64,
    /// [`Frame::Lost`] handed out to grow the delay (time expansion).
    pub stretched: u64,
    /// Buffered frames dropped to shrink the delay (time compression).
    pub skipped: u64,
    /// Packets dropped because their frame had already been played or concealed.
    pub late: u64,
    /// Packets dropped as duplicates.
    pub duplicates: u64,
    /// Packets dropped because the buffer was full or they were too far ahead.
    pub overflow: u64,
    /// Restarts after a timing discontinuity.
    pub resyncs: u64,
    /// The current target delay, in milliseconds.
    pub target_delay_ms: f64,
}

/// Maps media timestamps to frame indices (extending them across wraparound) and arrival
/// instants to nanoseconds since the first packet.
#[derive(Debug, Clone, Copy)]
struct MediaClock {
    epoch: Instant,
    last_timestamp: u32,
    last_extended: i64,
}

impl MediaClock {
    fn extend(&mut self, timestamp: u32) -> i64 {
        let delta = i64::from(timestamp.wrapping_sub(self.last_timestamp) as i32);
        let extended = self.last_extended.saturating_add(delta);
        if delta > 0 {
            self.last_timestamp = timestamp;
            self.last_extended = extended;
        }
        extended
    }
}

#[derive(Debug, Clone)]
struct Slot {
    sequence: u16,
    payload: Vec<u8>,
}

/// An adaptive jitter buffer for one audio stream; see the module documentation.
#[derive(Debug, Clone)]
pub struct JitterBuffer {
    config: JitterConfig,
    samples_per_frame: i64,
    frame_ns: i64,
    frames: BTreeMap<i64, Slot>,
    clock: Option<MediaClock>,
    offsets: VecDeque<i64>,
    target_ns: i64,
    next_index: Option<i64>,
    recent: VecDeque<u16>,
    dry_pops: u32,
    last_stretched: bool,
    late_run: u32,
    stats: JitterStats,
}

impl JitterBuffer {
    /// An empty buffer. Degenerate parameters are corrected (frame ≥ 1 ms, at least one
    /// sample per frame, `min_delay ≤ initial_delay ≤ max_delay`, capacity ≥ 2).
    pub fn new(mut config: JitterConfig) -> Self {
        config.frame = config.frame.max(Duration::from_millis(1));
        config.max_delay = config.max_delay.max(config.min_delay);
        config.initial_delay = config.initial_delay.clamp(config.min_delay, config.max_delay);
        config.capacity = config.capacity.max(2);
        let frame_ns = duration_ns(config.frame);
        let samples_per_frame = (i128::from(config.clock_rate) * i128::from(frame_ns) / 1_000_000_000).max(1) as i64;
        JitterBuffer {
            config,
            samples_per_frame,
            frame_ns,
            frames: BTreeMap::new(),
            clock: None,
            offsets: VecDeque::with_capacity(WINDOW),
            target_ns: duration_ns(config.initial_delay),
            next_index: None,
            recent: VecDeque::with_capacity(RECENT_SEQUENCES),
            dry_pops: 0,
            last_stretched: false,
            late_run: 0,
            stats: JitterStats::default(),
        }
    }

    /// The configuration in use (after correction).
    pub fn config(&self) -> &JitterConfig {
        &self.config
    }

    /// The current target delay.
    pub fn target_delay(&self) -> Duration {
        Duration::from_nanos(self.target_ns.max(0) as u64)
    }

    /// Frames currently held.
    pub fn len(&self) -> usize {
        self.frames.len()
    }

    /// True when no frame is held.
    pub fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }

    /// Counters, with the current target delay.
    pub fn stats(&self) -> JitterStats {
        JitterStats { target_delay_ms: self.target_ns as f64 / 1e6, ..self.stats }
    }

    /// Forgets every frame and the timing reference (for a new source); keeps the learned
    /// target delay and the counters.
    pub fn reset(&mut self) {
        self.frames.clear();
        self.clock = None;
        self.offsets.clear();
        self.next_index = None;
        self.recent.clear();
        self.dry_pops = 0;
        self.last_stretched = false;
        self.late_run = 0;
    }

    /// Offers one packet that arrived at `arrival`.
    pub fn insert(&mut self, sequence: u16, timestamp: u32, payload: Vec<u8>, arrival: Instant) -> InsertOutcome {
        let (mut index, mut offset) = self.locate(timestamp, arrival);
        if self.is_discontinuity(offset) {
            self.resync();
            (index, offset) = self.locate(timestamp, arrival);
        }
        if let Some(next) = self.next_index
            && index < next
        {
            if self.recent.contains(&sequence) {
                self.stats.duplicates += 1;
                return InsertOutcome::Duplicate;
            }
            self.stats.late += 1;
            self.observe(offset);
            self.late_run += 1;
            if self.late_run < LATE_RUN_RESYNC {
                return InsertOutcome::Late;
            }
            self.resync();
            (index, offset) = self.locate(timestamp, arrival);
        }
        if self.frames.contains_key(&index) {
            self.stats.duplicates += 1;
            return InsertOutcome::Duplicate;
        }
        let too_far = self.next_index.is_some_and(|next| index.saturating_sub(next) >= self.config.capacity as i64);
        if too_far || self.frames.len() >= self.config.capacity {
            self.stats.overflow += 1;
            return InsertOutcome::Overflow;
        }
        self.late_run = 0;
        self.observe(offset);
        self.frames.insert(index, Slot { sequence, payload });
        self.stats.buffered += 1;
        InsertOutcome::Buffered
    }

    /// The payload of the frame that will be played after the one just popped, if it is here
    /// already (after a `Lost`, Opus can rebuild the lost frame from its in-band FEC copy).
    pub fn peek_next(&self) -> Option<&[u8]> {
        self.frames.get(&self.next_index?).map(|slot| slot.payload.as_slice())
    }

    /// When the next frame is due for playout: the instant at which [`JitterBuffer::pop`]
    /// plays it on time (neither stretched nor skipped). `None` before the first packet and
    /// while nothing is buffered before playout has started. A playout clock that ticks at
    /// these instants adds no waiting of its own on top of the target delay.
    pub fn next_due(&self) -> Option<Instant> {
        let clock = self.clock?;
        let index = match self.next_index {
            Some(next) => next,
            None => *self.frames.keys().next()?,
        };
        let reference = self.offsets.iter().copied().min().unwrap_or(0);
        let due = reference.saturating_add(self.target_ns).saturating_add(index.saturating_mul(self.frame_ns));
        Some(if due >= 0 {
            clock.epoch + Duration::from_nanos(due as u64)
        } else {
            clock.epoch.checked_sub(Duration::from_nanos(due.unsigned_abs())).unwrap_or(clock.epoch)
        })
    }

    /// The frame to play now; call once per frame duration.
    pub fn pop(&mut self, now: Instant) -> Frame {
        let Some(clock) = self.clock else { return Frame::Empty };
        let now_ns = signed_ns(now, clock.epoch);
        let reference = self.offsets.iter().copied().min().unwrap_or(0);
        let due = |index: i64, target: i64, frame: i64| {
            reference.saturating_add(target).saturating_add(index.saturating_mul(frame))
        };
        let mut next = match self.next_index {
            Some(next) => next,
            None => {
                let Some(&first) = self.frames.keys().next() else { return Frame::Empty };
                if now_ns < due(first, self.target_ns, self.frame_ns) {
                    return Frame::Empty;
                }
                first
            }
        };
        let lateness = now_ns.saturating_sub(due(next, self.target_ns, self.frame_ns));
        if lateness > self.frame_ns && self.frames.range(next + 1..).next().is_some() {
            if self.frames.remove(&next).is_some() {
                self.stats.skipped += 1;
            }
            next += 1;
        } else if lateness < -self.frame_ns / 2 && !self.last_stretched && self.next_index.is_some() {
            self.last_stretched = true;
            self.stats.stretched += 1;
            return Frame::Lost;
        }
        self.last_stretched = false;
        self.next_index = Some(next + 1);
        match self.frames.remove(&next) {
            Some(slot) => {
                if self.recent.len() == RECENT_SEQUENCES {
                    self.recent.pop_front();
                }
                self.recent.push_back(slot.sequence);
                self.dry_pops = 0;
                self.stats.played += 1;
                Frame::Audio(slot.payload)
            }
            None if self.frames.is_empty() => {
                self.dry_pops = self.dry_pops.saturating_add(1);
                if self.dry_pops > DRY_LOST_FRAMES {
                    Frame::Empty
                } else {
                    self.stats.concealed += 1;
                    Frame::Lost
                }
            }
            None => {
                self.dry_pops = 0;
                self.stats.concealed += 1;
                Frame::Lost
            }
        }
    }

    /// Frame index and offset (arrival − media time, ns) of a packet; starts the clock on the
    /// first packet.
    fn locate(&mut self, timestamp: u32, arrival: Instant) -> (i64, i64) {
        let clock =
            self.clock.get_or_insert(MediaClock { epoch: arrival, last_timestamp: timestamp, last_extended: 0 });
        let extended = clock.extend(timestamp);
        let index = extended.saturating_add(self.samples_per_frame / 2).div_euclid(self.samples_per_frame);
        let offset = signed_ns(arrival, clock.epoch).saturating_sub(index.saturating_mul(self.frame_ns));
        (index, offset)
    }

    fn is_discontinuity(&self, offset: i64) -> bool {
        let (Some(low), Some(high)) = (self.offsets.iter().min(), self.offsets.iter().max()) else { return false };
        offset < low.saturating_sub(RESYNC_THRESHOLD_NS) || offset > high.saturating_add(RESYNC_THRESHOLD_NS)
    }

    fn resync(&mut self) {
        self.reset();
        self.stats.resyncs += 1;
    }

    /// Records an offset and moves the target delay.
    fn observe(&mut self, offset: i64) {
        if self.offsets.len() == WINDOW {
            self.offsets.pop_front();
        }
        self.offsets.push_back(offset);
        let low = self.offsets.iter().copied().min().unwrap_or(offset);
        let high = self.offsets.iter().copied().max().unwrap_or(offset);
        let estimate = high
            .saturating_sub(low)
            .saturating_add(self.frame_ns / 2)
            .clamp(duration_ns(self.config.min_delay), duration_ns(self.config.max_delay));
        self.target_ns =
            if estimate > self.target_ns { estimate } else { (self.target_ns - DECAY_PER_PACKET_NS).max(estimate) };
    }
}

fn duration_ns(duration: Duration) -> i64 {
    duration.as_nanos().min(i64::MAX as u128) as i64
}

/// `t − epoch` in nanoseconds, negative when `t` is earlier.
fn signed_ns(t: Instant, epoch: Instant) -> i64 {
    match t.checked_duration_since(epoch) {
        Some(after) => duration_ns(after),
        None => -duration_ns(epoch.duration_since(t)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FRAME: Duration = Duration::from_millis(20);

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn payload(i: u32) -> Vec<u8> {
        i.to_be_bytes().to_vec()
    }

    /// Pops from `from` to `to` every 20 ms, collecting frame numbers (`None` = Lost).
    fn drain(jb: &mut JitterBuffer, t0: Instant, from: u64, to: u64) -> Vec<Option<u32>> {
        let mut out = Vec::new();
        let mut t = from;
        while t < to {
            match jb.pop(t0 + ms(t)) {
                Frame::Audio(p) => out.push(Some(u32::from_be_bytes([p[0], p[1], p[2], p[3]]))),
                Frame::Lost => out.push(None),
                Frame::Empty => {}
            }
            t += 20;
        }
        out
    }

    #[test]
    fn plays_in_order_after_the_initial_delay() {
        let t0 = Instant::now();
        let mut jb = JitterBuffer::new(JitterConfig::default());
        assert_eq!(jb.pop(t0), Frame::Empty);
        let mut played = Vec::new();
        for i in 0..50u32 {
            let now = t0 + FRAME * i;
            jb.insert(i as u16, i * 160, payload(i), now);
            if let Frame::Audio(p) = jb.pop(now + ms(5)) {
                played.push(p[3]);
            }
        }
        assert_eq!(played.first(), Some(&0));
        assert!(played.windows(2).all(|w| w[1] == w[0] + 1), "{played:?}");
        assert!(played.len() >= 47, "starts after about 20 ms: {}", played.len());
        assert_eq!(jb.stats().late + jb.stats().concealed, 0);
    }

    #[test]
    fn reorders_and_conceals_losses() {
        let t0 = Instant::now();
        let mut jb = JitterBuffer::new(JitterConfig::default());
        // 0, 2, 1, 3, (4 lost), 5 all arrive within the first 20 ms.
        for i in [0u32, 2, 1, 3, 5] {
            assert_eq!(jb.insert(i as u16, i * 160, payload(i), t0 + ms(u64::from(i))), InsertOutcome::Buffered);
        }
        let played = drain(&mut jb, t0, 0, 400);
        assert_eq!(&played[..6], &[Some(0), Some(1), Some(2), Some(3), None, Some(5)]);
        assert_eq!(played.len(), 9, "frame 4 and three more after 5, then the stream counts as paused");
        assert_eq!(jb.stats().concealed, 4);
    }

    #[test]
    fn late_and_duplicate_packets_are_dropped() {
        let t0 = Instant::now();
        let mut jb = JitterBuffer::new(JitterConfig::default());
        for i in 0..3u32 {
            jb.insert(i as u16, i * 160, payload(i), t0 + FRAME * i);
        }
        assert_eq!(jb.insert(1, 160, payload(1), t0 + ms(41)), InsertOutcome::Duplicate);
        let played = drain(&mut jb, t0, 20, 100);
        assert_eq!(played, vec![Some(0), Some(1), Some(2), None]);
        // Frame 3 was concealed at 80 ms; it arrives at 110 ms: late.
        assert_eq!(jb.insert(3, 480, payload(3), t0 + ms(110)), InsertOutcome::Late);
        // Frame 2 again, after it was played: a duplicate, not a late packet.
        assert_eq!(jb.insert(2, 320, payload(2), t0 + ms(111)), InsertOutcome::Duplicate);
        let stats = jb.stats();
        assert_eq!((stats.late, stats.duplicates, stats.played), (1, 2, 3));
        assert!(stats.target_delay_ms > 40.0, "a late packet raises the target");
    }

    #[test]
    fn target_follows_jitter_within_bounds() {
        let t0 = Instant::now();
        let mut jb = JitterBuffer::new(JitterConfig::default());
        assert_eq!(jb.target_delay(), ms(20));
        // ±40 ms of jitter: arrivals alternate 10 ms early and 70 ms late of a 50 ms base.
        for i in 0..200u32 {
            let skew = if i % 2 == 0 { 10 } else { 90 };
            jb.insert(i as u16, i * 160, payload(i), t0 + FRAME * i + ms(skew));
            jb.pop(t0 + FRAME * i);
        }
        let high = jb.target_delay();
        assert!(high >= ms(80) && high <= ms(200), "target {high:?}");
        // Then a perfectly regular stream: the target decays towards the 10 ms floor.
        for i in 200..2000u32 {
            jb.insert(i as u16, i * 160, payload(i), t0 + FRAME * i + ms(10));
            jb.pop(t0 + FRAME * i);
        }
        assert!(jb.target_delay() <= ms(15), "target {:?}", jb.target_delay());
        // Huge jitter saturates at the 200 ms ceiling.
        for i in 2000..2100u32 {
            let skew = if i % 2 == 0 { 0 } else { 500 };
            jb.insert(i as u16, i * 160, payload(i), t0 + FRAME * i + ms(skew));
        }
        assert_eq!(jb.target_delay(), ms(200));
    }

    #[test]
    fn memory_is_bounded() {
        let t0 = Instant::now();
        let mut jb = JitterBuffer::new(JitterConfig::default());
        for i in 0..10_000u32 {
            jb.insert(i as u16, i.wrapping_mul(160), vec![0; 160], t0 + FRAME * i);
            assert!(jb.len() <= 64);
        }
        assert!(jb.stats().overflow > 0 || jb.stats().resyncs > 0);
    }

    #[test]
    fn timestamp_wraparound_is_seamless() {
        let t0 = Instant::now();
        let mut jb = JitterBuffer::new(JitterConfig::default());
        let start = u32::MAX - 160 * 5 + 1;
        for i in 0..20u32 {
            jb.insert(i as u16, start.wrapping_add(i * 160), payload(i), t0 + FRAME * i);
        }
        let played = drain(&mut jb, t0, 20, 420);
        assert_eq!(played, (0..20).map(Some).collect::<Vec<_>>());
    }

    #[test]
    fn timestamp_jump_resyncs() {
        let t0 = Instant::now();
        let mut jb = JitterBuffer::new(JitterConfig::default());
        for i in 0..10u32 {
            jb.insert(i as u16, i * 160, payload(i), t0 + FRAME * i);
        }
        drain(&mut jb, t0, 20, 220);
        // The sender restarts with a new random timestamp base.
        for i in 10..20u32 {
            let outcome = jb.insert(i as u16, 0x4000_0000 + i * 160, payload(i), t0 + FRAME * i);
            assert_eq!(outcome, InsertOutcome::Buffered);
        }
        assert_eq!(jb.stats().resyncs, 1);
        let played = drain(&mut jb, t0, 220, 700);
        assert_eq!(played.iter().flatten().copied().collect::<Vec<_>>(), (10..20).collect::<Vec<_>>());
    }

    #[test]
    fn stream_pause_turns_into_empty() {
        let t0 = Instant::now();
        let mut jb = JitterBuffer::new(JitterConfig::default());
        jb.insert(0, 0, payload(0), t0);
        let frames: Vec<Frame> = (0..8).map(|k| jb.pop(t0 + ms(40) + FRAME * k)).collect();
        assert_eq!(frames[0], Frame::Audio(payload(0)));
        assert_eq!(&frames[1..4], &[Frame::Lost, Frame::Lost, Frame::Lost]);
        assert!(frames[4..].iter().all(|f| *f == Frame::Empty));
    }

    #[test]
    fn arbitrary_input_never_panics_and_stays_bounded() {
        let t0 = Instant::now();
        let mut jb = JitterBuffer::new(JitterConfig::default());
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for i in 0..20_000u64 {
            let r = next();
            // Mostly a plausible stream, sometimes wild timestamps and out-of-order arrivals.
            let timestamp = if r % 7 == 0 { r as u32 } else { (i as u32).wrapping_mul(160) };
            let arrival = t0 + ms(i * 20 + (r >> 40) % 300);
            jb.insert(r as u16, timestamp, vec![0; (r % 200) as usize], arrival);
            if r % 3 != 0 {
                jb.pop(t0 + ms(i * 20));
            }
            assert!(jb.len() <= jb.config().capacity);
            assert!(jb.target_delay() >= ms(10) && jb.target_delay() <= ms(200));
        }
    }
}
