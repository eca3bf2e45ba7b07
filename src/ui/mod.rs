//! The desktop app (egui/eframe). It talks to the engine only through `api::Command` and
//! `api::Event`; the console views arrive with their issues.

use eframe::egui;

/// The application state drawn each frame.
pub struct LampboardApp {
    demo: bool,
}

impl LampboardApp {
    /// A new app; `demo` selects the embedded demo office.
    pub fn new(demo: bool) -> Self {
        Self { demo }
    }
}

impl eframe::App for LampboardApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        egui::CentralPanel::default().show(ui, |ui| {
            ui.heading("Lampboard");
            ui.label("SIP softphone and attendant console");
            if self.demo {
                ui.label("Demo office: no PBX configured.");
            }
        });
    }
}

/// Opens the main window and runs until it is closed.
pub fn run(demo: bool) -> eframe::Result {
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default().with_title("Lampboard").with_inner_size([960.0, 640.0]),
        renderer: eframe::Renderer::Glow,
        ..Default::default()
    };
    eframe::run_native("Lampboard", options, Box::new(move |_cc| Ok(Box::new(LampboardApp::new(demo)))))
}
