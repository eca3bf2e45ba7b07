//! Real sound devices through cpal: the system's default host (ALSA, PulseAudio or PipeWire
//! through ALSA on Linux; WASAPI; CoreAudio).
//!
//! Devices are named by their host id (`default`, `pipewire`, `hw:CARD=PCH,DEV=0` on ALSA),
//! which is stable and unique; the human description is listed alongside. A stream opens at
//! the device's default rate and channel count; the callbacks ([`super::ring`]) mix down to
//! mono and move samples through SPSC rings; [`super::feed`] converts between the device rate
//! and the codec rate on the caller's side and holds the rings' level.
//!
//! Latency: a stream asks for a fixed period of [`PERIOD`] (480 frames at 48 kHz; on ALSA
//! cpal makes the buffer two periods) and falls back to the device's default when the device
//! refuses. The ring on the call's side is held near a small level ([`super::feed`]).
//!
//! On a machine without a sound card ALSA still lists `default`, but asking for its
//! configuration fails with "device not available": that becomes [`AudioError::NoDevice`].

use std::sync::Arc;
use std::time::Duration;

use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
use cpal::{FromSample, SampleFormat, SizedSample};

use super::feed::{CaptureFeed, PlaybackFeed};
use super::ring::{self, HeapCons, HeapProd, StreamStatus};
use super::{AudioBackend, AudioError, Capture, DeviceInfo, DeviceKind, Playback, StreamHealth, StreamLatency};

/// The device period asked for (one callback's worth of audio).
pub const PERIOD: Duration = Duration::from_millis(10);
fn samples_of(d: Duration, rate: u32) -> usize {
    (u128::from(rate) * d.as_nanos() / 1_000_000_000) as usize
}

/// The stream configuration with our fixed period, clamped to what the device says it
/// supports; `None` when the device's range leaves no room for it.
fn fixed_config(supported: &cpal::SupportedStreamConfig) -> Option<cpal::StreamConfig> {
    let mut config = supported.config();
    let want = samples_of(PERIOD, config.sample_rate).max(1) as u32;
    let frames = match supported.buffer_size() {
        cpal::SupportedBufferSize::Range { min, max } if min <= max => want.clamp(*min, *max),
        cpal::SupportedBufferSize::Range { .. } => return None,
        cpal::SupportedBufferSize::Unknown => want,
    };
    config.buffer_size = cpal::BufferSize::Fixed(frames);
    Some(config)
}

/// What an opened cpal stream runs with.
struct Opened<R> {
    stream: cpal::Stream,
    ring: R,
    status: Arc<StreamStatus>,
    period: Option<u32>,
    fixed: bool,
}

/// Builds and starts a stream with our fixed period, or the device's default period when the
/// device refuses it; `build` makes a stream (with fresh ring ends) for a configuration.
fn open_stream<R>(
    kind: DeviceKind,
    id: &str,
    supported: &cpal::SupportedStreamConfig,
    build: impl Fn(&cpal::StreamConfig) -> Result<(cpal::Stream, R, Arc<StreamStatus>), cpal::Error>,
) -> Result<Opened<R>, AudioError> {
    let fixed = fixed_config(supported).and_then(|config| match build(&config) {
        Ok(s) => Some(s),
        Err(e) => {
            tracing::info!(device = %id, error = %e, "fixed audio period refused; using the device's default");
            None
        }
    });
    let was_fixed = fixed.is_some();
    let (stream, ring, status) = match fixed {
        Some(s) => s,
        None => build(&supported.config()).map_err(|e| open_error(kind, id, e))?,
    };
    stream.play().map_err(|e| open_error(kind, id, e))?;
    let period = stream.buffer_size().ok();
    Ok(Opened { stream, ring, status, period, fixed: was_fixed })
}

/// The cpal backend on the system's default host.
#[derive(Debug, Default, Clone, Copy)]
pub struct CpalBackend;

impl CpalBackend {
    /// The backend of the default host.
    pub fn new() -> Self {
        CpalBackend
    }
}

/// The stable name of a device (its host id, e.g. ALSA's PCM name).
fn device_id(device: &cpal::Device) -> String {
    match device.id() {
        Ok(id) => id.id().to_owned(),
        Err(_) => device.to_string(),
    }
}

fn find_device(host: &cpal::Host, kind: DeviceKind, name: Option<&str>) -> Result<(cpal::Device, String), AudioError> {
    let Some(name) = name else {
        let device = match kind {
            DeviceKind::Input => host.default_input_device(),
            DeviceKind::Output => host.default_output_device(),
        };
        return device
            .map(|d| {
                let id = device_id(&d);
                (d, id)
            })
            .ok_or(AudioError::NoDevice { kind, detail: String::new() });
    };
    let devices = match kind {
        DeviceKind::Input => host.input_devices().map(|d| d.collect::<Vec<_>>()),
        DeviceKind::Output => host.output_devices().map(|d| d.collect::<Vec<_>>()),
    }
    .map_err(|e| AudioError::NoDevice { kind, detail: e.to_string() })?;
    devices
        .into_iter()
        .find(|d| {
            device_id(d) == name
                || d.id().is_ok_and(|id| id.to_string() == name)
                || d.description().is_ok_and(|desc| desc.name() == name)
        })
        .map(|d| (d, name.to_owned()))
        .ok_or_else(|| AudioError::NotFound { kind, name: name.to_owned() })
}

/// Turns a cpal error while opening `name` into ours: "device not available" and "host not
/// available" mean there is no usable device.
fn open_error(kind: DeviceKind, name: &str, e: cpal::Error) -> AudioError {
    match e.kind() {
        cpal::ErrorKind::DeviceNotAvailable | cpal::ErrorKind::HostUnavailable => {
            AudioError::NoDevice { kind, detail: format!("{name}: {e}") }
        }
        _ => AudioError::Open { name: name.to_owned(), detail: e.to_string() },
    }
}

/// The error callback: a device that went away marks the stream failed; a reroute of the
/// default device is not a failure.
fn on_error(status: Arc<StreamStatus>, name: String) -> impl FnMut(cpal::Error) + Send + 'static {
    move |e| {
        if e.kind() != cpal::ErrorKind::DeviceChanged {
            tracing::warn!(device = %name, error = %e, "audio stream failed");
            status.fail();
        }
    }
}

fn build_input<T>(
    device: &cpal::Device,
    config: &cpal::StreamConfig,
    name: &str,
) -> Result<(cpal::Stream, HeapCons<f32>, Arc<StreamStatus>), cpal::Error>
where
    T: SizedSample + Send + 'static,
    f32: FromSample<T>,
{
    let (mut ring, consumer) = ring::mono_ring(config.sample_rate as usize / 2);
    let status = StreamStatus::new();
    let channels = usize::from(config.channels);
    let cb_status = Arc::clone(&status);
    let stream = device.build_input_stream::<T, _, _>(
        *config,
        move |data: &[T], info: &cpal::InputCallbackInfo| {
            let t = info.timestamp();
            cb_status.record_host_delay(t.callback.checked_duration_since(t.capture));
            ring::capture_into_ring(data, channels, <f32 as FromSample<T>>::from_sample_, &mut ring, &cb_status)
        },
        on_error(Arc::clone(&status), name.to_owned()),
        None,
    )?;
    Ok((stream, consumer, status))
}

fn build_output<T>(
    device: &cpal::Device,
    config: &cpal::StreamConfig,
    name: &str,
) -> Result<(cpal::Stream, HeapProd<f32>, Arc<StreamStatus>), cpal::Error>
where
    T: SizedSample + FromSample<f32> + Send + 'static,
{
    let (producer, mut ring) = ring::mono_ring(config.sample_rate as usize / 2);
    let status = StreamStatus::new();
    let channels = usize::from(config.channels);
    let cb_status = Arc::clone(&status);
    let stream = device.build_output_stream::<T, _, _>(
        *config,
        move |data: &mut [T], info: &cpal::OutputCallbackInfo| {
            let t = info.timestamp();
            cb_status.record_host_delay(t.playback.checked_duration_since(t.callback));
            ring::playback_from_ring(data, channels, <T as FromSample<f32>>::from_sample_, &mut ring, &cb_status)
        },
        on_error(Arc::clone(&status), name.to_owned()),
        None,
    )?;
    Ok((stream, producer, status))
}

impl AudioBackend for CpalBackend {
    fn devices(&self) -> Result<Vec<DeviceInfo>, AudioError> {
        let host = cpal::default_host();
        let mut out = Vec::new();
        for kind in [DeviceKind::Input, DeviceKind::Output] {
            let default = match kind {
                DeviceKind::Input => host.default_input_device(),
                DeviceKind::Output => host.default_output_device(),
            }
            .map(|d| device_id(&d));
            let devices = match kind {
                DeviceKind::Input => host.input_devices().map(|d| d.collect::<Vec<_>>()),
                DeviceKind::Output => host.output_devices().map(|d| d.collect::<Vec<_>>()),
            }
            .map_err(|e| AudioError::NoDevice { kind, detail: e.to_string() })?;
            for d in devices {
                let name = device_id(&d);
                let is_default = default.as_deref() == Some(name.as_str());
                out.push(DeviceInfo { kind, name, default: is_default });
            }
        }
        Ok(out)
    }

    fn open_capture(&self, name: Option<&str>, rate: u32) -> Result<Box<dyn Capture>, AudioError> {
        let kind = DeviceKind::Input;
        let host = cpal::default_host();
        let (device, id) = find_device(&host, kind, name)?;
        let supported = device.default_input_config().map_err(|e| open_error(kind, &id, e))?;
        let device_rate = supported.config().sample_rate;
        let opened = open_stream(kind, &id, &supported, |config| match supported.sample_format() {
            SampleFormat::F32 => build_input::<f32>(&device, config, &id),
            SampleFormat::I16 => build_input::<i16>(&device, config, &id),
            SampleFormat::I32 => build_input::<i32>(&device, config, &id),
            SampleFormat::U16 => build_input::<u16>(&device, config, &id),
            other => Err(cpal::Error::with_message(
                cpal::ErrorKind::UnsupportedConfig,
                format!("unsupported sample format {other}"),
            )),
        })?;
        let feed = CaptureFeed::new(opened.ring, opened.status, device_rate, rate)
            .map_err(|detail| AudioError::Open { name: id.clone(), detail })?;
        Ok(Box::new(CpalCapture { name: id, _stream: opened.stream, feed, period: opened.period, fixed: opened.fixed }))
    }

    fn open_playback(&self, name: Option<&str>, rate: u32) -> Result<Box<dyn Playback>, AudioError> {
        let kind = DeviceKind::Output;
        let host = cpal::default_host();
        let (device, id) = find_device(&host, kind, name)?;
        let supported = device.default_output_config().map_err(|e| open_error(kind, &id, e))?;
        let device_rate = supported.config().sample_rate;
        let opened = open_stream(kind, &id, &supported, |config| match supported.sample_format() {
            SampleFormat::F32 => build_output::<f32>(&device, config, &id),
            SampleFormat::I16 => build_output::<i16>(&device, config, &id),
            SampleFormat::I32 => build_output::<i32>(&device, config, &id),
            SampleFormat::U16 => build_output::<u16>(&device, config, &id),
            other => Err(cpal::Error::with_message(
                cpal::ErrorKind::UnsupportedConfig,
                format!("unsupported sample format {other}"),
            )),
        })?;
        let feed = PlaybackFeed::new(opened.ring, opened.status, rate, device_rate, opened.period)
            .map_err(|detail| AudioError::Open { name: id.clone(), detail })?;
        Ok(Box::new(CpalPlayback {
            name: id,
            _stream: opened.stream,
            feed,
            period: opened.period,
            fixed: opened.fixed,
        }))
    }
}

/// An open capture stream.
struct CpalCapture {
    name: String,
    _stream: cpal::Stream,
    feed: CaptureFeed,
    period: Option<u32>,
    fixed: bool,
}

impl Capture for CpalCapture {
    fn device_name(&self) -> &str {
        &self.name
    }

    fn read(&mut self, out: &mut [i16]) -> usize {
        self.feed.read(out)
    }

    fn health(&self) -> StreamHealth {
        health(&self.name, self.feed.status())
    }

    fn latency(&self) -> Option<StreamLatency> {
        Some(self.feed.latency(self.period, self.fixed))
    }
}

/// An open playback stream.
struct CpalPlayback {
    name: String,
    _stream: cpal::Stream,
    feed: PlaybackFeed,
    period: Option<u32>,
    fixed: bool,
}

impl Playback for CpalPlayback {
    fn device_name(&self) -> &str {
        &self.name
    }

    fn write(&mut self, frame: &[i16]) -> usize {
        self.feed.write(frame)
    }

    fn health(&self) -> StreamHealth {
        health(&self.name, self.feed.status())
    }

    fn latency(&self) -> Option<StreamLatency> {
        Some(self.feed.latency(self.period, self.fixed))
    }
}

fn health(name: &str, status: &StreamStatus) -> StreamHealth {
    if status.failed() { StreamHealth::Failed(format!("{name} stopped")) } else { StreamHealth::Running }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::audio::feed::PLAYBACK_LEVEL;

    #[test]
    fn the_fixed_period_is_ten_ms_within_what_the_device_allows() {
        let config = |rate, size| cpal::SupportedStreamConfig::new(2, rate, size, SampleFormat::F32);
        let fixed = |c: &cpal::SupportedStreamConfig| fixed_config(c).map(|c| c.buffer_size);
        let range = |min, max| cpal::SupportedBufferSize::Range { min, max };
        assert_eq!(fixed(&config(48_000, range(64, 8192))), Some(cpal::BufferSize::Fixed(480)));
        assert_eq!(fixed(&config(44_100, cpal::SupportedBufferSize::Unknown)), Some(cpal::BufferSize::Fixed(441)));
        // A device whose smallest period is 1024 frames gets that, not a refused request.
        assert_eq!(fixed(&config(48_000, range(1024, 4096))), Some(cpal::BufferSize::Fixed(1024)));
        assert_eq!(fixed(&config(48_000, range(32, 256))), Some(cpal::BufferSize::Fixed(256)));
        // Nonsense from the driver: the device's default is used.
        assert_eq!(fixed(&config(48_000, range(4096, 1024))), None);
        let c = fixed_config(&config(16_000, range(1, 100_000))).expect("a config");
        assert_eq!((c.channels, c.sample_rate), (2, 16_000));
    }

    /// ALSA's `null` device (in every alsa-lib configuration): the fixed period is taken and
    /// reported, and the playback ring settles near its target instead of growing.
    #[test]
    fn null_device_runs_with_the_fixed_period_and_a_small_ring() {
        let backend = CpalBackend::new();
        let Ok(list) = backend.devices() else { return };
        if !list.iter().any(|d| d.name == "null" && d.kind == DeviceKind::Output) {
            println!("no ALSA null device listed; nothing to test");
            return;
        }
        let mut speaker = backend.open_playback(Some("null"), 8000).expect("ALSA null output opens");
        let mut mic = backend.open_capture(Some("null"), 8000).expect("ALSA null input opens");
        let out = speaker.latency().expect("cpal streams report latency");
        let inp = mic.latency().expect("cpal streams report latency");
        println!("playback {out:?}\ncapture {inp:?}");
        for l in [out, inp] {
            let want = samples_of(PERIOD, l.device_rate) as u32;
            if l.fixed_period {
                let period = l.period_frames.expect("the host reports its period");
                assert!(period.abs_diff(want) <= want / 2, "asked for {want} frames, got {period}");
            }
            assert!(l.resampler_delay <= Duration::from_millis(5), "{:?}", l.resampler_delay);
        }
        let frame = vec![0i16; 160];
        let mut heard = vec![0i16; 160];
        for _ in 0..50 {
            std::thread::sleep(Duration::from_millis(20));
            speaker.write(&frame);
            mic.read(&mut heard);
        }
        let out = speaker.latency().expect("latency");
        assert!(out.ring_target <= PLAYBACK_LEVEL.2, "{out:?}");
    }
}
