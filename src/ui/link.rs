//! The UI's one connection to an engine: it sends [`Command`]s and receives [`Event`]s,
//! nothing else. The real engine, the embedded demo office and test doubles all sit behind
//! [`EngineLink`].

use crate::api::{Command, Event};
use std::sync::mpsc::{Receiver, TryRecvError};
use std::time::Duration;

/// Something that takes commands and produces events for the console.
pub trait EngineLink {
    /// Hands a command to the engine (never blocks).
    fn send(&mut self, command: Command);

    /// The next event, if one is waiting. `now` is the UI clock (time since the app
    /// started); engines that run on their own thread ignore it, the demo office uses it to
    /// advance its simulation.
    fn poll_event(&mut self, now: Duration) -> Option<Event>;

    /// When the engine next needs [`EngineLink::poll_event`] called although nobody woke the
    /// UI (the demo's next scheduled change); `None` for engines that wake the UI themselves.
    fn next_wakeup(&self) -> Option<Duration> {
        None
    }
}

/// An [`EngineLink`] over a command callback and an event channel: what the real engine
/// thread offers (`EngineHandle::send` and `EngineHandle::events`).
pub struct ChannelLink {
    send: Box<dyn FnMut(Command) + Send>,
    events: Receiver<Event>,
    closed: bool,
}

impl ChannelLink {
    /// A link that calls `send` for each command and reads events from `events`.
    pub fn new(send: impl FnMut(Command) + Send + 'static, events: Receiver<Event>) -> Self {
        Self { send: Box::new(send), events, closed: false }
    }
}

impl EngineLink for ChannelLink {
    fn send(&mut self, command: Command) {
        (self.send)(command);
    }

    fn poll_event(&mut self, _now: Duration) -> Option<Event> {
        if self.closed {
            return None;
        }
        match self.events.try_recv() {
            Ok(e) => Some(e),
            Err(TryRecvError::Empty) => None,
            Err(TryRecvError::Disconnected) => {
                // The engine thread is gone without saying so: tell the UI once.
                self.closed = true;
                Some(Event::Stopped)
            }
        }
    }
}

/// A link to nothing: commands are dropped, no event ever comes (no account configured).
pub struct NullLink;

impl EngineLink for NullLink {
    fn send(&mut self, _command: Command) {}

    fn poll_event(&mut self, _now: Duration) -> Option<Event> {
        None
    }
}
