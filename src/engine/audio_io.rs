//! A call's sound devices as the media task uses them: microphone and speaker opened through
//! an [`AudioBackend`], checked every tick, re-opened on hot-plug (see
//! [`DeviceWatcher`]), every open, move and failure reported as an [`Event::Audio`].
//!
//! A missing device never ends the call: the call goes on with silence in that direction,
//! the failure is reported, and the watcher retries when a device appears.

use super::Sink;
use crate::api::Event;
use crate::media::audio::watch::StreamRole;
use crate::media::audio::{
    AudioBackend, AudioDevices, AudioError, Capture, DeviceWatcher, Playback, StreamHealth, StreamLatency, WatchAction,
};

/// Ticks (20 ms) between two device-list polls.
const LIST_EVERY_TICKS: u32 = 100;

/// The microphone and speaker of one call.
pub struct DeviceAudio {
    id: Option<String>,
    backend: Box<dyn AudioBackend>,
    devices: AudioDevices,
    rate: u32,
    capture: Option<Box<dyn Capture>>,
    playback: Option<Box<dyn Playback>>,
    watcher: DeviceWatcher,
    ticks: u32,
    /// Events to report (opening happens off the engine thread; the sink is not needed there).
    events: Vec<Event>,
}

impl std::fmt::Debug for DeviceAudio {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceAudio").field("id", &self.id).field("rate", &self.rate).finish_non_exhaustive()
    }
}

fn role_name(role: StreamRole) -> &'static str {
    match role {
        StreamRole::Input => "input",
        StreamRole::Output => "output",
        StreamRole::Ring => "ring",
    }
}

/// Opens the configured device, or the default when it is missing; the error of the first try
/// when neither works.
fn open_with_fallback<T>(
    preferred: Option<&str>,
    open: impl Fn(Option<&str>) -> Result<T, AudioError>,
) -> (Result<T, AudioError>, Option<String>) {
    match open(preferred) {
        Ok(s) => (Ok(s), None),
        Err(first) if preferred.is_some() => match open(None) {
            Ok(s) => (Ok(s), Some(format!("{first}; using the default device"))),
            Err(_) => (Err(first), None),
        },
        Err(e) => (Err(e), None),
    }
}

impl DeviceAudio {
    /// Opens microphone and speaker at `rate` Hz with `backend` (blocking: ALSA opens take a
    /// few milliseconds; call it off the engine's event loop).
    pub fn open(id: Option<String>, backend: Box<dyn AudioBackend>, devices: AudioDevices, rate: u32) -> Self {
        let mut audio = DeviceAudio {
            id,
            backend,
            devices,
            rate,
            capture: None,
            playback: None,
            watcher: DeviceWatcher::new(),
            ticks: 0,
            events: Vec::new(),
        };
        audio.open_role(StreamRole::Input, "opened", None);
        audio.open_role(StreamRole::Output, "opened", None);
        audio
    }

    fn open_role(&mut self, role: StreamRole, state: &str, why: Option<String>) {
        let preferred = match role {
            StreamRole::Input => self.devices.input.clone(),
            _ => self.devices.output.clone(),
        };
        let rate = self.rate;
        let (name, error, note) = if role == StreamRole::Input {
            self.capture = None;
            let backend = &self.backend;
            let (r, note) = open_with_fallback(preferred.as_deref(), |n| backend.open_capture(n, rate));
            match r {
                Ok(c) => {
                    let name = c.device_name().to_owned();
                    self.capture = Some(c);
                    (Some(name), None, note)
                }
                Err(e) => (None, Some(e), None),
            }
        } else {
            self.playback = None;
            let backend = &self.backend;
            let (r, note) = open_with_fallback(preferred.as_deref(), |n| backend.open_playback(n, rate));
            match r {
                Ok(p) => {
                    let name = p.device_name().to_owned();
                    self.playback = Some(p);
                    (Some(name), None, note)
                }
                Err(e) => (None, Some(e), None),
            }
        };
        match (&name, error) {
            (Some(n), _) => {
                let latency = match role {
                    StreamRole::Input => self.capture.as_ref().and_then(|c| c.latency()),
                    _ => self.playback.as_ref().and_then(|p| p.latency()),
                };
                if let Some(l) = latency {
                    tracing::info!(
                        role = role_name(role),
                        device_rate = l.device_rate,
                        period_frames = ?l.period_frames,
                        fixed_period = l.fixed_period,
                        ring_target_ms = l.ring_target.as_secs_f64() * 1000.0,
                        resampler_delay_ms = l.resampler_delay.as_secs_f64() * 1000.0,
                        "audio stream latency"
                    );
                }
                self.watcher.opened(role, preferred.as_deref(), n)
            }
            (None, Some(e)) => {
                self.watcher.open_failed(role, preferred.as_deref());
                self.events.push(Event::Audio {
                    id: self.id.clone(),
                    role: role_name(role).into(),
                    state: "failed".into(),
                    device: None,
                    reason: Some(e.to_string()),
                });
                return;
            }
            (None, None) => return,
        }
        let reason = match (why, note) {
            (Some(a), Some(b)) => Some(format!("{a}; {b}")),
            (a, b) => a.or(b),
        };
        self.events.push(Event::Audio {
            id: self.id.clone(),
            role: role_name(role).into(),
            state: state.into(),
            device: name,
            reason,
        });
    }

    /// Re-opens microphone and speaker on other devices (reported as `moved`).
    pub fn set_devices(&mut self, devices: AudioDevices) {
        if devices == self.devices {
            return;
        }
        self.devices = devices;
        self.open_role(StreamRole::Input, "moved", Some("audio settings changed".into()));
        self.open_role(StreamRole::Output, "moved", Some("audio settings changed".into()));
    }

    /// Reads the next microphone frame (silence when there is no microphone or `muted`).
    pub fn read(&mut self, frame: &mut [i16], muted: bool) {
        match self.capture.as_mut() {
            Some(c) => {
                c.read(frame);
                if muted {
                    frame.fill(0);
                }
            }
            None => frame.fill(0),
        }
    }

    /// Plays a frame (dropped when there is no speaker).
    pub fn write(&mut self, frame: &[i16]) {
        if let Some(p) = self.playback.as_mut() {
            p.write(frame);
        }
    }

    /// What the open microphone and speaker add to the one-way delay (device period, host
    /// delay, ring target, resampler), `None` for a side without a device clock.
    pub fn latency(&self) -> (Option<StreamLatency>, Option<StreamLatency>) {
        (self.capture.as_ref().and_then(|c| c.latency()), self.playback.as_ref().and_then(|p| p.latency()))
    }

    /// The microphone's device name, if one is open.
    pub fn input_device(&self) -> Option<&str> {
        self.capture.as_ref().map(|c| c.device_name())
    }

    /// The speaker's device name, if one is open.
    pub fn output_device(&self) -> Option<&str> {
        self.playback.as_ref().map(|p| p.device_name())
    }

    /// Once per 20 ms tick: checks the streams, polls the device list now and then, re-opens
    /// what the watcher asks for, and reports to `sink`.
    pub fn tick(&mut self, sink: &Sink) {
        self.ticks = self.ticks.wrapping_add(1);
        if let Some(StreamHealth::Failed(why)) = self.capture.as_ref().map(|c| c.health()) {
            self.watcher.stream_failed(StreamRole::Input, &why);
        }
        if let Some(StreamHealth::Failed(why)) = self.playback.as_ref().map(|p| p.health()) {
            self.watcher.stream_failed(StreamRole::Output, &why);
        }
        if self.ticks.is_multiple_of(LIST_EVERY_TICKS)
            && let Ok(list) = self.backend.devices()
        {
            self.watcher.devices_listed(&list);
        }
        while let Some(WatchAction::Reopen { role, reason }) = self.watcher.poll_action() {
            self.open_role(role, "moved", Some(reason));
        }
        self.flush_events(sink);
    }

    /// Reports the events collected so far.
    pub fn flush_events(&mut self, sink: &Sink) {
        for e in self.events.drain(..) {
            sink.emit(e);
        }
    }
}
