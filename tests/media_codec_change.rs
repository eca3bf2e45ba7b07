//! A re-INVITE that changes the codec mid-call: the media task rebuilds everything for the new
//! codec on the same socket (PCMU at 8 kHz → G.722 at 16 kHz here) and the audio goes on. Two
//! media tasks on loopback with WAV files: the talker plays a 1 kHz tone, the listener
//! records; after the change the listener's second recording (`rec-b-G722-1.wav`, a WAV cannot
//! change its rate) holds the tone too, and each codec's segment reports its own `media` event.

#[path = "support/negotiated.rs"]
mod negotiated;
use negotiated::negotiated;

use lampboard::api::Event;
use lampboard::engine::Sink;
use lampboard::engine::media::{AudioFiles, MediaCtl, per_call_path, spawn_with_backend};
use lampboard::media::audio::NullBackend;
use lampboard::media::{ToneGenerator, WavWriter, dominant_frequency, goertzel, read_wav_file};
use lampboard::sdp::Codec;
use std::sync::Arc;
use std::time::Duration;

/// The middle half of a recording: (frequency, SNR at 1 kHz).
fn tone_in(path: &std::path::Path) -> (f64, f64) {
    let w = read_wav_file(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let n = w.samples.len();
    assert!(n > w.sample_rate as usize / 2, "{}: only {n} samples", path.display());
    let mid = &w.samples[n / 4..n * 3 / 4];
    let f = dominant_frequency(mid, w.sample_rate, 300.0..3400.0).expect("a tone");
    (f, goertzel(mid, w.sample_rate, 1000.0).snr_db)
}

#[test]
fn a_codec_change_rebuilds_the_media_and_the_tone_goes_on() {
    let tmp = tempfile::tempdir().unwrap();
    let tone = tmp.path().join("tone.wav");
    let mut w = WavWriter::create(&tone, 16_000).unwrap();
    w.write_samples(&ToneGenerator::sine(1000.0, 10_000, 16_000).next_frame(16_000 * 8)).unwrap();
    w.finish().unwrap();
    let rec = tmp.path().join("rec.wav");

    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let sink = Sink::new(tx, Arc::new(|| {}));
    rt.block_on(async {
        let a = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let b = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let (a_addr, b_addr) = (a.local_addr().unwrap(), b.local_addr().unwrap());
        let talk = AudioFiles { play: Some(tone.clone()), ..AudioFiles::default() };
        let listen = AudioFiles { record: Some(rec.clone()), ..AudioFiles::default() };
        let pcmu = Codec::new("PCMU", 8000, 1);
        let g722 = Codec::new("G722", 8000, 1);
        let (ta, ja) = spawn_with_backend(
            "a".into(),
            a,
            negotiated(pcmu.clone(), 0, b_addr),
            talk,
            Box::new(NullBackend::new()),
            sink.clone(),
        );
        let (tb, jb) =
            spawn_with_backend("b".into(), b, negotiated(pcmu, 0, a_addr), listen, Box::new(NullBackend::new()), sink);
        tokio::time::sleep(Duration::from_millis(2500)).await;
        // Both sides' re-INVITE outcome: G.722 from now on.
        ta.send(MediaCtl::Update(Box::new(negotiated(g722.clone(), 9, b_addr)))).unwrap();
        tb.send(MediaCtl::Update(Box::new(negotiated(g722, 9, a_addr)))).unwrap();
        tokio::time::sleep(Duration::from_millis(2500)).await;
        ta.send(MediaCtl::Stop).unwrap();
        tb.send(MediaCtl::Stop).unwrap();
        let _ = ja.await;
        let _ = jb.await;
    });
    let events: Vec<Event> = rx.try_iter().collect();
    let media: Vec<(String, String, u64)> = events
        .iter()
        .filter_map(|e| match e {
            Event::Media { id, codec, rx_packets, .. } => Some((id.clone(), codec.clone(), *rx_packets)),
            _ => None,
        })
        .collect();
    for who in ["a", "b"] {
        let codecs: Vec<&str> = media.iter().filter(|m| m.0 == who).map(|m| m.1.as_str()).collect();
        assert_eq!(codecs, ["PCMU", "G722"], "one media event per codec for {who}: {media:?}");
    }
    assert!(media.iter().filter(|m| m.0 == "b").all(|m| m.2 > 50), "audio in both segments: {media:?}");
    for path in [rec.clone(), per_call_path(&rec, "b-G722-1")] {
        let (f, snr) = tone_in(&path);
        assert!((f - 1000.0).abs() <= 20.0, "{}: {f} Hz", path.display());
        assert!(snr >= 20.0, "{}: SNR {snr:.1} dB", path.display());
    }
    assert_eq!(read_wav_file(per_call_path(&rec, "b-G722-1")).unwrap().sample_rate, 16_000, "G.722 is 16 kHz audio");
}
