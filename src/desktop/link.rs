//! [`DesktopLink`]: the console's engine link with the desktop around it — notifications
//! for incoming and missed calls ([`super::notify`]) and the tray icon ([`super::tray`]).

use super::notify::{CallNotices, NoticeAction, NoticeSink, Response};
use super::tray::{TrayState, TrayView};
use crate::api::{Command, Event};
use crate::ui::EngineLink;
use std::collections::HashSet;
use std::sync::mpsc::Receiver;
use std::time::Duration;

/// Most responses (notice buttons, tray menu) passed on per poll.
const MAX_RESPONSES_PER_POLL: usize = 8;

/// What the desktop asks of the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowAction {
    /// Un-minimise it and bring it to the front.
    Front,
    /// Close it (the app quits).
    Close,
}

/// Wraps an [`EngineLink`]: every command and event also goes through [`CallNotices`] (whose
/// notices go to a [`NoticeSink`]) and [`TrayState`] (shown by a [`TrayView`]); the user's
/// responses come back on a channel and reach the engine on the next poll.
pub struct DesktopLink {
    inner: Box<dyn EngineLink>,
    notices: CallNotices,
    sink: Box<dyn NoticeSink>,
    tray_state: TrayState,
    tray: Option<Box<dyn TrayView>>,
    ringing: HashSet<String>,
    focused: Box<dyn Fn() -> bool + Send>,
    was_focused: bool,
    responses: Receiver<Response>,
    window: Box<dyn Fn(WindowAction) + Send>,
}

impl DesktopLink {
    /// Wraps `inner`. Notices go to `sink`, the tray state to `tray` (if any); responses arrive
    /// on `responses`; `focused` says whether the window has the focus now; `window` acts on it.
    pub fn new(
        inner: Box<dyn EngineLink>,
        sink: Box<dyn NoticeSink>,
        tray: Option<Box<dyn TrayView>>,
        responses: Receiver<Response>,
        focused: impl Fn() -> bool + Send + 'static,
        window: impl Fn(WindowAction) + Send + 'static,
    ) -> DesktopLink {
        let mut link = DesktopLink {
            inner,
            notices: CallNotices::new(),
            sink,
            tray_state: TrayState::default(),
            tray,
            ringing: HashSet::new(),
            focused: Box::new(focused),
            was_focused: false,
            responses,
            window: Box::new(window),
        };
        if let Some(t) = &mut link.tray {
            t.show(&link.tray_state);
        }
        link
    }

    fn apply(&mut self, actions: Vec<NoticeAction>) {
        for a in actions {
            self.sink.apply(a);
        }
    }

    fn show_tray(&mut self) {
        if let Some(t) = &mut self.tray {
            t.show(&self.tray_state);
        }
    }
}

impl EngineLink for DesktopLink {
    fn send(&mut self, command: Command) {
        let actions = self.notices.on_command(&command);
        self.apply(actions);
        if self.tray_state.on_command(&command) {
            self.show_tray();
        }
        self.inner.send(command);
    }

    fn poll_event(&mut self, now: Duration) -> Option<Event> {
        let pending: Vec<Response> = self.responses.try_iter().take(MAX_RESPONSES_PER_POLL).collect();
        for r in pending {
            tracing::info!(?r, "desktop response");
            if let Some(c) = r.command() {
                self.send(c);
            }
            match r {
                Response::Quit => (self.window)(WindowAction::Close),
                // A status change from the tray leaves the window where it is; everything else
                // (answering needs the call panel) shows it.
                Response::SetStatus { .. } => {}
                _ => (self.window)(WindowAction::Front),
            }
        }
        let focused = (self.focused)();
        if focused && !self.was_focused {
            self.notices.on_focus();
        }
        self.was_focused = focused;
        let event = self.inner.poll_event(now)?;
        let actions = self.notices.on_event(&event, focused);
        self.apply(actions);
        if matches!(event, Event::Stopped) {
            self.ringing.clear();
        }
        if let Event::Call { id, state, direction, .. } = &event {
            if direction == "in" && matches!(state.as_str(), "ringing" | "early") {
                self.ringing.insert(id.clone());
            } else {
                self.ringing.remove(id);
            }
        }
        if self.tray_state.on_event(&event, self.ringing.len()) {
            self.show_tray();
        }
        Some(event)
    }

    fn next_wakeup(&self) -> Option<Duration> {
        self.inner.next_wakeup()
    }
}

/// Puts the desktop around the console's link: notifications through the platform's service
/// where there is one (Linux: the session bus; else log lines) and the tray icon (Linux:
/// StatusNotifierItem). `LAMPBOARD_NOTIFICATIONS=off` / `LAMPBOARD_TRAY=off` leave them out.
pub fn wrap(ctx: &eframe::egui::Context, inner: Box<dyn EngineLink>) -> Box<dyn EngineLink> {
    use eframe::egui::ViewportCommand;
    let off = |var: &str| std::env::var(var).is_ok_and(|v| matches!(v.as_str(), "off" | "0" | "false"));
    let (tx, rx) = std::sync::mpsc::channel();
    let sink: Box<dyn NoticeSink> = if off("LAMPBOARD_NOTIFICATIONS") {
        Box::new(super::notify::LogSink)
    } else {
        platform_sink(tx.clone(), ctx.clone())
    };
    let tray = if off("LAMPBOARD_TRAY") { None } else { platform_tray(tx, ctx.clone()) };
    let focus_ctx = ctx.clone();
    let window_ctx = ctx.clone();
    Box::new(DesktopLink::new(
        inner,
        sink,
        tray,
        rx,
        // Unknown focus (some window managers never say) counts as not focused: better a
        // notice too many than a call nobody sees.
        move || focus_ctx.input(|i| i.viewport().focused.unwrap_or(false)),
        move |a| {
            match a {
                WindowAction::Front => {
                    window_ctx.send_viewport_cmd(ViewportCommand::Visible(true));
                    window_ctx.send_viewport_cmd(ViewportCommand::Minimized(false));
                    window_ctx.send_viewport_cmd(ViewportCommand::Focus);
                }
                WindowAction::Close => window_ctx.send_viewport_cmd(ViewportCommand::Close),
            }
            window_ctx.request_repaint();
        },
    ))
}

#[cfg(target_os = "linux")]
fn platform_sink(tx: std::sync::mpsc::Sender<Response>, ctx: eframe::egui::Context) -> Box<dyn NoticeSink> {
    match super::notify::freedesktop::DbusNotifier::connect(tx, move || ctx.request_repaint()) {
        Ok(n) => Box::new(n),
        Err(e) => {
            tracing::warn!(%e, "no desktop notifications (no session bus?)");
            Box::new(super::notify::LogSink)
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn platform_sink(_tx: std::sync::mpsc::Sender<Response>, _ctx: eframe::egui::Context) -> Box<dyn NoticeSink> {
    tracing::info!("desktop notifications are not implemented on this platform yet");
    Box::new(super::notify::LogSink)
}

#[cfg(target_os = "linux")]
fn platform_tray(tx: std::sync::mpsc::Sender<Response>, ctx: eframe::egui::Context) -> Option<Box<dyn TrayView>> {
    match super::tray::sni::SniTray::spawn(tx, move || ctx.request_repaint()) {
        Ok(t) => Some(Box::new(t)),
        Err(e) => {
            tracing::warn!(%e, "no tray icon (the desktop has no StatusNotifierItem host?)");
            None
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn platform_tray(_tx: std::sync::mpsc::Sender<Response>, _ctx: eframe::egui::Context) -> Option<Box<dyn TrayView>> {
    tracing::info!("the tray icon is not implemented on this platform yet");
    None
}
