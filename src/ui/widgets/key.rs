//! One key of the wall, painted by hand (icon, name in the label colour, number and line
//! text, LED), with an accessible name that says the colleague and the state.

use super::icons;
use crate::api::LampEvent;
use crate::ui::state::{KeyDef, KeyKind, Look, line_text};
use crate::ui::theme;
use eframe::egui::{
    self, Align2, Color32, FontId, Painter, Pos2, Rect, Response, Sense, Stroke, StrokeKind, Ui, WidgetInfo, pos2,
    text::LayoutJob, vec2,
};

/// What to draw for one key this frame.
pub struct KeyPaint<'a> {
    /// The key.
    pub def: &'a KeyDef,
    /// Its lamp, if one came.
    pub lamp: Option<&'a LampEvent>,
    /// Its look (from the state).
    pub look: Look,
    /// The UI clock (seconds), for the blink phase.
    pub now: f64,
    /// Drawn with the "selected" border (edit mode, drop target).
    pub highlighted: bool,
    /// Which LED the key shows.
    pub led_profile: crate::ui::led_profile::LedProfile,
}

/// Allocates and paints a key of `size`; `description` is its accessible name (built only
/// when a screen reader or test asks).
pub fn key_ui(ui: &mut Ui, size: egui::Vec2, k: &KeyPaint<'_>, description: impl Fn() -> String) -> Response {
    let (rect, resp) = ui.allocate_exact_size(size, Sense::click_and_drag());
    resp.widget_info(|| WidgetInfo::labeled(egui::Role::Button, true, description()));
    if ui.is_rect_visible(rect) {
        paint(ui.painter(), rect, k, resp.hovered());
    }
    resp
}

/// Whether the blink of `look` is in its lit phase at `now`.
pub fn blink_lit(look: Look, now: f64) -> bool {
    let period = match look {
        Look::Ringing => theme::BLINK_FAST_PERIOD,
        Look::Held => theme::BLINK_SLOW_PERIOD,
        _ => return true,
    };
    (now % period) < period / 2.0
}

fn paint(p: &Painter, rect: Rect, k: &KeyPaint<'_>, hovered: bool) {
    let bg = match k.look {
        Look::Ringing if blink_lit(k.look, k.now) => theme::KEY_BG_RINGING,
        Look::Busy | Look::Held | Look::Ringing => theme::KEY_BG_BUSY,
        _ if hovered => theme::KEY_BG_HOVER,
        _ => theme::KEY_BG,
    };
    let border = if k.highlighted { theme::KEY_BORDER_ACTIVE } else { theme::KEY_BORDER };
    let width = if k.highlighted { 2.0 } else { 1.0 };
    p.rect(rect, theme::KEY_ROUNDING, bg, Stroke::new(width, border), StrokeKind::Inside);
    let uncertain = k.look == Look::Uncertain;
    if uncertain {
        hatch(p, rect);
    }

    let h = rect.height();
    let icon = (h * 0.42).clamp(12.0, 34.0);
    let pad = (h * 0.16).clamp(5.0, 12.0);
    let icon_c = pos2(rect.left() + pad + icon / 2.0, rect.center().y);
    let status = k.lamp.map(|l| l.status.as_str()).unwrap_or("unknown");
    let line = k.lamp.map(|l| l.line.as_str()).unwrap_or("unknown");
    match k.def.kind {
        KeyKind::Presence => icons::status_icon(p, icon_c, icon, status),
        KeyKind::Blf => {
            let glyph = if matches!(line, "ringing" | "busy" | "held" | "offline") { line } else { "busy" };
            icons::line_glyph(p, icon_c, icon, glyph, theme::KEY_TEXT_DIM)
        }
        KeyKind::SpeedDial => icons::line_glyph(p, icon_c, icon, "busy", theme::ICON_CHAT),
    }

    // The LED, top right; its colour comes from the engine (presence or BLF view, as the LED
    // profile says).
    let led_r = (h * 0.09).clamp(3.5, 7.0);
    let led_c = pos2(rect.right() - pad - led_r, rect.top() + pad + led_r);
    if k.def.kind != KeyKind::SpeedDial {
        let (word, blinks) = match k.lamp {
            Some(l) => k.led_profile.led(k.def.kind, l),
            None => ("off", false),
        };
        let lit = !blinks || blink_lit(if line == "held" { Look::Held } else { Look::Ringing }, k.now);
        icons::led(p, led_c, led_r, if lit { theme::led_colour(word) } else { theme::LED_OFF });
    }

    // Texts: the name in the label colour, then the number and the line text.
    let text_left = rect.left() + pad * 1.6 + icon;
    let text_w = (led_c.x - led_r - 4.0 - text_left).max(10.0);
    let name_size = (h * 0.27).clamp(11.0, 20.0);
    let small = (h * 0.2).clamp(9.5, 15.0);
    let name_colour = match (k.def.kind, k.look) {
        (_, Look::Uncertain) => theme::LABEL_UNCERTAIN,
        (KeyKind::Presence, _) => theme::label_colour(status),
        _ => Color32::WHITE,
    };
    let name = elided(p, &k.def.label, FontId::proportional(name_size), name_colour, text_w);
    let name_top = rect.top() + pad * 0.7;
    p.galley(pos2(text_left, name_top), name.clone(), name_colour);

    let (second, colour) = match (k.def.kind, k.lamp) {
        (KeyKind::SpeedDial, _) => (format!("{} · speed dial", k.def.ext), theme::KEY_TEXT_DIM),
        (_, None) => (format!("{} · unknown", k.def.ext), theme::LABEL_UNCERTAIN),
        (_, Some(l)) => {
            let c = if k.look == Look::Ringing { theme::KEY_TEXT_RINGING } else { theme::KEY_TEXT_DIM };
            (format!("{} · {}", k.def.ext, line_text(l)), c)
        }
    };
    let second = elided(p, &second, FontId::proportional(small), colour, rect.right() - pad - text_left);
    let second_top = (name_top + name.size().y + 2.0).min(rect.bottom() - pad * 0.5 - second.size().y);
    p.galley(pos2(text_left, second_top), second, colour);

    // Line glyph (presence keys) or the uncertainty mark, bottom right.
    let mark = (h * 0.24).clamp(9.0, 18.0);
    let mark_c = pos2(rect.right() - pad - mark / 2.0, rect.bottom() - pad - mark / 2.0 + 2.0);
    if uncertain {
        match k.lamp.map(|l| l.freshness.as_str()) {
            Some("stale") => icons::clock(p, mark_c, mark, theme::LABEL_UNCERTAIN),
            _ => {
                p.text(mark_c, Align2::CENTER_CENTER, "?", FontId::proportional(mark * 1.1), theme::LABEL_UNCERTAIN);
            }
        }
    } else if k.def.kind == KeyKind::Presence {
        let glyph_colour = if k.look == Look::Offline { theme::LABEL_OFF } else { theme::LED_RED };
        icons::line_glyph(p, mark_c, mark, line, glyph_colour);
    }
}

/// Diagonal hatching over an uncertain key (clipped to it).
fn hatch(p: &Painter, rect: Rect) {
    let clip = p.with_clip_rect(rect.shrink(1.0).intersect(p.clip_rect()));
    let stroke = Stroke::new(1.0, theme::KEY_HATCH);
    let span = rect.width() + rect.height();
    let n = (span / theme::HATCH_STEP).ceil() as usize;
    for i in 0..n.min(200) {
        let x = rect.left() + i as f32 * theme::HATCH_STEP;
        let a: Pos2 = pos2(x, rect.bottom());
        clip.line_segment([a, a + vec2(rect.height(), -rect.height())], stroke);
    }
}

/// A one-row galley of `text` cut with "…" to `width`.
fn elided(p: &Painter, text: &str, font: FontId, colour: Color32, width: f32) -> std::sync::Arc<egui::Galley> {
    let mut job = LayoutJob::simple_singleline(text.to_owned(), font, colour);
    job.wrap.max_width = width;
    job.wrap.max_rows = 1;
    job.wrap.break_anywhere = true;
    p.layout_job(job)
}
