//! Test double of the engine for the UI tests: records the commands it is sent, hands out
//! queued events.
#![allow(dead_code)]

use lampboard::api::{Command, Event};
use lampboard::ui::EngineLink;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Clones share the same command log and event queue.
#[derive(Clone, Default)]
pub struct RecordingEngine {
    sent: Arc<Mutex<Vec<Command>>>,
    events: Arc<Mutex<VecDeque<Event>>>,
}

impl RecordingEngine {
    /// Queues an event for the console's next poll.
    pub fn push(&self, e: Event) {
        self.events.lock().unwrap().push_back(e);
    }

    /// Every command sent so far.
    pub fn sent(&self) -> Vec<Command> {
        self.sent.lock().unwrap().clone()
    }

    /// The commands sent so far that `f` accepts.
    pub fn sent_matching(&self, f: impl Fn(&Command) -> bool) -> Vec<Command> {
        self.sent().into_iter().filter(|c| f(c)).collect()
    }

    /// The `Dial` commands sent so far.
    pub fn dials(&self) -> Vec<Command> {
        self.sent_matching(|c| matches!(c, Command::Dial { .. }))
    }

    /// Forgets the commands sent so far.
    pub fn clear_sent(&self) {
        self.sent.lock().unwrap().clear();
    }
}

impl EngineLink for RecordingEngine {
    fn send(&mut self, command: Command) {
        self.sent.lock().unwrap().push(command);
    }

    fn poll_event(&mut self, _now: Duration) -> Option<Event> {
        self.events.lock().unwrap().pop_front()
    }
}
