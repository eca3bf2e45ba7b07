//! Commands from outside the window (a click-to-call link given to a later launch) into the
//! console: [`ExternalLink`] wraps the console's [`EngineLink`] and passes them on each time
//! the console polls it; [`listen`] turns the single-instance messages into such commands and
//! brings the window to the front.

use super::single::{Listener, Message};
use crate::api::{Command, Event};
use crate::ui::EngineLink;
use eframe::egui;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::Duration;

/// Most external commands passed on per poll (a flood waits for later frames).
const MAX_PER_POLL: usize = 16;

/// An [`EngineLink`] that also delivers commands arriving on a channel from outside the UI.
pub struct ExternalLink {
    inner: Box<dyn EngineLink>,
    external: Receiver<Command>,
}

impl ExternalLink {
    /// Wraps `inner`; commands sent into the returned [`Sender`] reach it on the next poll.
    pub fn new(inner: Box<dyn EngineLink>) -> (Self, Sender<Command>) {
        let (tx, external) = channel();
        (Self { inner, external }, tx)
    }
}

impl EngineLink for ExternalLink {
    fn send(&mut self, command: Command) {
        self.inner.send(command);
    }

    fn poll_event(&mut self, now: Duration) -> Option<Event> {
        for c in self.external.try_iter().take(MAX_PER_POLL) {
            tracing::info!(?c, "command from another launch");
            self.inner.send(c);
        }
        self.inner.poll_event(now)
    }

    fn next_wakeup(&self) -> Option<Duration> {
        self.inner.next_wakeup()
    }
}

/// The command a single-instance message stands for (`Focus` needs none).
pub fn command_for(message: &Message) -> Option<Command> {
    match message {
        Message::Focus => None,
        Message::Dial(target) => Some(Command::Dial { target: target.clone() }),
    }
}

/// Serves later launches: each message brings the window to the front, a `Dial` also goes to
/// `commands`. Without a listener (no guard) nothing happens.
pub fn listen(listener: Option<Listener>, ctx: &egui::Context, commands: Sender<Command>) {
    let Some(listener) = listener else { return };
    let ctx = ctx.clone();
    let spawned = listener.spawn(move |m| {
        tracing::info!(?m, "message from another launch");
        if let Some(c) = command_for(&m) {
            let _ = commands.send(c);
        }
        ctx.send_viewport_cmd(egui::ViewportCommand::Minimized(false));
        ctx.send_viewport_cmd(egui::ViewportCommand::Focus);
        ctx.request_repaint();
    });
    if let Err(e) = spawned {
        tracing::warn!(%e, "cannot listen for later launches");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    struct Record(Arc<Mutex<Vec<Command>>>);
    impl EngineLink for Record {
        fn send(&mut self, command: Command) {
            self.0.lock().unwrap().push(command);
        }
        fn poll_event(&mut self, _now: Duration) -> Option<Event> {
            None
        }
    }

    #[test]
    fn external_commands_reach_the_engine_on_poll() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (mut link, tx) = ExternalLink::new(Box::new(Record(seen.clone())));
        tx.send(command_for(&Message::Dial("+4930123".into())).unwrap()).unwrap();
        assert!(seen.lock().unwrap().is_empty(), "nothing before the poll");
        assert_eq!(link.poll_event(Duration::ZERO), None);
        assert_eq!(*seen.lock().unwrap(), vec![Command::Dial { target: "+4930123".into() }]);
        assert_eq!(command_for(&Message::Focus), None);
    }
}
