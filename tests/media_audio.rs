//! The audio device layer without a sound card: the null backend, the device callbacks'
//! no-allocation path (counted with a global allocator), the rubato rate converter keeping a
//! tone's frequency, the hot-plug watcher, and clear errors when there is no device.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use lampboard::media::audio::ring::{StreamStatus, capture_into_ring, mono_ring, playback_from_ring};
use lampboard::media::audio::watch::StreamRole;
use lampboard::media::audio::{
    AudioBackend, AudioError, DeviceInfo, DeviceKind, DeviceWatcher, NullBackend, RateConverter, WatchAction,
    f32_to_i16, i16_to_f32,
};
use lampboard::media::{ToneGenerator, dominant_frequency, goertzel};

/// Counts allocations made by the current thread.
struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: forwards to the system allocator; only a thread-local counter is added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations() -> u64 {
    ALLOCATIONS.with(|c| c.get())
}

#[test]
fn callbacks_do_not_allocate() {
    let (mut producer, mut consumer) = mono_ring(48_000);
    let status = StreamStatus::new();
    // Stereo i16 in, as a device delivers it; stereo f32 out.
    let stereo_in: Vec<i16> = (0..4096).map(|i| if i % 2 == 0 { 1000 } else { 3000 }).collect();
    let mut stereo_out = vec![0.0f32; 4096];
    let before = allocations();
    for _ in 0..10 {
        capture_into_ring(&stereo_in, 2, i16_to_f32, &mut producer, &status);
        playback_from_ring(&mut stereo_out, 2, |x| x, &mut consumer, &status);
    }
    let after = allocations();
    assert_eq!(after - before, 0, "device callbacks allocated");
    // Mixdown: the mean of the two channels on both output channels.
    let expected = (i16_to_f32(1000) + i16_to_f32(3000)) / 2.0;
    assert!(stereo_out.iter().all(|&s| (s - expected).abs() < 1e-6), "{:?}", &stereo_out[..4]);
    assert_eq!(status.xruns.load(std::sync::atomic::Ordering::Relaxed), 0);
    // An empty ring plays silence and counts the underrun.
    playback_from_ring(&mut stereo_out, 2, |x| x, &mut consumer, &status);
    assert!(stereo_out.iter().all(|&s| s == 0.0));
    assert_eq!(status.xruns.load(std::sync::atomic::Ordering::Relaxed), 2048);
}

#[test]
fn converter_push_and_pop_do_not_allocate_after_warm_up() {
    let mut conv = RateConverter::new(48_000, 8000).expect("rates");
    let input = vec![0.25f32; 960];
    let mut out = vec![0.0f32; 160];
    conv.push(&input);
    conv.pop(&mut out);
    let before = allocations();
    for _ in 0..50 {
        conv.push(&input);
        conv.pop(&mut out);
    }
    assert_eq!(allocations() - before, 0, "the rate converter allocated");
}

/// Converts a tone in 20 ms pieces (as the call does) and returns the output as i16.
fn convert(from: u32, to: u32, frequency: f64, seconds: usize) -> Vec<i16> {
    let mut conv = RateConverter::new(from, to).expect("rates");
    let mut tone = ToneGenerator::sine(frequency, 12000, from);
    let mut out = Vec::new();
    let mut buf = vec![0.0f32; to as usize / 50];
    for _ in 0..seconds * 50 {
        let frame: Vec<f32> = tone.next_frame(from as usize / 50).into_iter().map(i16_to_f32).collect();
        conv.push(&frame);
        let n = conv.pop(&mut buf);
        out.extend(buf[..n].iter().map(|&s| f32_to_i16(s)));
    }
    out
}

#[test]
fn resampler_keeps_tone_frequency() {
    for (from, to, f) in [
        (48_000, 8000, 1000.0),
        (48_000, 16_000, 3000.0),
        (8000, 48_000, 1000.0),
        (16_000, 48_000, 5000.0),
        (44_100, 8000, 700.0),
        (44_100, 16_000, 1000.0),
    ] {
        let out = convert(from, to, f, 2);
        let expected_len = 2 * to as usize;
        assert!(out.len() + (to as usize / 25) >= expected_len, "{from}→{to}: {} samples", out.len());
        let steady = &out[to as usize / 5..];
        let found = dominant_frequency(steady, to, 100.0..(f64::from(to) / 2.0 - 100.0)).expect("a tone");
        assert!((found - f).abs() <= 0.02 * f, "{from}→{to}: {f} Hz became {found} Hz");
        let m = goertzel(steady, to, f);
        assert!(m.snr_db >= 30.0, "{from}→{to}: SNR {:.1} dB", m.snr_db);
    }
}

#[test]
fn resampler_removes_what_the_codec_rate_cannot_carry() {
    // 6 kHz at 48 kHz would fold to 2 kHz at 8 kHz.
    let out = convert(48_000, 8000, 6000.0, 1);
    let alias = goertzel(&out[1600..], 8000, 2000.0);
    let level = 12000.0f64 * 12000.0 / 2.0;
    assert!(alias.power < level * 1e-3, "alias at {:.1} dB", 10.0 * (alias.power / level).log10());
}

#[test]
fn null_backend_lists_opens_and_records() {
    let tone = ToneGenerator::sine(1000.0, 8000, 8000).next_frame(1600);
    let backend = NullBackend::with_input(tone.clone(), 8000);
    let devices = backend.devices().expect("list");
    assert_eq!(devices.len(), 2);
    assert!(devices.iter().all(|d| d.default && d.name == "null"));
    let mut mic = backend.open_capture(None, 16_000).expect("capture");
    let mut frame = vec![0i16; 320];
    assert_eq!(mic.read(&mut frame), 320);
    let f = dominant_frequency(&frame, 16_000, 300.0..3400.0).expect("tone at 16 kHz");
    assert!((f - 1000.0).abs() < 20.0, "{f}");
    for _ in 0..9 {
        mic.read(&mut frame);
    }
    assert_eq!(mic.read(&mut frame), 0, "after the signal: silence");
    assert!(frame.iter().all(|&s| s == 0));

    let mut speaker = backend.open_playback(Some("null"), 8000).expect("playback");
    assert_eq!(speaker.write(&tone[..160]), 160);
    assert_eq!(backend.played().samples, tone[..160].to_vec());
    assert_eq!(backend.played().rate, 8000);
    assert_eq!(
        backend.open_playback(Some("USB headset"), 8000).err(),
        Some(AudioError::NotFound { kind: DeviceKind::Output, name: "USB headset".into() })
    );
}

#[test]
fn no_device_is_a_clear_error() {
    let backend = NullBackend::without_devices();
    assert_eq!(backend.devices().expect("list"), Vec::new());
    let err = backend.open_playback(None, 8000).err().expect("no device");
    assert_eq!(err.to_string(), "no audio output device");
    let err = backend.open_capture(None, 8000).err().expect("no device");
    assert_eq!(err.to_string(), "no audio input device");
}

/// The cpal backend on this machine: whatever it finds, it answers with a list or a clear
/// error, and never panics (CI machines have no sound card).
#[test]
fn cpal_backend_never_panics() {
    let backend = lampboard::media::audio::CpalBackend::new();
    match backend.devices() {
        Ok(list) => println!("devices: {list:?}"),
        Err(e) => println!("no devices: {e}"),
    }
    match backend.open_playback(Some("no such device, surely"), 8000) {
        Err(AudioError::NotFound { .. } | AudioError::NoDevice { .. }) => {}
        Err(e) => panic!("unexpected error {e}"),
        Ok(_) => panic!("a device with that name exists?"),
    }
    match backend.open_playback(None, 8000) {
        Ok(mut p) => {
            println!("default output: {}", p.device_name());
            p.write(&[0; 160]);
        }
        Err(e) => {
            let text = e.to_string();
            println!("default output: {text}");
            assert!(text.starts_with("no audio output device") || text.starts_with("cannot open"), "{text}");
        }
    }
}

fn device(kind: DeviceKind, name: &str, default: bool) -> DeviceInfo {
    DeviceInfo { kind, name: name.into(), default }
}

#[test]
fn watcher_moves_streams_on_hot_plug() {
    let mut w = DeviceWatcher::new();
    // The headset is configured but missing: the output fell back to the default.
    w.opened(StreamRole::Output, Some("headset"), "default");
    w.opened(StreamRole::Input, None, "default");
    w.devices_listed(&[device(DeviceKind::Output, "default", true), device(DeviceKind::Input, "default", true)]);
    assert_eq!(w.poll_action(), None, "nothing changed");
    // Plugged in: the output moves to it.
    w.devices_listed(&[
        device(DeviceKind::Output, "default", true),
        device(DeviceKind::Output, "headset", false),
        device(DeviceKind::Input, "default", true),
    ]);
    assert_eq!(
        w.poll_action(),
        Some(WatchAction::Reopen { role: StreamRole::Output, reason: "headset is back".into() })
    );
    assert_eq!(w.poll_action(), None);
    w.opened(StreamRole::Output, Some("headset"), "headset");
    // Unplugged mid-call: the stream's error callback fires; one re-open, not one per tick.
    w.stream_failed(StreamRole::Output, "headset stopped");
    w.stream_failed(StreamRole::Output, "headset stopped");
    assert_eq!(
        w.poll_action(),
        Some(WatchAction::Reopen { role: StreamRole::Output, reason: "headset stopped".into() })
    );
    assert_eq!(w.poll_action(), None);
    w.opened(StreamRole::Output, Some("headset"), "default");
    // The default input changes (a USB microphone became the default).
    w.devices_listed(&[
        device(DeviceKind::Output, "default", true),
        device(DeviceKind::Input, "default", false),
        device(DeviceKind::Input, "usb-mic", true),
    ]);
    assert_eq!(
        w.poll_action(),
        Some(WatchAction::Reopen { role: StreamRole::Input, reason: "the default input device is now usb-mic".into() })
    );
    // No device at all, then one appears: retried.
    w.open_failed(StreamRole::Input, None);
    w.devices_listed(&[]);
    assert_eq!(w.poll_action(), None);
    w.devices_listed(&[device(DeviceKind::Input, "usb-mic", true)]);
    assert!(matches!(w.poll_action(), Some(WatchAction::Reopen { role: StreamRole::Input, .. })));
    // A closed stream is left alone.
    w.closed(StreamRole::Output);
    w.stream_failed(StreamRole::Output, "gone");
    assert_eq!(w.poll_action(), None);
}

/// A real cpal stream on ALSA's `null` device (in every alsa-lib configuration, no sound card
/// needed): the callbacks run, the rings move samples, the streams stay healthy.
#[test]
fn cpal_streams_on_the_alsa_null_device() {
    let backend = lampboard::media::audio::CpalBackend::new();
    let Ok(list) = backend.devices() else {
        println!("no audio host here; nothing to test");
        return;
    };
    if !list.iter().any(|d| d.name == "null" && d.kind == DeviceKind::Output) {
        println!("no ALSA null device listed ({list:?}); nothing to test");
        return;
    }
    let mut speaker = backend.open_playback(Some("null"), 16_000).expect("ALSA null output opens");
    assert_eq!(speaker.device_name(), "null");
    let tone = ToneGenerator::sine(1000.0, 8000, 16_000).next_frame(320);
    let mut mic = backend.open_capture(Some("null"), 8000).expect("ALSA null input opens");
    let mut frame = vec![1i16; 160];
    let mut captured = 0;
    for _ in 0..25 {
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert_eq!(speaker.write(&tone), 320);
        captured += mic.read(&mut frame);
    }
    assert_eq!(speaker.health(), lampboard::media::audio::StreamHealth::Running);
    assert_eq!(mic.health(), lampboard::media::audio::StreamHealth::Running);
    assert!(captured > 0, "the capture callback delivered samples");
    assert!(frame.iter().all(|&s| s.unsigned_abs() < 2), "the null device captures silence");
}
