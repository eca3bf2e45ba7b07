//! The window icon (title bar, task bar, Alt-Tab): our app icon at 64×64, raw RGBA made from
//! `assets/lampboard.svg` by `packaging/icons.sh`, so no image decoder is needed at run time.

use eframe::egui;
use std::sync::Arc;

/// Width and height of the window icon.
pub const SIZE: u32 = 64;

const RGBA: &[u8] = include_bytes!("../../packaging/icons/lampboard-64.rgba");

/// The window icon.
pub fn window_icon() -> Arc<egui::IconData> {
    Arc::new(egui::IconData { rgba: RGBA.to_vec(), width: SIZE, height: SIZE })
}

/// Sets the window icon of the running app (eframe's builder has none of its own here).
pub fn apply(ctx: &egui::Context) {
    ctx.send_viewport_cmd(egui::ViewportCommand::Icon(Some(window_icon())));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn icon_is_64_square_rgba_and_not_blank() {
        let icon = window_icon();
        assert_eq!(icon.rgba.len(), (SIZE * SIZE * 4) as usize);
        // The corner is transparent, the centre is drawn.
        assert_eq!(icon.rgba[3], 0);
        let centre = ((SIZE / 2 * SIZE + SIZE / 2) * 4) as usize;
        assert_eq!(icon.rgba[centre + 3], 255);
    }
}
