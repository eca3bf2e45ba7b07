//! A backend without a sound card: capture gives silence (or a signal given up front),
//! playback keeps what it is given in memory (or drops it). Not clocked: the caller's tick is
//! the clock. Used by tests, by `--audio null`, and on machines without sound.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use super::{AudioBackend, AudioError, Capture, DeviceInfo, DeviceKind, Playback, StreamHealth};
use crate::media::Resampler;

/// The device name the null backend lists.
pub const NULL_DEVICE: &str = "null";

/// Most samples a null playback keeps (10 minutes at 48 kHz); later ones are dropped.
const MAX_KEPT: usize = 48_000 * 600;

/// A backend with one silent input and one output that records into memory.
#[derive(Debug, Clone)]
pub struct NullBackend {
    /// Samples the capture streams deliver (at `source_rate`), then silence.
    source: Arc<Vec<i16>>,
    source_rate: u32,
    /// Everything played, with the rate it was played at.
    played: Arc<Mutex<Played>>,
    /// When false, there are no devices at all (for testing the "no device" path).
    present: bool,
}

/// Samples played into a [`NullBackend`] and their rate (of the last stream opened).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Played {
    /// The samples.
    pub samples: Vec<i16>,
    /// Their rate in Hz (0 before any playback stream was opened).
    pub rate: u32,
}

impl Default for NullBackend {
    fn default() -> Self {
        Self::new()
    }
}

impl NullBackend {
    /// Silence in, output kept in memory.
    pub fn new() -> Self {
        NullBackend { source: Arc::new(Vec::new()), source_rate: 8000, played: Arc::default(), present: true }
    }

    /// Capture streams deliver `samples` (at `rate` Hz, converted to the rate asked for), then silence.
    pub fn with_input(samples: Vec<i16>, rate: u32) -> Self {
        NullBackend { source: Arc::new(samples), source_rate: rate.max(1), ..Self::new() }
    }

    /// A machine without any sound device: listing is empty, opening fails with
    /// [`AudioError::NoDevice`].
    pub fn without_devices() -> Self {
        NullBackend { present: false, ..Self::new() }
    }

    /// What has been played so far.
    pub fn played(&self) -> Played {
        self.played.lock().map(|p| p.clone()).unwrap_or_default()
    }
}

impl AudioBackend for NullBackend {
    fn devices(&self) -> Result<Vec<DeviceInfo>, AudioError> {
        if !self.present {
            return Ok(Vec::new());
        }
        Ok([DeviceKind::Input, DeviceKind::Output]
            .into_iter()
            .map(|kind| DeviceInfo { kind, name: NULL_DEVICE.to_owned(), default: true })
            .collect())
    }

    fn open_capture(&self, name: Option<&str>, rate: u32) -> Result<Box<dyn Capture>, AudioError> {
        check(self.present, DeviceKind::Input, name)?;
        Ok(Box::new(NullCapture {
            source: Arc::clone(&self.source),
            position: 0,
            resampler: Resampler::new(self.source_rate, rate.max(1)),
            ready: VecDeque::new(),
        }))
    }

    fn open_playback(&self, name: Option<&str>, rate: u32) -> Result<Box<dyn Playback>, AudioError> {
        check(self.present, DeviceKind::Output, name)?;
        if let Ok(mut p) = self.played.lock() {
            p.rate = rate;
        }
        Ok(Box::new(NullPlayback { played: Arc::clone(&self.played) }))
    }
}

fn check(present: bool, kind: DeviceKind, name: Option<&str>) -> Result<(), AudioError> {
    if !present {
        return Err(AudioError::NoDevice { kind, detail: String::new() });
    }
    match name {
        Some(n) if n != NULL_DEVICE => Err(AudioError::NotFound { kind, name: n.to_owned() }),
        _ => Ok(()),
    }
}

/// Delivers the source signal, converted to the stream's rate as it is read.
struct NullCapture {
    source: Arc<Vec<i16>>,
    /// Next source sample to convert.
    position: usize,
    resampler: Resampler,
    /// Converted samples not yet read.
    ready: VecDeque<i16>,
}

impl Capture for NullCapture {
    fn device_name(&self) -> &str {
        NULL_DEVICE
    }

    fn read(&mut self, out: &mut [i16]) -> usize {
        // Bounded: each round converts up to 960 more source samples.
        for _ in 0..64 {
            if self.ready.len() >= out.len() || self.position >= self.source.len() {
                break;
            }
            let end = (self.position + 960).min(self.source.len());
            self.ready.extend(self.resampler.process(&self.source[self.position..end]));
            self.position = end;
            if end == self.source.len() {
                self.ready.extend(self.resampler.flush());
            }
        }
        let n = out.len().min(self.ready.len());
        for (o, s) in out.iter_mut().zip(self.ready.drain(..n)) {
            *o = s;
        }
        out[n..].fill(0);
        n
    }

    fn health(&self) -> StreamHealth {
        StreamHealth::Running
    }
}

struct NullPlayback {
    played: Arc<Mutex<Played>>,
}

impl Playback for NullPlayback {
    fn device_name(&self) -> &str {
        NULL_DEVICE
    }

    fn write(&mut self, frame: &[i16]) -> usize {
        if let Ok(mut p) = self.played.lock() {
            let room = MAX_KEPT.saturating_sub(p.samples.len());
            p.samples.extend_from_slice(&frame[..frame.len().min(room)]);
        }
        frame.len()
    }

    fn health(&self) -> StreamHealth {
        StreamHealth::Running
    }
}
