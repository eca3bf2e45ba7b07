//! The engine's per-call media task on the device path, with the null backend standing in for
//! the sound card: two tasks on loopback, one "capturing" a tone, the other "playing" what it
//! receives. Checks the sample-rate/clock-rate split of G.722 and Opus end to end, mute, and
//! that a missing sound card is reported without ending the call.

use lampboard::api::Event;
use lampboard::engine::Sink;
use lampboard::engine::media::{AudioFiles, MediaCtl, spawn_with_backend};
use lampboard::media::audio::{AudioBackend, NullBackend};
use lampboard::media::{ToneGenerator, dominant_frequency, goertzel};
use lampboard::sdp::{Codec, Direction, Dtmf, Negotiated};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

fn negotiated(codec: Codec, pt: u8, remote: SocketAddr) -> Negotiated {
    Negotiated {
        codec,
        payload_type: pt,
        fmtp: None,
        dtmf: Some(Dtmf { payload_type: 101, clock_rate: 8000 }),
        remote_rtp: remote,
        remote_rtcp: SocketAddr::new(remote.ip(), remote.port() + 1),
        ptime: 20,
        local_direction: Direction::SendRecv,
        remote_direction: Direction::SendRecv,
    }
}

/// Runs a call of `millis` between a tone source and a listener; returns what the listener
/// played and its rate, and the events.
fn call(codec: Codec, pt: u8, mute_at: Option<u64>, millis: u64, listener: NullBackend) -> (Vec<i16>, u32, Vec<Event>) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let (tx, rx) = std::sync::mpsc::channel();
    let sink = Sink::new(tx, Arc::new(|| {}));
    let played = rt.block_on(async {
        let a = tokio::net::UdpSocket::bind("127.0.0.1:0").await.expect("bind");
        let b = tokio::net::UdpSocket::bind("127.0.0.1:0").await.expect("bind");
        let (a_addr, b_addr) = (a.local_addr().expect("addr"), b.local_addr().expect("addr"));
        let tone = ToneGenerator::sine(1000.0, 10000, 48_000).next_frame(48 * millis as usize);
        let talker: Box<dyn AudioBackend> = Box::new(NullBackend::with_input(tone, 48_000));
        let listener_box: Box<dyn AudioBackend> = Box::new(listener.clone());
        let (ta, ja) = spawn_with_backend(
            "a".into(),
            a,
            negotiated(codec.clone(), pt, b_addr),
            AudioFiles::default(),
            talker,
            sink.clone(),
        );
        let (tb, jb) = spawn_with_backend(
            "b".into(),
            b,
            negotiated(codec, pt, a_addr),
            AudioFiles::default(),
            listener_box,
            sink.clone(),
        );
        if let Some(at) = mute_at {
            tokio::time::sleep(Duration::from_millis(at)).await;
            let _ = ta.send(MediaCtl::Mute(true));
            tokio::time::sleep(Duration::from_millis(millis - at)).await;
        } else {
            tokio::time::sleep(Duration::from_millis(millis)).await;
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
        let (played, played_rate, events) = call(codec, pt, None, 1500, NullBackend::new());
        assert_eq!(played_rate, rate, "{name}: the speaker runs at the codec's sample rate");
        // Every 20 ms tick plays a frame at the codec's sample rate, silence until audio comes.
        assert_eq!(played.len() % (rate as usize / 50), 0, "{name}: whole frames");
        assert!(played.len() >= rate as usize, "{name}: {} samples played", played.len());
        // From the first sound on (starting is slow in debug builds: the null backend
        // resamples its whole input when the stream opens), skipping the codec's start-up.
        let heard: Vec<i16> = played.iter().copied().skip_while(|&s| s == 0).skip(rate as usize / 10).collect();
        assert!(heard.len() >= rate as usize / 2, "{name}: {} samples of sound", heard.len());
        let f = dominant_frequency(&heard, rate, 300.0..3400.0).expect("a tone");
        assert!((f - 1000.0).abs() <= 20.0, "{name}: heard {f} Hz");
        let m = goertzel(&heard[..heard.len() * 3 / 4], rate, 1000.0);
        assert!(m.snr_db >= 20.0, "{name}: SNR {:.1} dB", m.snr_db);
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
    let (played, rate, _) = call(Codec::new("PCMU", 8000, 1), 0, Some(1000), 2000, NullBackend::new());
    let n = played.len();
    let start = played.iter().position(|&s| s != 0).expect("sound before muting");
    assert!(start + rate as usize <= n, "{n} samples, sound from {start}");
    let end = played.iter().rposition(|&s| s != 0).expect("sound");
    assert!(end > start + 2400, "at least 0.3 s of sound before muting ({start}..{end})");
    let before = goertzel(&played[start + 400..end - 400], rate, 1000.0);
    assert!(before.snr_db > 20.0, "the tone before muting: {before:?}");
    let after = &played[n - rate as usize / 2..];
    assert!(after.iter().all(|s| s.unsigned_abs() < 100), "silence after muting");
}

#[test]
fn no_sound_card_is_reported_and_the_call_goes_on() {
    let (played, _, events) = call(Codec::new("PCMU", 8000, 1), 0, None, 1000, NullBackend::without_devices());
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
