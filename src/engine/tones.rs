//! Locally generated call-progress tones: ring-back on the call's output device while our
//! outgoing call rings without early media, and the ringing tone on the ring device while an
//! incoming call waits. One small task per tone, stopped as soon as the call's state moves on.

use super::Sink;
use super::media::AudioFiles;
use crate::api::Event;
use crate::media::ToneGenerator;
use crate::media::audio::{AudioBackend, AudioDevices};
use std::collections::HashMap;
use std::time::Duration;

/// The rate tones are generated at.
const TONE_RATE: u32 = 16000;

/// Starts and stops the tones of all calls.
#[derive(Debug)]
pub struct Tones {
    devices: Option<AudioDevices>,
    playing: HashMap<String, tokio::task::JoinHandle<()>>,
}

impl Tones {
    /// Tones on the sound devices of `files` (none when calls use WAV files).
    pub fn new(files: &AudioFiles) -> Self {
        Tones { devices: (!files.uses_files()).then(|| files.devices.clone()), playing: HashMap::new() }
    }

    /// Uses the devices of `files` for the tones started from now on.
    pub fn set_devices(&mut self, files: &AudioFiles) {
        self.devices = (!files.uses_files()).then(|| files.devices.clone());
    }

    /// Whether a tone is playing for call `id`.
    pub fn is_playing(&self, id: &str) -> bool {
        self.playing.contains_key(id)
    }

    /// Follows call events: `ringing` starts a tone, any other state stops it.
    pub fn on_event(&mut self, event: &Event, sink: &Sink) {
        let Event::Call { id, state, direction, .. } = event else { return };
        if state != "ringing" {
            if let Some(task) = self.playing.remove(id) {
                task.abort();
            }
            return;
        }
        let Some(devices) = &self.devices else { return };
        if self.playing.contains_key(id) {
            return;
        }
        let incoming = direction == "in";
        let device =
            if incoming { devices.ring.clone().or_else(|| devices.output.clone()) } else { devices.output.clone() };
        let backend = devices.backend();
        let task = tokio::spawn(play(id.clone(), incoming, backend, device, sink.clone()));
        self.playing.insert(id.clone(), task);
    }

    /// Stops every tone.
    pub fn stop_all(&mut self) {
        for (_, task) in self.playing.drain() {
            task.abort();
        }
    }
}

async fn play(id: String, incoming: bool, backend: Box<dyn AudioBackend>, device: Option<String>, sink: Sink) {
    let role = if incoming { "ring" } else { "output" };
    let opened = tokio::task::spawn_blocking(move || {
        backend.open_playback(device.as_deref(), TONE_RATE).or_else(|e| match device {
            Some(_) => backend.open_playback(None, TONE_RATE),
            None => Err(e),
        })
    })
    .await;
    let mut stream = match opened {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => {
            let reason = Some(e.to_string());
            return sink.emit(Event::Audio {
                id: Some(id),
                role: role.into(),
                state: "failed".into(),
                device: None,
                reason,
            });
        }
        Err(_) => return,
    };
    let mut tone = if incoming { ToneGenerator::ringing(TONE_RATE) } else { ToneGenerator::ringback_etsi(TONE_RATE) };
    let mut frame = vec![0i16; TONE_RATE as usize / 50];
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    // Bounded: at most ten minutes of ringing, then the tone gives up by itself.
    for _ in 0..30_000 {
        tick.tick().await;
        tone.fill(&mut frame);
        stream.write(&frame);
    }
}
