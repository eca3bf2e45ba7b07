//! The engine's per-call media task on the device path, with the null backend standing in for
//! the sound card: two tasks on loopback, one "capturing" a tone, the other "playing" what it
//! receives. Checks the sample-rate/clock-rate split of G.722 and Opus end to end, mute, and
//! that a missing sound card is reported without ending the call.

#[path = "support/negotiated.rs"]
mod negotiated;
use negotiated::negotiated;

use lampboard::api::Event;
use lampboard::engine::Sink;
use lampboard::engine::media::{AudioFiles, MediaCtl, spawn_with_backend};
use lampboard::media::audio::{AudioBackend, NullBackend};
use lampboard::media::{ToneGenerator, dominant_frequency, goertzel};
use lampboard::sdp::Codec;
use std::sync::Arc;
use std::time::Duration;

/// How long to keep a test call running.
#[derive(Clone, Copy)]
enum Until {
    /// This much sound has been played (mute the talker halfway, when `mute`), or 10 s passed.
    Sound { millis: u64, mute: bool },
    /// A fixed time.
    Time(u64),
}

/// Non-zero samples played so far.
fn sound(b: &NullBackend) -> usize {
    b.played().samples.iter().filter(|&&s| s != 0).count()
}

/// Runs a call between a tone source and a listener; returns what the listener played, its
/// rate, and the events. Waits on what was played rather than on the clock, so a slow (debug,
/// loaded) machine only makes it take longer.
fn call(codec: Codec, pt: u8, until: Until, listener: NullBackend) -> (Vec<i16>, u32, Vec<Event>) {
    // One call at a time: these tests measure real-time audio, and the others' CPU load
    // would only make the ticks late.
    static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let (tx, rx) = std::sync::mpsc::channel();
    let sink = Sink::new(tx, Arc::new(|| {}));
    let played = rt.block_on(async {
        let a = tokio::net::UdpSocket::bind("127.0.0.1:0").await.expect("bind");
        let b = tokio::net::UdpSocket::bind("127.0.0.1:0").await.expect("bind");
        let (a_addr, b_addr) = (a.local_addr().expect("addr"), b.local_addr().expect("addr"));
        let tone = ToneGenerator::sine(1000.0, 10000, 48_000).next_frame(48_000 * 20);
        let talker: Box<dyn AudioBackend> = Box::new(NullBackend::with_input(tone, 48_000));
        let listener_box: Box<dyn AudioBackend> = Box::new(listener.clone());
        let files = AudioFiles::default();
        let (ta, ja) = spawn_with_backend(
            "a".into(),
            a,
            negotiated(codec.clone(), pt, b_addr),
            files.clone(),
            talker,
            sink.clone(),
        );
        let (tb, jb) =
            spawn_with_backend("b".into(), b, negotiated(codec, pt, a_addr), files, listener_box, sink.clone());
        let rate = |b: &NullBackend| u64::from(b.played().rate.max(1));
        match until {
            Until::Time(ms) => tokio::time::sleep(Duration::from_millis(ms)).await,
            Until::Sound { millis, mute } => {
                for _ in 0..200 {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    let heard_ms = sound(&listener) as u64 * 1000 / rate(&listener);
                    if mute && heard_ms >= millis / 2 {
                        let _ = ta.send(MediaCtl::Mute(true));
                        // Half a second more: the rest is silence.
                        tokio::time::sleep(Duration::from_millis(500)).await;
                        break;
                    }
                    if !mute && heard_ms >= millis {
                        break;
                    }
                }
            }
        }
        let _ = ta.send(MediaCtl::Stop);
        let _ = tb.send(MediaCtl::Stop);
        let _ = ja.await;
        let _ = jb.await;
        listener.played()
    });
    (played.samples, played.rate, rx.try_iter().collect())
}

#[test]
fn tone_crosses_the_device_path_for_each_codec() {
    for (codec, pt, rate) in [
        (Codec::new("PCMU", 8000, 1), 0, 8000),
        (Codec::new("G722", 8000, 1), 9, 16_000),
        (Codec::new("opus", 48000, 2), 111, 48_000),
    ] {
        let name = codec.name.clone();
        let (played, played_rate, events) =
            call(codec, pt, Until::Sound { millis: 1000, mute: false }, NullBackend::new());
        assert_eq!(played_rate, rate, "{name}: the speaker runs at the codec's sample rate");
        // Every 20 ms tick plays a frame at the codec's sample rate, silence until audio comes.
        assert_eq!(played.len() % (rate as usize / 50), 0, "{name}: whole frames");
        assert!(played.len() >= rate as usize, "{name}: {} samples played", played.len());
        // From the first sound on, skipping the codec's start-up.
        let heard: Vec<i16> = played.iter().copied().skip_while(|&s| s == 0).skip(rate as usize / 10).collect();
        assert!(heard.len() >= rate as usize / 2, "{name}: {} samples of sound", heard.len());
        let f = dominant_frequency(&heard, rate, 300.0..3400.0).expect("a tone");
        assert!((f - 1000.0).abs() <= 20.0, "{name}: heard {f} Hz");
        // SNR per 100 ms window; the median must reach 20 dB. (A tick that comes late on a
        // loaded machine costs a concealed frame; that must not decide the test.)
        let mut snr: Vec<f64> =
            heard.chunks_exact(rate as usize / 10).map(|w| goertzel(w, rate, 1000.0).snr_db).collect();
        snr.sort_by(f64::total_cmp);
        let median = snr[snr.len() / 2];
        assert!(median >= 20.0, "{name}: median SNR {median:.1} dB of {snr:?}");
        let opened: Vec<_> =
            events.iter().filter(|e| matches!(e, Event::Audio { state, .. } if state == "opened")).collect();
        assert_eq!(opened.len(), 4, "{name}: input and output opened on both sides: {events:?}");
        let media = events.iter().find_map(|e| match e {
            Event::Media { id, codec, rx_packets, .. } if id == "b" => Some((codec.clone(), *rx_packets)),
            _ => None,
        });
        let (codec_name, rx) = media.expect("media statistics");
        assert_eq!(codec_name, name);
        assert!(rx >= 40, "{name}: {rx} packets received");
    }
}

#[test]
fn muted_microphone_sends_silence() {
    let (played, rate, _) =
        call(Codec::new("PCMU", 8000, 1), 0, Until::Sound { millis: 1000, mute: true }, NullBackend::new());
    let start = played.iter().position(|&s| s != 0).expect("sound before muting");
    let end = played.iter().rposition(|&s| s != 0).expect("sound");
    assert!(end > start + 2400, "at least 0.3 s of sound before muting ({start}..{end})");
    let before = goertzel(&played[start + 400..end - 400], rate, 1000.0);
    assert!(before.power > 0.5 * before.total_power, "the tone before muting: {before:?}");
    // Everything after the last sound is silence, and there is plenty of it.
    let after = played.len() - end - 1;
    assert!(after >= rate as usize / 4, "silence after muting: {after} samples of {}", played.len());
}

#[test]
fn no_sound_card_is_reported_and_the_call_goes_on() {
    let (played, _, events) = call(Codec::new("PCMU", 8000, 1), 0, Until::Time(1000), NullBackend::without_devices());
    assert!(played.is_empty());
    let failed: Vec<String> = events
        .iter()
        .filter_map(|e| match e {
            Event::Audio { id: Some(id), state, reason: Some(r), role, .. } if id == "b" && state == "failed" => {
                Some(format!("{role}: {r}"))
            }
            _ => None,
        })
        .collect();
    assert_eq!(failed, vec!["input: no audio input device".to_string(), "output: no audio output device".to_string()]);
    let rx = events.iter().find_map(|e| match e {
        Event::Media { id, rx_packets, .. } if id == "b" => Some(*rx_packets),
        _ => None,
    });
    assert!(rx.expect("media statistics") >= 10, "RTP kept flowing: {events:?}");
}

/// A backend whose output device can be "unplugged": its streams report failure once the
/// flag is set, and it then opens on a second device.
#[derive(Clone, Default)]
struct Unpluggable {
    unplugged: Arc<std::sync::atomic::AtomicBool>,
}

struct FlakyOut {
    name: &'static str,
    unplugged: Option<Arc<std::sync::atomic::AtomicBool>>,
}

impl lampboard::media::audio::Playback for FlakyOut {
    fn device_name(&self) -> &str {
        self.name
    }
    fn write(&mut self, frame: &[i16]) -> usize {
        frame.len()
    }
    fn health(&self) -> lampboard::media::audio::StreamHealth {
        match &self.unplugged {
            Some(f) if f.load(std::sync::atomic::Ordering::SeqCst) => {
                lampboard::media::audio::StreamHealth::Failed(format!("{} stopped", self.name))
            }
            _ => lampboard::media::audio::StreamHealth::Running,
        }
    }
}

impl AudioBackend for Unpluggable {
    fn devices(&self) -> Result<Vec<lampboard::media::audio::DeviceInfo>, lampboard::media::audio::AudioError> {
        NullBackend::new().devices()
    }
    fn open_capture(
        &self,
        name: Option<&str>,
        rate: u32,
    ) -> Result<Box<dyn lampboard::media::audio::Capture>, lampboard::media::audio::AudioError> {
        NullBackend::new().open_capture(name, rate)
    }
    fn open_playback(
        &self,
        _name: Option<&str>,
        _rate: u32,
    ) -> Result<Box<dyn lampboard::media::audio::Playback>, lampboard::media::audio::AudioError> {
        if self.unplugged.load(std::sync::atomic::Ordering::SeqCst) {
            Ok(Box::new(FlakyOut { name: "speakers", unplugged: None }))
        } else {
            Ok(Box::new(FlakyOut { name: "headset", unplugged: Some(Arc::clone(&self.unplugged)) }))
        }
    }
}

#[test]
fn unplugged_output_moves_and_is_reported() {
    use lampboard::engine::audio_io::DeviceAudio;
    let (tx, rx) = std::sync::mpsc::channel();
    let sink = Sink::new(tx, Arc::new(|| {}));
    let backend = Unpluggable::default();
    let flag = Arc::clone(&backend.unplugged);
    let mut audio = DeviceAudio::open(Some("c1".into()), Box::new(backend), Default::default(), 8000);
    audio.tick(&sink);
    assert_eq!(audio.output_device(), Some("headset"));
    flag.store(true, std::sync::atomic::Ordering::SeqCst);
    audio.tick(&sink);
    assert_eq!(audio.output_device(), Some("speakers"), "the call moved to the other device");
    audio.tick(&sink);
    let events: Vec<Event> = rx.try_iter().collect();
    let moved: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            Event::Audio { role, state, device, reason, .. } if state == "moved" => {
                Some((role.clone(), device.clone(), reason.clone()))
            }
            _ => None,
        })
        .collect();
    assert_eq!(moved, vec![("output".into(), Some("speakers".into()), Some("headset stopped".into()))], "{events:?}");
}

#[test]
fn tones_follow_the_call_state() {
    use lampboard::engine::tones::Tones;
    use lampboard::media::audio::{AudioDevices, BackendKind};
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    rt.block_on(async {
        let (tx, _rx) = std::sync::mpsc::channel();
        let sink = Sink::new(tx, Arc::new(|| {}));
        let devices = AudioDevices { backend: BackendKind::Null, ..Default::default() };
        let mut tones = Tones::new(&AudioFiles { devices: devices.clone(), ..Default::default() });
        let call = |id: &str, state: &str, direction: &str| Event::Call {
            id: id.into(),
            state: state.into(),
            direction: direction.into(),
            remote: "1001".into(),
            code: None,
            reason: None,
        };
        tones.on_event(&call("c1", "ringing", "in"), &sink);
        tones.on_event(&call("c2", "ringing", "out"), &sink);
        assert!(tones.is_playing("c1") && tones.is_playing("c2"));
        tones.on_event(&call("c1", "answered", "in"), &sink);
        tones.on_event(&call("c2", "early", "out"), &sink);
        assert!(!tones.is_playing("c1") && !tones.is_playing("c2"), "early media replaces the local ring-back");
        // Calls with WAV files get no local tones.
        let mut files = Tones::new(&AudioFiles { play: Some("x.wav".into()), devices, ..Default::default() });
        files.on_event(&call("c3", "ringing", "in"), &sink);
        assert!(!files.is_playing("c3"));
    });
}

#[test]
fn changed_settings_move_a_running_call() {
    use lampboard::engine::audio_io::DeviceAudio;
    use lampboard::media::audio::AudioDevices;
    let (tx, rx) = std::sync::mpsc::channel();
    let sink = Sink::new(tx, Arc::new(|| {}));
    let mut audio = DeviceAudio::open(Some("c1".into()), Box::new(NullBackend::new()), AudioDevices::default(), 8000);
    audio.flush_events(&sink);
    audio.set_devices(AudioDevices { input: Some("usb-mic".into()), ..Default::default() });
    audio.flush_events(&sink);
    let moved: Vec<String> = rx
        .try_iter()
        .filter_map(|e| match e {
            Event::Audio { role, state, reason: Some(r), .. } if state == "moved" => Some(format!("{role}: {r}")),
            _ => None,
        })
        .collect();
    assert_eq!(
        moved,
        vec![
            "input: audio settings changed; no audio input device named \"usb-mic\"; using the default device"
                .to_string(),
            "output: audio settings changed".to_string()
        ]
    );
    assert_eq!(audio.input_device(), Some("null"));
}
