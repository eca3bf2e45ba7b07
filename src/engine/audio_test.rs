//! The settings window's audio test and device list: the chosen microphone is measured and
//! reported about ten times a second ([`Event::AudioLevel`]) while a 440 Hz tone plays on the
//! output (or ring) device; the test stops when asked, or by itself after a limit (30 s).
//!
//! Devices are opened off the event loop (`spawn_blocking`); the test itself is one small
//! task ticking every 20 ms through the same [`AudioBackend`] streams calls use, so the
//! device callbacks stay the lock-free copies of [`crate::media::audio::ring`].

use super::Sink;
use crate::api::Event;
use crate::media::ToneGenerator;
use crate::media::audio::{AudioBackend, AudioError, Capture, DeviceKind, Playback};
use std::time::Duration;
use tokio::sync::oneshot;

/// The test tone's frequency.
pub const TEST_TONE_HZ: f64 = 440.0;
/// How long a test runs unless stopped earlier.
pub const TEST_LIMIT: Duration = Duration::from_secs(30);
/// The level reported for silence (and anything quieter).
pub const SILENCE_DBFS: f32 = -96.0;
/// The test's sample rate.
const RATE: u32 = 16000;
/// Samples in one 20 ms tick.
const FRAME: usize = RATE as usize / 50;
/// Ticks per level report (100 ms).
const TICKS_PER_REPORT: u32 = 5;
/// Peak amplitude of the test tone (about −12 dBFS: audible, not loud).
const TONE_AMPLITUDE: i16 = 8000;

/// RMS and peak level of `samples` in dBFS, never below [`SILENCE_DBFS`].
pub fn level_dbfs(samples: &[i16]) -> (f32, f32) {
    if samples.is_empty() {
        return (SILENCE_DBFS, SILENCE_DBFS);
    }
    let energy: f64 = samples.iter().map(|&s| f64::from(s) * f64::from(s)).sum();
    let rms = (energy / samples.len() as f64).sqrt();
    let peak = samples.iter().map(|s| s.unsigned_abs()).max().unwrap_or(0);
    (to_dbfs(rms), to_dbfs(f64::from(peak)))
}

fn to_dbfs(amplitude: f64) -> f32 {
    if amplitude <= 0.0 {
        return SILENCE_DBFS;
    }
    ((20.0 * (amplitude / 32768.0).log10()) as f32).max(SILENCE_DBFS)
}

/// Lists the devices of `backend` off the event loop and reports them as [`Event::AudioDevices`].
pub fn list_devices(backend: Box<dyn AudioBackend>, sink: &Sink) {
    let sink = sink.clone();
    tokio::spawn(async move {
        let listed = tokio::task::spawn_blocking(move || backend.devices()).await;
        let (list, error) = match listed {
            Ok(Ok(list)) if list.is_empty() => (Vec::new(), Some("no audio device".to_string())),
            Ok(Ok(list)) => (list, None),
            Ok(Err(e)) => (Vec::new(), Some(e.to_string())),
            Err(e) => (Vec::new(), Some(format!("listing the audio devices failed: {e}"))),
        };
        let names = |k: DeviceKind| list.iter().filter(|d| d.kind == k).map(|d| d.name.clone()).collect::<Vec<_>>();
        let default = |k: DeviceKind| list.iter().find(|d| d.kind == k && d.default).map(|d| d.name.clone());
        sink.emit(Event::AudioDevices {
            inputs: names(DeviceKind::Input),
            outputs: names(DeviceKind::Output),
            default_input: default(DeviceKind::Input),
            default_output: default(DeviceKind::Output),
            error,
        });
    });
}

/// Starts and stops the audio test (at most one at a time).
#[derive(Debug)]
pub struct AudioTester {
    limit: Duration,
    running: Option<oneshot::Sender<()>>,
}

impl Default for AudioTester {
    fn default() -> Self {
        Self::new(TEST_LIMIT)
    }
}

impl AudioTester {
    /// A tester whose tests stop by themselves after `limit`.
    pub fn new(limit: Duration) -> Self {
        AudioTester { limit, running: None }
    }

    /// Starts a test with `backend`: measures `input` and plays the tone on `output` (`None`:
    /// the default devices; a named device that cannot be opened falls back to the default).
    /// A running test is stopped first. Returns the test's task.
    pub fn start(
        &mut self,
        backend: Box<dyn AudioBackend>,
        input: Option<String>,
        output: Option<String>,
        sink: &Sink,
    ) -> tokio::task::JoinHandle<()> {
        self.stop();
        let (tx, rx) = oneshot::channel();
        self.running = Some(tx);
        tokio::spawn(run(backend, input, output, self.limit, sink.clone(), rx))
    }

    /// Stops the running test, if any (it reports `stopped`).
    pub fn stop(&mut self) {
        if let Some(tx) = self.running.take() {
            let _ = tx.send(());
        }
    }
}

/// Opens with `open` on `name`, else on the default; the error of the first try when neither works.
fn open_or_default<T>(
    name: Option<&str>,
    open: impl Fn(Option<&str>) -> Result<T, AudioError>,
) -> Result<T, AudioError> {
    match open(name) {
        Ok(s) => Ok(s),
        Err(first) if name.is_some() => open(None).map_err(|_| first),
        Err(e) => Err(e),
    }
}

type Opened = (Result<Box<dyn Capture>, AudioError>, Result<Box<dyn Playback>, AudioError>);

async fn run(
    backend: Box<dyn AudioBackend>,
    input: Option<String>,
    output: Option<String>,
    limit: Duration,
    sink: Sink,
    mut stop: oneshot::Receiver<()>,
) {
    let opened = tokio::task::spawn_blocking(move || -> Opened {
        let capture = open_or_default(input.as_deref(), |n| backend.open_capture(n, RATE));
        let playback = open_or_default(output.as_deref(), |n| backend.open_playback(n, RATE));
        (capture, playback)
    })
    .await;
    let (capture, playback) = match opened {
        Ok(o) => o,
        Err(e) => (
            Err(AudioError::Open { name: "input".into(), detail: e.to_string() }),
            Err(AudioError::Open { name: "output".into(), detail: e.to_string() }),
        ),
    };
    let problems: Vec<String> =
        [capture.as_ref().err(), playback.as_ref().err()].into_iter().flatten().map(|e| e.to_string()).collect();
    let (mut capture, mut playback) = (capture.ok(), playback.ok());
    let in_name = capture.as_ref().map(|c| c.device_name().to_owned());
    let out_name = playback.as_ref().map(|p| p.device_name().to_owned());
    let reason = (!problems.is_empty()).then(|| problems.join("; "));
    if capture.is_none() && playback.is_none() {
        return sink.emit(Event::AudioTest { state: "failed".into(), input: None, output: None, reason });
    }
    sink.emit(Event::AudioTest { state: "started".into(), input: in_name.clone(), output: out_name.clone(), reason });
    let mut tone = ToneGenerator::sine(TEST_TONE_HZ, TONE_AMPLITUDE, RATE);
    let mut frame = [0i16; FRAME];
    let mut heard = [0i16; FRAME * TICKS_PER_REPORT as usize];
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    // Bounded: one tick per 20 ms of the limit.
    let ticks = (limit.as_millis() / 20).max(1) as u64;
    let mut why = format!("timed out after {} s", limit.as_secs_f32());
    for n in 0..ticks {
        tokio::select! {
            _ = &mut stop => {
                why = "stopped".into();
                break;
            }
            _ = tick.tick() => {}
        }
        if let Some(p) = playback.as_mut() {
            tone.fill(&mut frame);
            p.write(&frame);
        }
        if let Some(c) = capture.as_mut() {
            let slot = (n % u64::from(TICKS_PER_REPORT)) as usize;
            c.read(&mut heard[slot * FRAME..(slot + 1) * FRAME]);
            if slot + 1 == TICKS_PER_REPORT as usize {
                let (rms, peak) = level_dbfs(&heard);
                sink.emit(Event::AudioLevel { input_dbfs: rms, peak_dbfs: peak, device: in_name.clone() });
            }
        }
    }
    drop((capture, playback));
    sink.emit(Event::AudioTest { state: "stopped".into(), input: in_name, output: out_name, reason: Some(why) });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels() {
        assert_eq!(level_dbfs(&[]), (SILENCE_DBFS, SILENCE_DBFS));
        assert_eq!(level_dbfs(&[0; 160]), (SILENCE_DBFS, SILENCE_DBFS));
        let full = [i16::MAX, i16::MIN].repeat(80);
        let (rms, peak) = level_dbfs(&full);
        assert!(rms.abs() < 0.01 && peak.abs() < 0.01, "{rms} {peak}");
        // A sine's RMS is 3 dB below its peak.
        let sine = ToneGenerator::sine(440.0, 16384, 16000).next_frame(1600);
        let (rms, peak) = level_dbfs(&sine);
        assert!((peak + 6.02).abs() < 0.1, "{peak}");
        assert!((rms + 9.03).abs() < 0.1, "{rms}");
    }
}
