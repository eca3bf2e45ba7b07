//! `lampboard devices`: the sound devices as JSON lines,
//! `{"event":"audio_device","kind":"input|output","name":…,"default":bool}`; with no device at
//! all, one `{"event":"audio_error","reason":…}` line and exit code 3.

use super::EXIT_FAILURE;
use crate::media::audio::{AudioBackend, BackendKind, DeviceInfo};
use clap::Args;
use serde::Serialize;
use std::io::Write;

/// `lampboard devices`.
#[derive(Debug, Args, Clone)]
pub struct DevicesArgs {
    /// `device` (the sound card through cpal) or `null`.
    #[arg(long, default_value = "device")]
    pub audio: BackendKind,
}

#[derive(Serialize)]
struct DeviceLine<'a> {
    event: &'static str,
    kind: &'static str,
    name: &'a str,
    default: bool,
}

/// One JSON line for a device.
pub fn device_line(d: &DeviceInfo) -> String {
    let line = DeviceLine { event: "audio_device", kind: d.kind.as_str(), name: &d.name, default: d.default };
    // Serialising a struct of strings and a bool cannot fail.
    serde_json::to_string(&line).unwrap_or_default()
}

/// Runs `lampboard devices`; returns the exit code.
pub fn devices(args: &DevicesArgs) -> i32 {
    let backend: Box<dyn AudioBackend> =
        crate::media::audio::AudioDevices { backend: args.audio, ..Default::default() }.backend();
    let mut out = std::io::stdout().lock();
    match backend.devices() {
        Ok(list) if !list.is_empty() => {
            for d in &list {
                let _ = writeln!(out, "{}", device_line(d));
            }
            0
        }
        Ok(_) => {
            let _ = writeln!(out, "{}", serde_json::json!({"event": "audio_error", "reason": "no audio device"}));
            EXIT_FAILURE
        }
        Err(e) => {
            let _ = writeln!(out, "{}", serde_json::json!({"event": "audio_error", "reason": e.to_string()}));
            EXIT_FAILURE
        }
    }
}
