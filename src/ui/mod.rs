//! The desktop console (egui/eframe). It talks to the engine only through `api::Command`
//! and `api::Event`, over an [`EngineLink`]: the real engine, the embedded demo office
//! ([`crate::demo`]) or a test double.
//!
//! * [`app`]: the eframe app (`logic()` drains events, `ui()` draws).
//! * [`state`]: the view model (keys, lamps, calls, own status, registration).
//! * [`views`]: wall, list, status bar, calls, key editor.
//! * [`widgets`]: our icons and the key widget. [`theme`]: every colour and size.
//! * [`frame_report`]: first-frame time and frame count on stderr, for the bench.

pub mod account_form;
pub mod app;
pub mod frame_report;
pub mod led_profile;
pub mod link;
pub mod registration_test;
pub mod state;
pub mod theme;
pub mod views;
pub mod widgets;

pub use app::LampboardApp;
pub use link::{ChannelLink, EngineLink, NullLink};
pub use state::{ConsoleState, KeyDef, KeyKind};

use eframe::egui;

/// The demo's seed when none is given (the office plays the same day every time).
pub const DEMO_SEED: u64 = 0x1a3b_0a2d;

/// Opens the main window and runs until it is closed: on the embedded demo office when
/// `demo`, else on no engine at all (nothing configured yet).
pub fn run(demo: bool) -> eframe::Result {
    if demo {
        run_with(|_ctx| LampboardApp::demo(DEMO_SEED))
    } else {
        run_with(|_ctx| LampboardApp::new(Box::new(NullLink), Vec::new(), false))
    }
}

/// Opens the main window with the app `make` builds; `make` gets the egui context so it can
/// hand the engine a waker (`ctx.request_repaint`).
pub fn run_with(make: impl FnOnce(&egui::Context) -> LampboardApp + 'static) -> eframe::Result {
    frame_report::mark_window_requested();
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default().with_title("Lampboard").with_inner_size([1280.0, 800.0]),
        renderer: eframe::Renderer::Glow,
        ..Default::default()
    };
    eframe::run_native("Lampboard", options, Box::new(move |cc| Ok(Box::new(make(&cc.egui_ctx)))))
}
