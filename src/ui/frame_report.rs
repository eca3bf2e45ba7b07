//! Frame reports on stderr, for the performance bench (`benches/startup.rs`): off unless the
//! environment asks for them, one JSON line each, so a bench reading the app's stderr can
//! tell when the first frame was drawn and count the frames drawn afterwards.
//!
//! * `LAMPBOARD_REPORT_FIRST_FRAME=1`: after the first `ui()` pass of the window,
//!   `{"event":"first_frame","ms":…,"keys":…}`.
//! * `LAMPBOARD_COUNT_FRAMES=1`: after every `ui()` pass, `{"event":"frame","n":…,"ms":…}`
//!   (`n`: egui's frame number).
//!
//! `ms` counts from [`mark_window_requested`] (the call that opens the window, before the
//! window and its GL context exist), or from the first report when it was never called.

use std::sync::OnceLock;
use std::time::Instant;

static WINDOW_REQUESTED: OnceLock<Instant> = OnceLock::new();

/// Notes now as the moment the window was asked for (the first call counts).
pub fn mark_window_requested() {
    let _ = WINDOW_REQUESTED.set(Instant::now());
}

/// What to report, and whether the first frame was reported yet.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FrameReport {
    first: bool,
    every: bool,
    first_done: bool,
}

impl FrameReport {
    /// Reports the first frame and/or every frame.
    pub fn new(first: bool, every: bool) -> Self {
        Self { first, every, first_done: false }
    }

    /// As the environment says (both off when unset); `None` when nothing is to be reported.
    pub fn from_env() -> Option<Self> {
        let on = |name: &str| std::env::var(name).is_ok_and(|v| !matches!(v.trim(), "" | "0"));
        let r = Self::new(on("LAMPBOARD_REPORT_FIRST_FRAME"), on("LAMPBOARD_COUNT_FRAMES"));
        (r.first || r.every).then_some(r)
    }

    /// The lines for a frame just drawn: egui's frame number `frame_nr`, `ms` since the
    /// window was asked for, `keys` on the wall.
    pub fn lines(&mut self, frame_nr: u64, ms: f64, keys: usize) -> Vec<String> {
        let mut out = Vec::new();
        if self.first && !self.first_done {
            out.push(format!("{{\"event\":\"first_frame\",\"ms\":{ms:.1},\"keys\":{keys}}}"));
        }
        self.first_done = true;
        if self.every {
            out.push(format!("{{\"event\":\"frame\",\"n\":{frame_nr},\"ms\":{ms:.1}}}"));
        }
        out
    }

    /// Writes the lines for the frame just drawn to stderr.
    pub fn report(&mut self, frame_nr: u64, keys: usize) {
        let t0 = *WINDOW_REQUESTED.get_or_init(Instant::now);
        let ms = t0.elapsed().as_secs_f64() * 1000.0;
        for line in self.lines(frame_nr, ms, keys) {
            eprintln!("{line}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_frame_is_reported_once_and_every_frame_when_asked() {
        let mut r = FrameReport::new(true, false);
        assert_eq!(r.lines(1, 812.04, 1000), vec![r#"{"event":"first_frame","ms":812.0,"keys":1000}"#.to_owned()]);
        assert!(r.lines(2, 900.0, 1000).is_empty());
        let mut r = FrameReport::new(true, true);
        assert_eq!(r.lines(0, 5.0, 3).len(), 2);
        assert_eq!(r.lines(7, 6.31, 3), vec![r#"{"event":"frame","n":7,"ms":6.3}"#.to_owned()]);
    }
}
