//! The sound-card side of calls: the only code that touches cpal.
//!
//! Everything above this module sees mono `i16` frames at the codec's rate through two small
//! traits, [`Capture`] and [`Playback`], opened by an [`AudioBackend`]:
//!
//! * [`cpal_backend::CpalBackend`]: real devices (ALSA/PulseAudio/PipeWire on Linux, WASAPI,
//!   CoreAudio), chosen by name or the system default. The device callbacks only copy samples
//!   between the device buffer and lock-free SPSC rings ([`ring`]); mixdown to mono happens
//!   there, resampling ([`rate`], rubato) happens outside on the caller's thread.
//! * [`null_backend::NullBackend`]: no sound card — silence in, audio out kept in memory (or
//!   thrown away), optionally a signal to "capture". For tests, the CLI and headless machines.
//!
//! Latency: cpal streams ask for a 10 ms device period ([`cpal_backend::PERIOD`], the
//! device's default when it refuses), convert rates in 5 ms blocks ([`rate`]) and hold the
//! rings near a small fill level ([`level`]) by splicing a few milliseconds in or out
//! without a click ([`stretch`]); [`StreamLatency`] tells what a stream adds.
//!
//! Hot-plug: a stream whose device fails reports it in [`Capture::health`] /
//! [`Playback::health`]; [`watch::DeviceWatcher`] turns failures and device-list changes into
//! "re-open on this device" decisions, so a call moves to the new default instead of going
//! silent, and every move is reported.

pub mod cpal_backend;
pub mod feed;
pub mod level;
pub mod null_backend;
pub mod rate;
pub mod ring;
pub mod stretch;
pub mod watch;

use std::fmt;
use std::time::Duration;

pub use cpal_backend::CpalBackend;
pub use null_backend::NullBackend;
pub use rate::RateConverter;
pub use watch::{DeviceWatcher, WatchAction};

/// Input (microphone) or output (speaker, headset, ringer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeviceKind {
    /// A capture device.
    Input,
    /// A playback device.
    Output,
}

impl DeviceKind {
    /// `input` or `output`, as the JSON lines say.
    pub fn as_str(self) -> &'static str {
        match self {
            DeviceKind::Input => "input",
            DeviceKind::Output => "output",
        }
    }
}

/// One device as listed by a backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceInfo {
    /// Input or output.
    pub kind: DeviceKind,
    /// The name to choose it by.
    pub name: String,
    /// True for the system's default device of this kind.
    pub default: bool,
}

/// Why a device could not be listed or opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AudioError {
    /// There is no device of this kind at all (no sound card, no sound server).
    NoDevice {
        /// Input or output.
        kind: DeviceKind,
        /// What the system said, if anything.
        detail: String,
    },
    /// No device of this kind has that name.
    NotFound {
        /// Input or output.
        kind: DeviceKind,
        /// The name asked for.
        name: String,
    },
    /// The device exists but could not be opened or started.
    Open {
        /// The device.
        name: String,
        /// What failed.
        detail: String,
    },
}

impl fmt::Display for AudioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AudioError::NoDevice { kind, detail } if detail.is_empty() => {
                write!(f, "no audio {} device", kind.as_str())
            }
            AudioError::NoDevice { kind, detail } => write!(f, "no audio {} device ({detail})", kind.as_str()),
            AudioError::NotFound { kind, name } => write!(f, "no audio {} device named {name:?}", kind.as_str()),
            AudioError::Open { name, detail } => write!(f, "cannot open audio device {name:?}: {detail}"),
        }
    }
}

impl std::error::Error for AudioError {}

/// The state of an open stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamHealth {
    /// Samples are flowing (or at least nothing went wrong).
    Running,
    /// The device reported an error (unplugged, taken away by the system); re-open.
    Failed(String),
}

/// The delay one device stream adds, as configured and (where the host tells) as measured;
/// for the latency budget (`benches/latency.rs`) and logs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StreamLatency {
    /// The device's sample rate, in Hz.
    pub device_rate: u32,
    /// Frames per device period (one callback) the host runs the stream with, if it says.
    pub period_frames: Option<u32>,
    /// True when the host took our fixed period ([`cpal_backend::PERIOD`]); false when the
    /// device refused it and runs with its default.
    pub fixed_period: bool,
    /// The host's own delay between callback and sound, from the last callback's timestamps
    /// (measured; `None` before a callback or when the host gives no timestamps).
    pub host_delay: Option<Duration>,
    /// The level the ring between the device and the call is held at now (it adapts).
    pub ring_target: Duration,
    /// The sample-rate converter's delay (zero when the rates are equal).
    pub resampler_delay: Duration,
    /// The converter's block: input waits until a block is full.
    pub resampler_block: Duration,
}

impl StreamLatency {
    /// The device period as a duration (zero when unknown).
    pub fn period(&self) -> Duration {
        match self.period_frames {
            Some(f) if self.device_rate > 0 => {
                Duration::from_nanos(u64::from(f) * 1_000_000_000 / u64::from(self.device_rate))
            }
            _ => Duration::ZERO,
        }
    }
}

/// A microphone stream delivering mono samples at the rate it was opened with.
pub trait Capture: Send {
    /// The device's name.
    fn device_name(&self) -> &str;

    /// Fills `out` with the next samples; returns how many came from the device (the rest
    /// are silence, e.g. before the device has started).
    fn read(&mut self, out: &mut [i16]) -> usize;

    /// Whether the device still works.
    fn health(&self) -> StreamHealth;

    /// The delay this stream adds (`None` for streams without a device clock).
    fn latency(&self) -> Option<StreamLatency> {
        None
    }
}

/// A speaker stream taking mono samples at the rate it was opened with.
pub trait Playback: Send {
    /// The device's name.
    fn device_name(&self) -> &str;

    /// Queues `frame` for playing; returns how many samples were accepted (fewer when the
    /// device is behind and the queue is full: the rest is dropped rather than adding delay).
    fn write(&mut self, frame: &[i16]) -> usize;

    /// Whether the device still works.
    fn health(&self) -> StreamHealth;

    /// The delay this stream adds (`None` for streams without a device clock).
    fn latency(&self) -> Option<StreamLatency> {
        None
    }
}

/// A source of audio devices.
pub trait AudioBackend: Send + Sync {
    /// The devices there are now.
    fn devices(&self) -> Result<Vec<DeviceInfo>, AudioError>;

    /// Opens a capture stream on the device named `name` (`None`: the default) delivering
    /// mono samples at `rate` Hz.
    fn open_capture(&self, name: Option<&str>, rate: u32) -> Result<Box<dyn Capture>, AudioError>;

    /// Opens a playback stream on the device named `name` (`None`: the default) taking mono
    /// samples at `rate` Hz.
    fn open_playback(&self, name: Option<&str>, rate: u32) -> Result<Box<dyn Playback>, AudioError>;
}

/// Which backend a call's audio uses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum BackendKind {
    /// The sound card through cpal.
    #[default]
    Device,
    /// No sound card: silence in, nothing out.
    Null,
}

impl std::str::FromStr for BackendKind {
    type Err = String;

    /// `device` or `null`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "device" | "devices" | "cpal" => Ok(BackendKind::Device),
            "null" | "none" => Ok(BackendKind::Null),
            other => Err(format!("unknown audio backend {other:?} (want device or null)")),
        }
    }
}

/// The audio device settings: backend and the input, output and ringing devices by name
/// (`None` follows the system default).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AudioDevices {
    /// Sound card or null.
    pub backend: BackendKind,
    /// Microphone.
    pub input: Option<String>,
    /// Speaker or headset for the call.
    pub output: Option<String>,
    /// Where incoming calls ring (often the loudspeaker while the call goes to a headset).
    pub ring: Option<String>,
}

impl AudioDevices {
    /// The backend these settings name.
    pub fn backend(&self) -> Box<dyn AudioBackend> {
        match self.backend {
            BackendKind::Device => Box::new(CpalBackend::new()),
            BackendKind::Null => Box::new(NullBackend::new()),
        }
    }
}

/// Converts a float sample (−1.0..1.0) to `i16`, saturating.
pub fn f32_to_i16(x: f32) -> i16 {
    (x * 32768.0).round().clamp(-32768.0, 32767.0) as i16
}

/// Converts an `i16` sample to a float (−1.0..1.0).
pub fn i16_to_f32(x: i16) -> f32 {
    f32::from(x) / 32768.0
}
