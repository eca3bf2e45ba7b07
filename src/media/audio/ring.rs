//! What runs inside the device callbacks, and the lock-free rings between them and the call.
//!
//! A callback only copies: capture mixes the device's interleaved frames down to mono and
//! pushes them into an SPSC ring; playback pops mono samples and writes them to every channel,
//! silence when the ring runs dry. Neither allocates, locks or blocks (the rings are
//! `ringbuf`'s wait-free SPSC queues, allocated once when the stream opens), and counters are
//! plain atomics. `tests/media_audio.rs` checks the no-allocation property with a counting
//! allocator.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use ringbuf::HeapRb;
use ringbuf::traits::{Consumer, Observer, Producer, Split};

pub use ringbuf::{HeapCons, HeapProd};

/// Largest device buffer handled in one piece (frames); longer buffers are done in pieces.
pub const CALLBACK_CHUNK: usize = 1024;

/// Counters and the failure flag shared between a stream's callbacks and its owner.
#[derive(Debug)]
pub struct StreamStatus {
    failed: AtomicBool,
    /// Samples the device delivered or took.
    pub frames: AtomicU64,
    /// Capture samples dropped because the ring was full, or playback samples missing
    /// because it was empty.
    pub xruns: AtomicU64,
    /// Playback: the fewest samples left in the ring after a callback since the owner last
    /// looked ([`StreamStatus::take_low_water`]); `u64::MAX` when no callback ran.
    low_water: AtomicU64,
    /// The host's delay between the callback and the sound (playback: callback → speaker;
    /// capture: microphone → callback) in nanoseconds, from the last callback's timestamps;
    /// `u64::MAX` when the host gives none.
    host_delay_ns: AtomicU64,
}

impl Default for StreamStatus {
    fn default() -> Self {
        StreamStatus {
            failed: AtomicBool::new(false),
            frames: AtomicU64::new(0),
            xruns: AtomicU64::new(0),
            low_water: AtomicU64::new(u64::MAX),
            host_delay_ns: AtomicU64::new(u64::MAX),
        }
    }
}

impl StreamStatus {
    /// A fresh status, shared.
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// The lowest ring level after a playback callback since the last call (`None` when no
    /// callback ran since), and starts a new period of watching.
    pub fn take_low_water(&self) -> Option<usize> {
        match self.low_water.swap(u64::MAX, Ordering::AcqRel) {
            u64::MAX => None,
            n => Some(n as usize),
        }
    }

    /// Records the host's callback-to-sound delay (from a callback: no allocation).
    pub fn record_host_delay(&self, delay: Option<std::time::Duration>) {
        if let Some(d) = delay {
            self.host_delay_ns.store(d.as_nanos().min(u128::from(u64::MAX - 1)) as u64, Ordering::Relaxed);
        }
    }

    /// The host's callback-to-sound delay reported by the last callback, if any.
    pub fn host_delay(&self) -> Option<std::time::Duration> {
        match self.host_delay_ns.load(Ordering::Relaxed) {
            u64::MAX => None,
            n => Some(std::time::Duration::from_nanos(n)),
        }
    }

    /// Marks the stream failed (called from the error callback: no allocation).
    pub fn fail(&self) {
        self.failed.store(true, Ordering::Release);
    }

    /// True once the device reported an error.
    pub fn failed(&self) -> bool {
        self.failed.load(Ordering::Acquire)
    }
}

/// A mono sample ring with room for `capacity` samples, split into its two ends.
pub fn mono_ring(capacity: usize) -> (HeapProd<f32>, HeapCons<f32>) {
    HeapRb::<f32>::new(capacity.max(1)).split()
}

/// Capture callback body: mixes interleaved `data` of `channels` channels down to mono and
/// pushes it into `ring`. Samples that do not fit are counted as overruns and dropped.
pub fn capture_into_ring<T: Copy>(
    data: &[T],
    channels: usize,
    to_f32: impl Fn(T) -> f32,
    ring: &mut HeapProd<f32>,
    status: &StreamStatus,
) {
    let channels = channels.max(1);
    let scale = 1.0 / channels as f32;
    let mut mono = [0.0f32; CALLBACK_CHUNK];
    for block in data.chunks(CALLBACK_CHUNK * channels) {
        let frames = block.len() / channels;
        for (i, frame) in block.chunks_exact(channels).enumerate() {
            mono[i] = frame.iter().map(|&s| to_f32(s)).sum::<f32>() * scale;
        }
        let pushed = ring.push_slice(&mono[..frames]);
        status.frames.fetch_add(frames as u64, Ordering::Relaxed);
        status.xruns.fetch_add((frames - pushed) as u64, Ordering::Relaxed);
    }
}

/// Playback callback body: pops mono samples from `ring` and writes each to all `channels` of
/// the interleaved `data`; silence where the ring ran dry (counted as underruns). The level
/// left in the ring afterwards feeds [`StreamStatus::take_low_water`].
pub fn playback_from_ring<T: Copy>(
    data: &mut [T],
    channels: usize,
    from_f32: impl Fn(f32) -> T,
    ring: &mut HeapCons<f32>,
    status: &StreamStatus,
) {
    let channels = channels.max(1);
    let mut mono = [0.0f32; CALLBACK_CHUNK];
    for block in data.chunks_mut(CALLBACK_CHUNK * channels) {
        let frames = block.len() / channels;
        let got = ring.pop_slice(&mut mono[..frames]);
        mono[got..frames].fill(0.0);
        for (frame, &value) in block.chunks_exact_mut(channels).zip(&mono[..frames]) {
            frame.fill(from_f32(value));
        }
        status.frames.fetch_add(frames as u64, Ordering::Relaxed);
        status.xruns.fetch_add((frames - got) as u64, Ordering::Relaxed);
    }
    status.low_water.fetch_min(ring.occupied_len() as u64, Ordering::AcqRel);
}

/// Samples waiting in a ring.
pub fn queued<R: Observer>(ring: &R) -> usize {
    ring.occupied_len()
}
