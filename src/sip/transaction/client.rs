//! Client transactions: INVITE (RFC 3261 §17.1.1 with RFC 6026) and non-INVITE (§17.1.2).

use super::timers::{Timer, TimerConfig, TimerTable};
use crate::sip::message::{Request, Response};
use bytes::Bytes;
use ezk_sip_types::{Method, Name};
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// States of both client state machines (Figures 5 and 6, Accepted from RFC 6026).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientState {
    /// INVITE sent, nothing heard yet.
    Calling,
    /// Non-INVITE sent, nothing heard yet.
    Trying,
    /// A provisional response was received.
    Proceeding,
    /// A final response was received; absorbing retransmissions.
    Completed,
    /// INVITE only: a 2xx was received (RFC 6026); further 2xx go to the TU.
    Accepted,
    /// Done.
    Terminated,
}

/// What a client transaction tells its user.
#[derive(Debug, Clone)]
pub enum ClientEvent {
    /// A response for the transaction user (provisional, final, or a 2xx retransmission).
    Response(Response),
    /// Timer B or F fired: no final response (the TU acts as if 408 came).
    Timeout,
    /// The transport reported an error for this transaction's destination.
    TransportError,
}

/// One client transaction.
#[derive(Debug)]
pub struct ClientTransaction {
    invite: bool,
    reliable: bool,
    cfg: TimerConfig,
    state: ClientState,
    request: Request,
    wire: Bytes,
    ack: Option<Bytes>,
    interval: Duration,
    timers: TimerTable,
    transmits: VecDeque<Bytes>,
    events: VecDeque<ClientEvent>,
}

impl ClientTransaction {
    /// Starts a transaction: the request is queued for sending and timers A/B or E/F armed.
    /// The request's top Via must already carry the branch.
    pub fn new(request: Request, reliable: bool, cfg: TimerConfig, now: Instant) -> Self {
        let invite = request.method == Method::INVITE;
        let wire = request.to_bytes();
        let mut t = ClientTransaction {
            invite,
            reliable,
            cfg,
            state: if invite { ClientState::Calling } else { ClientState::Trying },
            request,
            wire: wire.clone(),
            ack: None,
            interval: cfg.t1,
            timers: TimerTable::default(),
            transmits: VecDeque::from([wire]),
            events: VecDeque::new(),
        };
        if !reliable {
            t.timers.set(if invite { Timer::A } else { Timer::E }, now + cfg.t1);
        }
        t.timers.set(if invite { Timer::B } else { Timer::F }, now + cfg.timeout());
        t
    }

    /// The request this transaction sent.
    pub fn request(&self) -> &Request {
        &self.request
    }

    /// The current state.
    pub fn state(&self) -> ClientState {
        self.state
    }

    /// True once the transaction can be forgotten.
    pub fn is_terminated(&self) -> bool {
        self.state == ClientState::Terminated
    }

    /// Feeds a response that matched this transaction (RFC 3261 §17.1.3).
    pub fn handle_response(&mut self, now: Instant, resp: Response) {
        let code = resp.code;
        match (self.invite, self.state) {
            (_, ClientState::Terminated) => {}
            (true, ClientState::Calling | ClientState::Proceeding) => {
                self.timers.stop(Timer::A);
                if code < 200 {
                    // Timer B guards Calling only (§17.1.1.2): a ringing call may last; the
                    // TU decides when to give up (CANCEL).
                    self.timers.stop(Timer::B);
                    self.state = ClientState::Proceeding;
                    self.events.push_back(ClientEvent::Response(resp));
                } else if code < 300 {
                    self.timers.clear();
                    self.state = ClientState::Accepted;
                    self.timers.set(Timer::M, now + self.cfg.timeout());
                    self.events.push_back(ClientEvent::Response(resp));
                } else {
                    self.timers.clear();
                    let ack = self.build_ack(&resp).to_bytes();
                    self.transmits.push_back(ack.clone());
                    self.ack = Some(ack);
                    self.state = ClientState::Completed;
                    let d = if self.reliable { Duration::ZERO } else { Duration::from_secs(32) };
                    self.timers.set(Timer::D, now + d);
                    self.events.push_back(ClientEvent::Response(resp));
                }
            }
            (true, ClientState::Accepted) => {
                if (200..300).contains(&code) {
                    self.events.push_back(ClientEvent::Response(resp));
                }
            }
            (true, ClientState::Completed) => {
                if code >= 300
                    && let Some(ack) = &self.ack
                {
                    self.transmits.push_back(ack.clone());
                }
            }
            (false, ClientState::Trying | ClientState::Proceeding) => {
                if code < 200 {
                    self.state = ClientState::Proceeding;
                    self.events.push_back(ClientEvent::Response(resp));
                } else {
                    self.timers.clear();
                    self.state = ClientState::Completed;
                    let k = if self.reliable { Duration::ZERO } else { self.cfg.t4 };
                    self.timers.set(Timer::K, now + k);
                    self.events.push_back(ClientEvent::Response(resp));
                }
            }
            (false, _) => {}
            (true, ClientState::Trying) => {}
        }
    }

    /// Handles expired timers.
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some(t) = self.timers.pop_expired(now) {
            match t {
                Timer::A => {
                    self.interval *= 2;
                    self.transmits.push_back(self.wire.clone());
                    self.timers.set(Timer::A, now + self.interval);
                }
                Timer::E => {
                    self.interval = if self.state == ClientState::Proceeding {
                        self.cfg.t2
                    } else {
                        (self.interval * 2).min(self.cfg.t2)
                    };
                    self.transmits.push_back(self.wire.clone());
                    self.timers.set(Timer::E, now + self.interval);
                }
                Timer::B | Timer::F => {
                    self.timers.clear();
                    self.state = ClientState::Terminated;
                    self.events.push_back(ClientEvent::Timeout);
                }
                _ => {
                    self.timers.clear();
                    self.state = ClientState::Terminated;
                }
            }
        }
    }

    /// The transport failed to deliver to our destination (RFC 3261 §17.1.4).
    pub fn handle_transport_error(&mut self) {
        if matches!(self.state, ClientState::Calling | ClientState::Trying | ClientState::Proceeding) {
            self.timers.clear();
            self.state = ClientState::Terminated;
            self.events.push_back(ClientEvent::TransportError);
        }
    }

    /// Next datagram or stream write to send.
    pub fn poll_transmit(&mut self) -> Option<Bytes> {
        self.transmits.pop_front()
    }

    /// Next event for the transaction user.
    pub fn poll_event(&mut self) -> Option<ClientEvent> {
        self.events.pop_front()
    }

    /// When `handle_timeout` must be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.next()
    }

    /// ACK for a non-2xx final response (RFC 3261 §17.1.1.3): same branch, Request-URI,
    /// Call-ID, From, Route; To from the response; CSeq number with method ACK.
    fn build_ack(&self, resp: &Response) -> Request {
        let req = &self.request;
        let mut ack = Request::new(Method::ACK, req.uri.clone());
        if let Some(via) = req.header(&Name::VIA) {
            ack.headers.insert(Name::VIA, via.to_string());
        }
        ack.headers.insert(Name::MAX_FORWARDS, "70");
        for name in [Name::FROM] {
            if let Some(v) = req.header(&name) {
                ack.headers.insert(name, v.to_string());
            }
        }
        if let Some(v) = resp.header(&Name::TO) {
            ack.headers.insert(Name::TO, v.to_string());
        }
        ack.headers.insert(Name::CALL_ID, req.call_id().to_string());
        let num = req.cseq().map(|c| c.0).unwrap_or(1);
        ack.headers.insert(Name::CSEQ, format!("{num} ACK"));
        for r in req.headers.get_raw(&Name::ROUTE) {
            ack.headers.insert(Name::ROUTE, r.as_str().to_string());
        }
        ack
    }
}
