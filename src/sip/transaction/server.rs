//! Server transactions: INVITE (RFC 3261 §17.2.1 with RFC 6026) and non-INVITE (§17.2.2).

use super::timers::{Timer, TimerConfig, TimerTable};
use crate::sip::message::{Request, Response};
use bytes::Bytes;
use ezk_sip_types::Method;
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// States of both server state machines (Figures 7 and 8, Accepted from RFC 6026).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerState {
    /// Non-INVITE: request received, no response yet.
    Trying,
    /// A provisional response was sent (INVITE starts here).
    Proceeding,
    /// A final response was sent; retransmitting/absorbing.
    Completed,
    /// INVITE: ACK for the non-2xx final arrived.
    Confirmed,
    /// INVITE: a 2xx was sent (RFC 6026); ACKs and retransmissions go to the TU.
    Accepted,
    /// Done.
    Terminated,
}

/// What a server transaction tells its user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerEvent {
    /// Timer H fired: no ACK for our non-2xx final response.
    AckTimeout,
}

/// One server transaction.
#[derive(Debug)]
pub struct ServerTransaction {
    invite: bool,
    reliable: bool,
    cfg: TimerConfig,
    state: ServerState,
    request: Request,
    last_response: Option<Bytes>,
    interval: Duration,
    timers: TimerTable,
    transmits: VecDeque<Bytes>,
    events: VecDeque<ServerEvent>,
}

impl ServerTransaction {
    /// Creates the transaction for a new request. An INVITE gets `100 Trying` at once
    /// (RFC 3261 §17.2.1 allows the TU 200 ms; answering at once saves the INVITE retransmit).
    pub fn new(request: Request, reliable: bool, cfg: TimerConfig) -> Self {
        let invite = request.method == Method::INVITE;
        let mut t = ServerTransaction {
            invite,
            reliable,
            cfg,
            state: if invite { ServerState::Proceeding } else { ServerState::Trying },
            request,
            last_response: None,
            interval: cfg.t1,
            timers: TimerTable::default(),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
        };
        if invite {
            let trying = Response::to_request(&t.request, 100, "Trying", None).to_bytes();
            t.transmits.push_back(trying.clone());
            t.last_response = Some(trying);
        }
        t
    }

    /// The request that created this transaction.
    pub fn request(&self) -> &Request {
        &self.request
    }

    /// The current state.
    pub fn state(&self) -> ServerState {
        self.state
    }

    /// True once the transaction can be forgotten.
    pub fn is_terminated(&self) -> bool {
        self.state == ServerState::Terminated
    }

    /// A retransmission of the request (or the ACK for an INVITE) arrived.
    pub fn handle_request(&mut self, now: Instant, req: &Request) {
        if req.method == Method::ACK {
            if self.state == ServerState::Completed {
                self.timers.clear();
                self.state = ServerState::Confirmed;
                let i = if self.reliable { Duration::ZERO } else { self.cfg.t4 };
                self.timers.set(Timer::I, now + i);
            }
            return;
        }
        match self.state {
            ServerState::Proceeding | ServerState::Completed => {
                if let Some(r) = &self.last_response {
                    self.transmits.push_back(r.clone());
                }
            }
            _ => {}
        }
    }

    /// The TU sends a response (RFC 3261 §17.2.1/§17.2.2).
    pub fn respond(&mut self, now: Instant, resp: &Response) {
        if !matches!(self.state, ServerState::Trying | ServerState::Proceeding | ServerState::Accepted) {
            return;
        }
        let wire = resp.to_bytes();
        self.transmits.push_back(wire.clone());
        self.last_response = Some(wire);
        let code = resp.code;
        if code < 200 {
            self.state = ServerState::Proceeding;
        } else if self.invite && code < 300 {
            self.state = ServerState::Accepted;
            self.timers.set(Timer::L, now + self.cfg.timeout());
        } else if self.invite {
            self.state = ServerState::Completed;
            if !self.reliable {
                self.timers.set(Timer::G, now + self.interval);
            }
            self.timers.set(Timer::H, now + self.cfg.timeout());
        } else {
            self.state = ServerState::Completed;
            let j = if self.reliable { Duration::ZERO } else { self.cfg.timeout() };
            self.timers.set(Timer::J, now + j);
        }
    }

    /// Handles expired timers.
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some(t) = self.timers.pop_expired(now) {
            match t {
                Timer::G => {
                    if let Some(r) = &self.last_response {
                        self.transmits.push_back(r.clone());
                    }
                    self.interval = (self.interval * 2).min(self.cfg.t2);
                    self.timers.set(Timer::G, now + self.interval);
                }
                Timer::H => {
                    self.timers.clear();
                    self.state = ServerState::Terminated;
                    self.events.push_back(ServerEvent::AckTimeout);
                }
                _ => {
                    self.timers.clear();
                    self.state = ServerState::Terminated;
                }
            }
        }
    }

    /// Next write to send to the request's source.
    pub fn poll_transmit(&mut self) -> Option<Bytes> {
        self.transmits.pop_front()
    }

    /// Next event for the TU.
    pub fn poll_event(&mut self) -> Option<ServerEvent> {
        self.events.pop_front()
    }

    /// When `handle_timeout` must be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.next()
    }
}
