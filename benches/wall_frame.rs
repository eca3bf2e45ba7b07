//! CPU time of one console frame with 1,000 keys on the wall: egui layout of the whole app
//! (status bar, calls panel, the visible keys) plus tessellation, no GPU. Also reports
//! whether an unchanging wall asks for repaints.
//!
//! `cargo bench --bench wall_frame` (prints medians in ms; release profile).

use eframe::egui;
use lampboard::api::{Event, LampEvent};
use lampboard::ui::{ChannelLink, KeyDef, KeyKind, LampboardApp, views::WallMode};
use std::time::{Duration, Instant};

const KEYS: usize = 1000;
const WARMUP: usize = 30;
const FRAMES: usize = 300;

fn lamp(i: usize, ringing_every: usize) -> LampEvent {
    let statuses = ["available", "away", "chat", "dnd", "unavailable", "custom"];
    let status = statuses[i % statuses.len()];
    let line = if ringing_every > 0 && i.is_multiple_of(ringing_every) {
        "ringing"
    } else if i.is_multiple_of(7) {
        "busy"
    } else if status == "unavailable" {
        "offline"
    } else {
        "idle"
    };
    LampEvent {
        ext: (10_000 + i).to_string(),
        uri: format!("sip:{}@bench.invalid", 10_000 + i),
        status: status.into(),
        note: (status == "custom").then(|| "In a meeting".into()),
        label: status.into(),
        line: line.into(),
        led: if matches!(line, "ringing" | "busy") || matches!(status, "chat" | "dnd") { "red" } else { "green" }
            .into(),
        blink: line == "ringing",
        fresh: !i.is_multiple_of(23),
        freshness: if i.is_multiple_of(23) { "stale" } else { "fresh" }.into(),
        caller: (line == "ringing").then(|| "Caller Name (2002)".into()),
        peer: (line == "busy").then(|| "Peer Name (3003)".into()),
        reason: None,
        blf_led: "green".into(),
        blf_blink: false,
    }
}

fn app(ringing_every: usize) -> LampboardApp {
    let keys: Vec<KeyDef> = (0..KEYS)
        .map(|i| {
            let kind = if i % 10 == 9 { KeyKind::Blf } else { KeyKind::Presence };
            KeyDef::new(&(10_000 + i).to_string(), &format!("Colleague Number {i}"), kind, &format!("Page {}", i / 100))
        })
        .collect();
    let (tx, rx) = std::sync::mpsc::channel();
    for i in 0..KEYS {
        let _ = tx.send(Event::Lamp(lamp(i, ringing_every)));
    }
    LampboardApp::new(Box::new(ChannelLink::new(|_| {}, rx)), keys, false)
}

struct Run {
    median_ms: f64,
    p95_ms: f64,
    idle_repaint: Duration,
}

fn measure(app: &mut LampboardApp, list: bool) -> Run {
    let ctx = egui::Context::default();
    let mut times = Vec::with_capacity(FRAMES);
    let mut idle_repaint = Duration::MAX;
    for f in 0..WARMUP + FRAMES {
        let input = egui::RawInput {
            screen_rect: Some(egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(1600.0, 1000.0))),
            time: Some(f as f64 / 60.0),
            ..Default::default()
        };
        let t = Instant::now();
        let out = ctx.run_ui(input, |ui| {
            app.pump(ui.ctx());
            if list && f == 0 {
                app.set_wall_mode(WallMode::List);
            }
            app.draw(ui);
        });
        let prims = ctx.tessellate(out.shapes, out.pixels_per_point);
        let dt = t.elapsed();
        std::hint::black_box(prims);
        if f >= WARMUP {
            times.push(dt.as_secs_f64() * 1000.0);
            if let Some(v) = out.viewport_output.get(&egui::ViewportId::ROOT) {
                idle_repaint = idle_repaint.min(v.repaint_delay);
            }
        }
    }
    times.sort_by(f64::total_cmp);
    Run { median_ms: times[times.len() / 2], p95_ms: times[times.len() * 95 / 100], idle_repaint }
}

fn main() {
    println!(
        "wall_frame: {KEYS} keys, 1600x1000 points, {FRAMES} frames after {WARMUP} warm-up (layout + tessellation)"
    );
    for (name, ringing_every, list) in
        [("wall, 1 in 20 ringing", 20, false), ("wall, nothing moving", 0, false), ("list view", 20, true)]
    {
        let mut a = app(ringing_every);
        let r = measure(&mut a, list);
        let idle = if r.idle_repaint == Duration::MAX { "none".to_owned() } else { format!("{:?}", r.idle_repaint) };
        println!(
            "{name:>24}: median {:.2} ms/frame, p95 {:.2} ms; shortest repaint request: {idle}",
            r.median_ms, r.p95_ms
        );
    }
}
