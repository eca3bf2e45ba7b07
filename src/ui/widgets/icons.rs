//! Our own vector icons, painted with egui's painter (the same designs are in
//! `assets/icons/*.svg`): one per user status, in the spirit of the phones' presence icons
//! (not copies of any vendor's artwork), and glyphs for the line states.
//!
//! Every function paints into a square of side `size` centred on `c`.

use crate::ui::theme;
use eframe::egui::{Align2, Color32, FontId, Painter, Pos2, Shape, Stroke, vec2};
use std::f32::consts::{PI, TAU};

/// Paints the icon of a status word (`available|away|chat|dnd|unavailable|custom|unknown`).
pub fn status_icon(p: &Painter, c: Pos2, size: f32, status: &str) {
    let r = size * 0.5;
    let fill = theme::icon_colour(status);
    let ink = Stroke::new((size * 0.12).max(1.2), theme::ICON_INK);
    match status {
        "available" => {
            p.circle_filled(c, r, fill);
            let pts = vec![c + vec2(-0.45, 0.02) * r, c + vec2(-0.12, 0.35) * r, c + vec2(0.48, -0.3) * r];
            p.add(Shape::line(pts, ink));
        }
        "away" => {
            p.circle_filled(c, r, fill);
            p.line_segment([c, c + vec2(0.0, -0.58) * r], ink);
            p.line_segment([c, c + vec2(0.42, 0.18) * r], ink);
        }
        "chat" => chat_bubble(p, c, r, fill),
        "dnd" => {
            p.circle_filled(c, r, fill);
            let h = r * 0.2;
            p.rect_filled(eframe::egui::Rect::from_center_size(c, vec2(1.2 * r, 2.0 * h)), 1, theme::ICON_INK);
        }
        "unavailable" => {
            p.circle_filled(c, r, fill);
            let d = 0.36 * r;
            p.line_segment([c + vec2(-d, -d), c + vec2(d, d)], ink);
            p.line_segment([c + vec2(-d, d), c + vec2(d, -d)], ink);
        }
        "custom" => {
            p.circle_filled(c, r, fill);
            star(p, c, r * 0.62, r * 0.27, theme::ICON_INK);
        }
        _ => {
            p.circle_stroke(c, r * 0.9, Stroke::new((size * 0.09).max(1.0), fill));
            p.text(c, Align2::CENTER_CENTER, "?", FontId::proportional(size * 0.75), fill);
        }
    }
}

fn chat_bubble(p: &Painter, c: Pos2, r: f32, fill: Color32) {
    let body = eframe::egui::Rect::from_center_size(c + vec2(0.0, -0.1 * r), vec2(1.9 * r, 1.4 * r));
    p.rect_filled(body, (r * 0.45) as u8, fill);
    let tail = vec![
        body.left_bottom() + vec2(0.3 * r, -0.2 * r),
        body.left_bottom() + vec2(0.9 * r, -0.1 * r),
        c + vec2(-0.75 * r, 0.95 * r),
    ];
    p.add(Shape::convex_polygon(tail, fill, Stroke::NONE));
    for dx in [-0.5, 0.0, 0.5] {
        p.circle_filled(body.center() + vec2(dx * r, 0.0), 0.13 * r, theme::ICON_INK);
    }
}

/// A five-pointed star (outer radius `ro`, inner `ri`): the star is not convex, so it is
/// painted as its inner pentagon plus one triangle per tip.
fn star(p: &Painter, c: Pos2, ro: f32, ri: f32, fill: Color32) {
    let point = |i: usize| {
        let a = -PI / 2.0 + i as f32 * TAU / 10.0;
        let rad = if i.is_multiple_of(2) { ro } else { ri };
        c + vec2(a.cos(), a.sin()) * rad
    };
    let inner: Vec<Pos2> = (0..5).map(|k| point(2 * k + 1)).collect();
    p.add(Shape::convex_polygon(inner, fill, Stroke::NONE));
    for k in 0..5 {
        let tip = 2 * k;
        let tri = vec![point((tip + 9) % 10), point(tip), point(tip + 1)];
        p.add(Shape::convex_polygon(tri, fill, Stroke::NONE));
    }
}

/// Paints the glyph of a line word (`ringing|busy|held|offline`); idle and unknown paint
/// nothing.
pub fn line_glyph(p: &Painter, c: Pos2, size: f32, line: &str, colour: Color32) {
    let r = size * 0.5;
    let stroke = Stroke::new((size * 0.14).max(1.2), colour);
    match line {
        "ringing" => {
            handset(p, c + vec2(-0.15 * r, 0.1 * r), r * 0.8, colour);
            for k in [0.55f32, 0.85] {
                let pts: Vec<Pos2> = (0..=6)
                    .map(|i| {
                        let a = -PI * 0.45 + i as f32 * (PI * 0.4 / 6.0);
                        c + vec2(-0.2 * r, 0.1 * r) + vec2(a.cos(), a.sin()) * (k * r)
                    })
                    .collect();
                p.add(Shape::line(pts, Stroke::new(stroke.width * 0.7, colour)));
            }
        }
        "busy" => handset(p, c, r, colour),
        "held" => {
            let w = 0.26 * r;
            for dx in [-0.32, 0.32] {
                let bar = eframe::egui::Rect::from_center_size(c + vec2(dx * r, 0.0), vec2(w, 1.3 * r));
                p.rect_filled(bar, 1, colour);
            }
        }
        "offline" => {
            p.circle_stroke(c, r * 0.8, stroke);
            p.line_segment([c + vec2(-0.56, 0.56) * r, c + vec2(0.56, -0.56) * r], stroke);
        }
        _ => {}
    }
}

/// A telephone handset: a thick arc with an ear and a mouth piece.
fn handset(p: &Painter, c: Pos2, r: f32, colour: Color32) {
    let pts: Vec<Pos2> = (0..=10)
        .map(|i| {
            let a = PI * 0.75 + i as f32 * (PI * 0.5 / 10.0);
            c + vec2(a.cos(), a.sin()) * (0.8 * r) + vec2(0.55 * r, 0.0)
        })
        .collect();
    let ends = (pts[0], pts[10]);
    p.add(Shape::line(pts, Stroke::new(0.28 * r, colour)));
    for e in [ends.0, ends.1] {
        p.circle_filled(e, 0.24 * r, colour);
    }
}

/// A small clock face: drawn on stale keys ("last known state").
pub fn clock(p: &Painter, c: Pos2, size: f32, colour: Color32) {
    let r = size * 0.5;
    let s = Stroke::new((size * 0.1).max(1.0), colour);
    p.circle_stroke(c, r * 0.85, s);
    p.line_segment([c, c + vec2(0.0, -0.55) * r], s);
    p.line_segment([c, c + vec2(0.4, 0.0) * r], s);
}

/// Paints a round LED of radius `r`: lit in `colour`, with a rim and a highlight.
pub fn led(p: &Painter, c: Pos2, r: f32, colour: Color32) {
    p.circle_filled(c, r + 1.0, theme::LED_RIM);
    p.circle_filled(c, r, colour);
    if colour != theme::LED_OFF {
        p.circle_filled(c + vec2(-0.3, -0.3) * r, r * 0.35, Color32::from_white_alpha(110));
    }
}
