//! [`NotifyLink`]: the console's engine link with desktop notifications on the side.

use super::{CallNotices, NoticeAction, NoticeSink, Response};
use crate::api::{Command, Event};
use crate::ui::EngineLink;
use std::sync::mpsc::Receiver;
use std::time::Duration;

/// Most notice responses passed on per poll.
const MAX_RESPONSES_PER_POLL: usize = 8;

/// Wraps an [`EngineLink`]: every command and event also goes through [`CallNotices`], whose
/// notices go to a [`NoticeSink`]; the user's responses to them come back on a channel and
/// reach the engine on the next poll.
pub struct NotifyLink {
    inner: Box<dyn EngineLink>,
    notices: CallNotices,
    sink: Box<dyn NoticeSink>,
    focused: Box<dyn Fn() -> bool + Send>,
    was_focused: bool,
    responses: Receiver<Response>,
    on_focus: Box<dyn Fn() + Send>,
}

impl NotifyLink {
    /// Wraps `inner`. The sink's responses arrive on `responses`; `focused` says whether
    /// the window has the focus now; `on_focus` brings it to the front (a notice was clicked).
    pub fn new(
        inner: Box<dyn EngineLink>,
        sink: Box<dyn NoticeSink>,
        responses: Receiver<Response>,
        focused: impl Fn() -> bool + Send + 'static,
        on_focus: impl Fn() + Send + 'static,
    ) -> NotifyLink {
        NotifyLink {
            inner,
            notices: CallNotices::new(),
            sink,
            focused: Box::new(focused),
            was_focused: false,
            responses,
            on_focus: Box::new(on_focus),
        }
    }

    fn apply(&mut self, actions: Vec<NoticeAction>) {
        for a in actions {
            self.sink.apply(a);
        }
    }
}

impl EngineLink for NotifyLink {
    fn send(&mut self, command: Command) {
        let actions = self.notices.on_command(&command);
        self.apply(actions);
        self.inner.send(command);
    }

    fn poll_event(&mut self, now: Duration) -> Option<Event> {
        let pending: Vec<Response> = self.responses.try_iter().take(MAX_RESPONSES_PER_POLL).collect();
        for r in pending {
            tracing::info!(?r, "notification response");
            if let Some(c) = r.command() {
                self.send(c);
            }
            // Every response also shows the window (answering needs the call panel).
            (self.on_focus)();
        }
        let focused = (self.focused)();
        if focused && !self.was_focused {
            self.notices.on_focus();
        }
        self.was_focused = focused;
        let event = self.inner.poll_event(now)?;
        let actions = self.notices.on_event(&event, focused);
        self.apply(actions);
        Some(event)
    }

    fn next_wakeup(&self) -> Option<Duration> {
        self.inner.next_wakeup()
    }
}

/// Puts desktop notifications around the console's link: the platform's notification
/// service where there is one (Linux: the session bus), else log lines only. Set
/// `LAMPBOARD_NOTIFICATIONS=off` to leave them out.
pub fn wrap(ctx: &eframe::egui::Context, inner: Box<dyn EngineLink>) -> Box<dyn EngineLink> {
    use eframe::egui::ViewportCommand;
    if std::env::var("LAMPBOARD_NOTIFICATIONS").is_ok_and(|v| matches!(v.as_str(), "off" | "0" | "false")) {
        return inner;
    }
    let (tx, rx) = std::sync::mpsc::channel();
    let sink = platform_sink(tx, ctx.clone());
    let focus_ctx = ctx.clone();
    let front = ctx.clone();
    Box::new(NotifyLink::new(
        inner,
        sink,
        rx,
        // Unknown focus (some window managers never say) counts as not focused: better a
        // notice too many than a call nobody sees.
        move || focus_ctx.input(|i| i.viewport().focused.unwrap_or(false)),
        move || {
            front.send_viewport_cmd(ViewportCommand::Minimized(false));
            front.send_viewport_cmd(ViewportCommand::Focus);
            front.request_repaint();
        },
    ))
}

#[cfg(target_os = "linux")]
fn platform_sink(tx: std::sync::mpsc::Sender<Response>, ctx: eframe::egui::Context) -> Box<dyn NoticeSink> {
    match super::freedesktop::DbusNotifier::connect(tx, move || ctx.request_repaint()) {
        Ok(n) => Box::new(n),
        Err(e) => {
            tracing::warn!(%e, "no desktop notifications (no session bus?)");
            Box::new(super::LogSink)
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn platform_sink(_tx: std::sync::mpsc::Sender<Response>, _ctx: eframe::egui::Context) -> Box<dyn NoticeSink> {
    tracing::info!("desktop notifications are not implemented on this platform yet");
    Box::new(super::LogSink)
}
