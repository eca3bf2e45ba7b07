//! Every colour and size the console uses, in one place. The lamp colours are data taken
//! from the seed's tables ("VPK Icon Indications", "MPKs LED States"): the LED is green, red
//! or off; the label colour follows the status (Available/Away/Custom green, Chat/DND red,
//! Unavailable grey).

use eframe::egui::Color32;

/// LED colour of a lit green lamp.
pub const LED_GREEN: Color32 = Color32::from_rgb(0x2e, 0xcc, 0x40);
/// LED colour of a lit red lamp.
pub const LED_RED: Color32 = Color32::from_rgb(0xe8, 0x2b, 0x2b);
/// LED colour of a dark lamp (off, or the dark phase of a blink).
pub const LED_OFF: Color32 = Color32::from_rgb(0x3a, 0x3f, 0x47);
/// Ring around every LED so that "off" still reads as a lamp.
pub const LED_RIM: Color32 = Color32::from_rgb(0x15, 0x18, 0x1c);

/// Label colour of Available, Away and Custom keys.
pub const LABEL_GREEN: Color32 = Color32::from_rgb(0x5f, 0xd0, 0x6a);
/// Label colour of Chat and Do Not Disturb keys.
pub const LABEL_RED: Color32 = Color32::from_rgb(0xf0, 0x6a, 0x6a);
/// Label colour of Unavailable keys.
pub const LABEL_OFF: Color32 = Color32::from_rgb(0x9a, 0xa0, 0xa8);
/// Text colour of keys whose state is unknown, stale or failed.
pub const LABEL_UNCERTAIN: Color32 = Color32::from_rgb(0x80, 0x84, 0x8c);

/// Status icon colours (the icon drawings' fill).
pub const ICON_AVAILABLE: Color32 = Color32::from_rgb(0x2e, 0xb8, 0x4a);
/// Away: amber clock.
pub const ICON_AWAY: Color32 = Color32::from_rgb(0xf2, 0xa9, 0x1e);
/// Chat: blue bubble.
pub const ICON_CHAT: Color32 = Color32::from_rgb(0x3a, 0x8d, 0xe8);
/// Do Not Disturb: red minus-circle.
pub const ICON_DND: Color32 = Color32::from_rgb(0xdc, 0x33, 0x33);
/// Unavailable: grey cross.
pub const ICON_UNAVAILABLE: Color32 = Color32::from_rgb(0x8a, 0x90, 0x98);
/// Custom: violet pencil-star.
pub const ICON_CUSTOM: Color32 = Color32::from_rgb(0x9b, 0x6b, 0xe0);
/// Unknown: dim grey question mark.
pub const ICON_UNKNOWN: Color32 = Color32::from_rgb(0x70, 0x74, 0x7c);
/// Strokes drawn on top of a filled icon (ticks, clock hands, crosses).
pub const ICON_INK: Color32 = Color32::WHITE;

/// Key background.
pub const KEY_BG: Color32 = Color32::from_rgb(0x24, 0x28, 0x2f);
/// Key background while the pointer is over it.
pub const KEY_BG_HOVER: Color32 = Color32::from_rgb(0x2d, 0x33, 0x3c);
/// Key background of a ringing line (tinted so a ringing key stands out even between blinks).
pub const KEY_BG_RINGING: Color32 = Color32::from_rgb(0x45, 0x22, 0x24);
/// Key background of a busy line.
pub const KEY_BG_BUSY: Color32 = Color32::from_rgb(0x38, 0x26, 0x28);
/// Key border.
pub const KEY_BORDER: Color32 = Color32::from_rgb(0x3b, 0x42, 0x4d);
/// Key border of the key selected in edit mode or a drop target under a dragged call.
pub const KEY_BORDER_ACTIVE: Color32 = Color32::from_rgb(0x4d, 0xa3, 0xff);
/// Diagonal hatching of stale/unknown/failed keys.
pub const KEY_HATCH: Color32 = Color32::from_rgba_premultiplied(0x50, 0x55, 0x5e, 0x70);
/// Secondary text on keys (extension, line text).
pub const KEY_TEXT_DIM: Color32 = Color32::from_rgb(0xb4, 0xba, 0xc2);
/// Text of a ringing caller on a key.
pub const KEY_TEXT_RINGING: Color32 = Color32::from_rgb(0xff, 0xc8, 0xc8);

/// Demo banner background.
pub const BANNER_BG: Color32 = Color32::from_rgb(0x5a, 0x43, 0x0c);
/// Demo banner text.
pub const BANNER_TEXT: Color32 = Color32::from_rgb(0xff, 0xe2, 0x9a);
/// Text of errors (publish failed, registration failed).
pub const ERROR_TEXT: Color32 = Color32::from_rgb(0xff, 0x7b, 0x7b);
/// Text of good news (registered, applied).
pub const OK_TEXT: Color32 = Color32::from_rgb(0x7f, 0xdb, 0x8a);
/// Incoming-call panel background.
pub const INCOMING_BG: Color32 = Color32::from_rgb(0x1f, 0x3a, 0x5c);
/// Answer button fill.
pub const ANSWER_FILL: Color32 = Color32::from_rgb(0x1f, 0x8a, 0x3a);
/// Reject / hang-up button fill.
pub const HANGUP_FILL: Color32 = Color32::from_rgb(0xb0, 0x2a, 0x2a);

/// Default key width in points.
pub const KEY_WIDTH_DEFAULT: f32 = 176.0;
/// Smallest key width the size slider allows.
pub const KEY_WIDTH_MIN: f32 = 120.0;
/// Largest key width the size slider allows.
pub const KEY_WIDTH_MAX: f32 = 300.0;
/// Key height as a fraction of its width.
pub const KEY_ASPECT: f32 = 0.36;
/// Gap between keys.
pub const KEY_GAP: f32 = 6.0;
/// Corner radius of keys.
pub const KEY_ROUNDING: u8 = 6;
/// Spacing of the hatch lines on uncertain keys.
pub const HATCH_STEP: f32 = 9.0;
/// Height of one row of the list view.
pub const LIST_ROW_HEIGHT: f32 = 22.0;
/// Width of the calls side panel.
pub const CALLS_PANEL_WIDTH: f32 = 300.0;
/// Size of the status icons in the status bar.
pub const STATUS_ICON: f32 = 16.0;

/// Period of a fast blink (ringing), seconds for one on+off cycle.
pub const BLINK_FAST_PERIOD: f64 = 0.5;
/// Period of a slow blink (held), seconds for one on+off cycle.
pub const BLINK_SLOW_PERIOD: f64 = 1.6;
/// Repaint interval while something blinks (about 4 Hz so a 2 Hz blink is smooth).
pub const BLINK_REPAINT_SECS: f32 = 0.125;

/// LED colour for the engine's LED word (`green|red|off`).
pub fn led_colour(word: &str) -> Color32 {
    match word {
        "green" => LED_GREEN,
        "red" => LED_RED,
        _ => LED_OFF,
    }
}

/// Label colour for a status word (seed: Available/Away/Custom green, Chat/DND red,
/// Unavailable off; unknown uncertain).
pub fn label_colour(status: &str) -> Color32 {
    match status {
        "available" | "away" | "custom" => LABEL_GREEN,
        "chat" | "dnd" => LABEL_RED,
        "unavailable" => LABEL_OFF,
        _ => LABEL_UNCERTAIN,
    }
}

/// Icon fill colour for a status word.
pub fn icon_colour(status: &str) -> Color32 {
    match status {
        "available" => ICON_AVAILABLE,
        "away" => ICON_AWAY,
        "chat" => ICON_CHAT,
        "dnd" => ICON_DND,
        "unavailable" => ICON_UNAVAILABLE,
        "custom" => ICON_CUSTOM,
        _ => ICON_UNKNOWN,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_led_and_label_colours() {
        assert_eq!(led_colour("green"), LED_GREEN);
        assert_eq!(led_colour("red"), LED_RED);
        assert_eq!(led_colour("off"), LED_OFF);
        assert_eq!(led_colour("bogus"), LED_OFF);
        for s in ["available", "away", "custom"] {
            assert_eq!(label_colour(s), LABEL_GREEN, "{s}");
        }
        for s in ["chat", "dnd"] {
            assert_eq!(label_colour(s), LABEL_RED, "{s}");
        }
        assert_eq!(label_colour("unavailable"), LABEL_OFF);
        assert_eq!(label_colour("unknown"), LABEL_UNCERTAIN);
    }
}
