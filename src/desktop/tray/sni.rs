//! The tray icon on Linux desktops: a StatusNotifierItem with a D-Bus menu (KDE Plasma,
//! GNOME with the AppIndicator extension, XFCE, Cinnamon, waybar…), served by `ksni`.
//! Left click shows the window; the menu sets our status, shows the window, or quits.

use super::{STATUSES, TrayState, TrayView};
use crate::desktop::notify::Response;
use std::sync::Arc;
use std::sync::mpsc::Sender;

/// Our icon as the tray wants it: 64×64 ARGB32 in network byte order (from the same RGBA file
/// as the window icon).
fn icon() -> ksni::Icon {
    let rgba = crate::desktop::icon::window_icon();
    let data = rgba.rgba.chunks_exact(4).flat_map(|p| [p[3], p[0], p[1], p[2]]).collect();
    ksni::Icon { width: rgba.width as i32, height: rgba.height as i32, data }
}

struct LampTray {
    state: TrayState,
    icon: ksni::Icon,
    tx: Sender<Response>,
    wake: Arc<dyn Fn() + Send + Sync>,
}

impl LampTray {
    fn respond(&self, r: Response) {
        if self.tx.send(r).is_ok() {
            (self.wake)();
        }
    }
}

impl ksni::Tray for LampTray {
    fn id(&self) -> String {
        "lampboard".into()
    }

    fn title(&self) -> String {
        "Lampboard".into()
    }

    fn category(&self) -> ksni::Category {
        ksni::Category::Communications
    }

    fn status(&self) -> ksni::Status {
        if self.state.ringing > 0 { ksni::Status::NeedsAttention } else { ksni::Status::Active }
    }

    fn icon_pixmap(&self) -> Vec<ksni::Icon> {
        vec![self.icon.clone()]
    }

    fn attention_icon_pixmap(&self) -> Vec<ksni::Icon> {
        vec![self.icon.clone()]
    }

    fn tool_tip(&self) -> ksni::ToolTip {
        ksni::ToolTip { title: "Lampboard".into(), description: self.state.tooltip(), ..Default::default() }
    }

    fn activate(&mut self, _x: i32, _y: i32) {
        self.respond(Response::Focus);
    }

    fn menu(&self) -> Vec<ksni::MenuItem<Self>> {
        use ksni::menu::{RadioGroup, RadioItem, StandardItem};
        let status_line = StandardItem { label: self.state.registration.clone(), enabled: false, ..Default::default() };
        let statuses = RadioGroup {
            selected: self.state.selected(),
            select: Box::new(|t: &mut Self, i| {
                let r = t.state.choose(i);
                t.respond(r);
            }),
            options: (0..STATUSES.len())
                .map(|i| RadioItem { label: self.state.entry_label(i), ..Default::default() })
                .collect(),
        };
        vec![
            status_line.into(),
            ksni::MenuItem::Separator,
            statuses.into(),
            ksni::MenuItem::Separator,
            StandardItem {
                label: "Show Lampboard".into(),
                activate: Box::new(|t: &mut Self| t.respond(Response::Focus)),
                ..Default::default()
            }
            .into(),
            StandardItem {
                label: "Quit".into(),
                icon_name: "application-exit".into(),
                activate: Box::new(|t: &mut Self| t.respond(Response::Quit)),
                ..Default::default()
            }
            .into(),
        ]
    }
}

/// The running tray item.
pub struct SniTray {
    handle: ksni::blocking::Handle<LampTray>,
}

impl SniTray {
    /// Puts the item on the session bus (it appears as soon as the desktop's tray host is
    /// there, also when that starts later). Menu choices go into `tx`, then `wake` is called.
    pub fn spawn(tx: Sender<Response>, wake: impl Fn() + Send + Sync + 'static) -> Result<SniTray, ksni::Error> {
        use ksni::blocking::TrayMethods;
        let tray = LampTray { state: TrayState::default(), icon: icon(), tx, wake: Arc::new(wake) };
        let handle = tray.assume_sni_available(true).spawn()?;
        Ok(SniTray { handle })
    }
}

impl TrayView for SniTray {
    fn show(&mut self, state: &TrayState) {
        let state = state.clone();
        self.handle.update(move |t| t.state = state);
    }
}

impl Drop for SniTray {
    fn drop(&mut self) {
        // Takes the item off the bus; does not wait.
        let _ = self.handle.shutdown();
    }
}
