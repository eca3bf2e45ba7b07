//! Real sound devices through cpal: the system's default host (ALSA, PulseAudio or PipeWire
//! through ALSA on Linux; WASAPI; CoreAudio).
//!
//! Devices are named by their host id (`default`, `pipewire`, `hw:CARD=PCH,DEV=0` on ALSA),
//! which is stable and unique; the human description is listed alongside. A stream opens at
//! the device's default rate and channel count; the callbacks ([`super::ring`]) mix down to
//! mono and move samples through SPSC rings; [`RateConverter`] converts between the device
//! rate and the codec rate on the caller's side.
//!
//! On a machine without a sound card ALSA still lists `default`, but asking for its
//! configuration fails with "device not available": that becomes [`AudioError::NoDevice`].

use std::sync::Arc;

use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
use cpal::{FromSample, SampleFormat, SizedSample};
use ringbuf::traits::{Consumer, Observer, Producer};

use super::rate::RateConverter;
use super::ring::{self, HeapCons, HeapProd, StreamStatus};
use super::{
    AudioBackend, AudioError, Capture, DeviceInfo, DeviceKind, Playback, StreamHealth, f32_to_i16, i16_to_f32,
};

/// Most audio kept between the device and the call (ms) before old samples are dropped.
const MAX_QUEUE_MS: usize = 60;

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
    mut ring: HeapProd<f32>,
    status: Arc<StreamStatus>,
    name: &str,
) -> Result<cpal::Stream, cpal::Error>
where
    T: SizedSample + Send + 'static,
    f32: FromSample<T>,
{
    let channels = usize::from(config.channels);
    let cb_status = Arc::clone(&status);
    device.build_input_stream::<T, _, _>(
        *config,
        move |data: &[T], _| {
            ring::capture_into_ring(data, channels, <f32 as FromSample<T>>::from_sample_, &mut ring, &cb_status)
        },
        on_error(status, name.to_owned()),
        None,
    )
}

fn build_output<T>(
    device: &cpal::Device,
    config: &cpal::StreamConfig,
    mut ring: HeapCons<f32>,
    status: Arc<StreamStatus>,
    name: &str,
) -> Result<cpal::Stream, cpal::Error>
where
    T: SizedSample + FromSample<f32> + Send + 'static,
{
    let channels = usize::from(config.channels);
    let cb_status = Arc::clone(&status);
    device.build_output_stream::<T, _, _>(
        *config,
        move |data: &mut [T], _| {
            ring::playback_from_ring(data, channels, <T as FromSample<f32>>::from_sample_, &mut ring, &cb_status)
        },
        on_error(status, name.to_owned()),
        None,
    )
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
        let config = supported.config();
        let device_rate = config.sample_rate;
        let (producer, consumer) = ring::mono_ring(device_rate as usize / 2);
        let status = StreamStatus::new();
        let s = Arc::clone(&status);
        let stream = match supported.sample_format() {
            SampleFormat::F32 => build_input::<f32>(&device, &config, producer, s, &id),
            SampleFormat::I16 => build_input::<i16>(&device, &config, producer, s, &id),
            SampleFormat::I32 => build_input::<i32>(&device, &config, producer, s, &id),
            SampleFormat::U16 => build_input::<u16>(&device, &config, producer, s, &id),
            other => return Err(AudioError::Open { name: id, detail: format!("unsupported sample format {other}") }),
        }
        .map_err(|e| open_error(kind, &id, e))?;
        stream.play().map_err(|e| open_error(kind, &id, e))?;
        let converter =
            RateConverter::new(device_rate, rate).map_err(|detail| AudioError::Open { name: id.clone(), detail })?;
        let frame = (rate as usize / 50).max(1);
        Ok(Box::new(CpalCapture {
            name: id,
            _stream: stream,
            ring: consumer,
            status,
            converter,
            scratch: vec![0.0; device_rate as usize / 50 + 1],
            converted: vec![0.0; frame * 4],
        }))
    }

    fn open_playback(&self, name: Option<&str>, rate: u32) -> Result<Box<dyn Playback>, AudioError> {
        let kind = DeviceKind::Output;
        let host = cpal::default_host();
        let (device, id) = find_device(&host, kind, name)?;
        let supported = device.default_output_config().map_err(|e| open_error(kind, &id, e))?;
        let config = supported.config();
        let device_rate = config.sample_rate;
        let (producer, consumer) = ring::mono_ring(device_rate as usize / 2);
        let status = StreamStatus::new();
        let s = Arc::clone(&status);
        let stream = match supported.sample_format() {
            SampleFormat::F32 => build_output::<f32>(&device, &config, consumer, s, &id),
            SampleFormat::I16 => build_output::<i16>(&device, &config, consumer, s, &id),
            SampleFormat::I32 => build_output::<i32>(&device, &config, consumer, s, &id),
            SampleFormat::U16 => build_output::<u16>(&device, &config, consumer, s, &id),
            other => return Err(AudioError::Open { name: id, detail: format!("unsupported sample format {other}") }),
        }
        .map_err(|e| open_error(kind, &id, e))?;
        stream.play().map_err(|e| open_error(kind, &id, e))?;
        let converter =
            RateConverter::new(rate, device_rate).map_err(|detail| AudioError::Open { name: id.clone(), detail })?;
        Ok(Box::new(CpalPlayback {
            name: id,
            _stream: stream,
            ring: producer,
            status,
            converter,
            max_queued: device_rate as usize * MAX_QUEUE_MS / 1000,
            scratch: vec![0.0; rate as usize / 10 + 1],
            converted: vec![0.0; device_rate as usize / 10 + 1],
        }))
    }
}

/// An open capture stream.
struct CpalCapture {
    name: String,
    _stream: cpal::Stream,
    ring: HeapCons<f32>,
    status: Arc<StreamStatus>,
    converter: RateConverter,
    /// Device-rate samples taken from the ring.
    scratch: Vec<f32>,
    /// Codec-rate samples taken from the converter.
    converted: Vec<f32>,
}

impl Capture for CpalCapture {
    fn device_name(&self) -> &str {
        &self.name
    }

    fn read(&mut self, out: &mut [i16]) -> usize {
        // Bounded: the ring holds at most 500 ms, taken 20 ms at a time.
        for _ in 0..64 {
            let n = self.ring.pop_slice(&mut self.scratch);
            if n == 0 {
                break;
            }
            self.converter.push(&self.scratch[..n]);
        }
        // Keep the delay bounded when the device clock runs ahead of ours.
        let keep = out.len() * 2;
        while self.converter.available() > keep + out.len() {
            let drop = (self.converter.available() - keep).min(self.converted.len());
            self.converter.pop(&mut self.converted[..drop]);
        }
        let mut done = 0;
        while done < out.len() {
            let want = (out.len() - done).min(self.converted.len());
            let got = self.converter.pop(&mut self.converted[..want]);
            for (o, &s) in out[done..done + got].iter_mut().zip(&self.converted[..got]) {
                *o = f32_to_i16(s);
            }
            done += got;
            if got < want {
                break;
            }
        }
        out[done..].fill(0);
        done
    }

    fn health(&self) -> StreamHealth {
        if self.status.failed() {
            StreamHealth::Failed(format!("{} stopped", self.name))
        } else {
            StreamHealth::Running
        }
    }
}

/// An open playback stream.
struct CpalPlayback {
    name: String,
    _stream: cpal::Stream,
    ring: HeapProd<f32>,
    status: Arc<StreamStatus>,
    converter: RateConverter,
    max_queued: usize,
    scratch: Vec<f32>,
    converted: Vec<f32>,
}

impl Playback for CpalPlayback {
    fn device_name(&self) -> &str {
        &self.name
    }

    fn write(&mut self, frame: &[i16]) -> usize {
        let mut accepted = 0;
        for chunk in frame.chunks(self.scratch.len()) {
            for (d, &s) in self.scratch.iter_mut().zip(chunk) {
                *d = i16_to_f32(s);
            }
            self.converter.push(&self.scratch[..chunk.len()]);
            accepted += chunk.len();
        }
        loop {
            let n = self.converter.pop(&mut self.converted);
            if n == 0 {
                break;
            }
            let room = self.max_queued.saturating_sub(self.ring.occupied_len());
            self.ring.push_slice(&self.converted[..n.min(room)]);
        }
        accepted
    }

    fn health(&self) -> StreamHealth {
        if self.status.failed() {
            StreamHealth::Failed(format!("{} stopped", self.name))
        } else {
            StreamHealth::Running
        }
    }
}
