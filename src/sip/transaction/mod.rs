//! The transaction layer (RFC 3261 §17): matching messages to client and server
//! transactions, and one timer heap for all of them.
//!
//! Sans-IO contract (as everywhere in the core): call a `handle_*` method, then drain
//! `poll_transmit` and `poll_event` until `None`, then sleep until `poll_timeout`.

pub mod client;
pub mod server;
pub mod timers;

pub use client::{ClientEvent, ClientState, ClientTransaction};
pub use server::{ServerEvent, ServerState, ServerTransaction};
pub use timers::{Timer, TimerConfig};

use super::message::{Request, Response, SipMessage};
use super::transport::{Destination, Transmit};
use ezk_sip_types::Method;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::time::Instant;

/// Identifies a client transaction: top-Via branch + CSeq method (RFC 3261 §17.1.3).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClientKey {
    /// The branch we generated.
    pub branch: String,
    /// The CSeq method.
    pub method: String,
}

/// Identifies a server transaction: branch + sent-by + method, ACK matching INVITE (§17.2.3).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ServerKey {
    /// The top Via branch of the request.
    pub branch: String,
    /// The top Via sent-by.
    pub sent_by: String,
    /// The request method (INVITE for its ACK).
    pub method: String,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum TxId {
    Client(ClientKey),
    Server(ServerKey),
}

/// What an incoming message turned out to be.
#[derive(Debug)]
pub enum Incoming {
    /// A new request: a server transaction was created (except for ACK, which never has one).
    Request {
        /// The server transaction to answer through (`None` for an ACK to a 2xx).
        key: Option<ServerKey>,
        /// The request.
        request: Request,
        /// Where it came from (responses go back there).
        source: Destination,
    },
    /// A retransmission or ACK absorbed by an existing transaction.
    Absorbed,
    /// A response that matches no transaction (e.g. a 2xx retransmission after Timer M).
    StrayResponse(Response),
    /// A response that went to its client transaction; see `poll_event`.
    Matched,
}

/// An event from some transaction.
#[derive(Debug)]
pub enum TxEvent {
    /// From a client transaction.
    Client {
        /// Which one.
        key: ClientKey,
        /// The request it carried (for auth retries and the TU's bookkeeping).
        request: Box<Request>,
        /// What happened.
        event: ClientEvent,
    },
    /// From a server transaction.
    Server {
        /// Which one.
        key: ServerKey,
        /// What happened.
        event: ServerEvent,
    },
}

/// All transactions of one user agent.
#[derive(Debug, Default)]
pub struct TransactionLayer {
    cfg: TimerConfig,
    clients: HashMap<ClientKey, (ClientTransaction, Destination, Option<Instant>)>,
    servers: HashMap<ServerKey, (ServerTransaction, Destination, Option<Instant>)>,
    deadlines: BinaryHeap<Reverse<(Instant, TxId)>>,
    transmits: VecDeque<Transmit>,
    events: VecDeque<TxEvent>,
}

fn client_key(branch: &str, method: &Method) -> ClientKey {
    ClientKey { branch: branch.to_string(), method: method.to_string() }
}

impl TransactionLayer {
    /// A layer with the given T1/T2/T4.
    pub fn new(cfg: TimerConfig) -> Self {
        Self { cfg, ..Default::default() }
    }

    /// The timer values in use.
    pub fn timer_config(&self) -> TimerConfig {
        self.cfg
    }

    /// Number of live transactions (client, server).
    pub fn len(&self) -> (usize, usize) {
        (self.clients.len(), self.servers.len())
    }

    /// True when no transaction is live.
    pub fn is_empty(&self) -> bool {
        self.clients.is_empty() && self.servers.is_empty()
    }

    /// Sends a request in a new client transaction. An ACK is sent without one.
    /// The top Via must carry a unique branch.
    pub fn send_request(&mut self, now: Instant, req: Request, dest: Destination) -> Option<ClientKey> {
        if req.method == Method::ACK {
            self.transmits.push_back(Transmit { dest, data: req.to_bytes() });
            return None;
        }
        let branch = req.top_via().and_then(|v| v.branch().map(str::to_string)).unwrap_or_default();
        let key = client_key(&branch, &req.method);
        let tx = ClientTransaction::new(req, dest.transport.is_reliable(), self.cfg, now);
        self.clients.insert(key.clone(), (tx, dest, None));
        self.drain_client(&key);
        Some(key)
    }

    /// Routes a received message (RFC 3261 §17.1.3 and §17.2.3).
    pub fn handle_message(&mut self, now: Instant, msg: SipMessage, source: Destination) -> Incoming {
        match msg {
            SipMessage::Response(resp) => {
                let Some(via) = resp.top_via() else {
                    return Incoming::StrayResponse(resp);
                };
                let Ok((_, method)) = resp.cseq() else {
                    return Incoming::StrayResponse(resp);
                };
                let key = client_key(via.branch().unwrap_or_default(), &method);
                match self.clients.get_mut(&key) {
                    Some((tx, _, _)) => {
                        tx.handle_response(now, resp);
                        self.drain_client(&key);
                        Incoming::Matched
                    }
                    None => Incoming::StrayResponse(resp),
                }
            }
            SipMessage::Request(req) => {
                let via = req.top_via();
                let branch = via.as_ref().and_then(|v| v.branch().map(str::to_string)).unwrap_or_default();
                let sent_by = via.map(|v| v.sent_by()).unwrap_or_default();
                let method = if req.method == Method::ACK { Method::INVITE } else { req.method.clone() };
                let key = ServerKey { branch, sent_by, method: method.to_string() };
                if let Some((tx, _, _)) = self.servers.get_mut(&key) {
                    // An ACK for a 2xx (Accepted state) belongs to the TU, not the transaction.
                    let to_tu = req.method == Method::ACK && tx.state() == ServerState::Accepted;
                    tx.handle_request(now, &req);
                    self.drain_server(&key);
                    if !to_tu {
                        return Incoming::Absorbed;
                    }
                    return Incoming::Request { key: None, request: req, source };
                }
                if req.method == Method::ACK {
                    return Incoming::Request { key: None, request: req, source };
                }
                let tx = ServerTransaction::new(req.clone(), source.transport.is_reliable(), self.cfg);
                self.servers.insert(key.clone(), (tx, source, None));
                self.drain_server(&key);
                Incoming::Request { key: Some(key), request: req, source }
            }
        }
    }

    /// Sends a response through a server transaction; false if it is gone.
    pub fn respond(&mut self, now: Instant, key: &ServerKey, resp: &Response) -> bool {
        let Some((tx, _, _)) = self.servers.get_mut(key) else {
            return false;
        };
        tx.respond(now, resp);
        self.drain_server(key);
        true
    }

    /// The transport failed towards `dest`: every client transaction there fails.
    pub fn handle_transport_error(&mut self, dest: Destination) {
        let keys: Vec<ClientKey> =
            self.clients.iter().filter(|(_, (_, d, _))| *d == dest).map(|(k, _)| k.clone()).collect();
        for k in keys {
            if let Some((tx, _, _)) = self.clients.get_mut(&k) {
                tx.handle_transport_error();
            }
            self.drain_client(&k);
        }
    }

    /// Fires every timer due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some(Reverse((at, id))) = self.deadlines.peek().cloned() {
            if at > now {
                break;
            }
            self.deadlines.pop();
            match id {
                TxId::Client(k) => {
                    if let Some((tx, _, _)) = self.clients.get_mut(&k)
                        && tx.poll_timeout().is_some_and(|t| t <= now)
                    {
                        tx.handle_timeout(now);
                        self.drain_client(&k);
                    }
                }
                TxId::Server(k) => {
                    if let Some((tx, _, _)) = self.servers.get_mut(&k)
                        && tx.poll_timeout().is_some_and(|t| t <= now)
                    {
                        tx.handle_timeout(now);
                        self.drain_server(&k);
                    }
                }
            }
        }
    }

    /// Next message to send.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// Next transaction event.
    pub fn poll_event(&mut self) -> Option<TxEvent> {
        self.events.pop_front()
    }

    /// The earliest timer of any transaction.
    pub fn poll_timeout(&mut self) -> Option<Instant> {
        // Lazy deletion: entries whose transaction is gone or re-armed are skipped.
        while let Some(Reverse((at, id))) = self.deadlines.peek() {
            let live = match id {
                TxId::Client(k) => self.clients.get(k).and_then(|(t, _, _)| t.poll_timeout()),
                TxId::Server(k) => self.servers.get(k).and_then(|(t, _, _)| t.poll_timeout()),
            };
            match live {
                Some(t) if t == *at => return Some(t),
                Some(t) if t > *at => {
                    let id = id.clone();
                    self.deadlines.pop();
                    self.deadlines.push(Reverse((t, id)));
                }
                _ => {
                    self.deadlines.pop();
                }
            }
        }
        None
    }

    fn drain_client(&mut self, key: &ClientKey) {
        let Some((tx, dest, scheduled)) = self.clients.get_mut(key) else {
            return;
        };
        while let Some(data) = tx.poll_transmit() {
            self.transmits.push_back(Transmit { dest: *dest, data });
        }
        while let Some(event) = tx.poll_event() {
            self.events.push_back(TxEvent::Client { key: key.clone(), request: Box::new(tx.request().clone()), event });
        }
        if tx.is_terminated() {
            self.clients.remove(key);
        } else if let Some(t) = tx.poll_timeout().filter(|t| *scheduled != Some(*t)) {
            // Only a new deadline goes on the heap: retransmissions must not grow it.
            *scheduled = Some(t);
            self.deadlines.push(Reverse((t, TxId::Client(key.clone()))));
        }
    }

    fn drain_server(&mut self, key: &ServerKey) {
        let Some((tx, dest, scheduled)) = self.servers.get_mut(key) else {
            return;
        };
        while let Some(data) = tx.poll_transmit() {
            self.transmits.push_back(Transmit { dest: *dest, data });
        }
        while let Some(event) = tx.poll_event() {
            self.events.push_back(TxEvent::Server { key: key.clone(), event });
        }
        if tx.is_terminated() {
            self.servers.remove(key);
        } else if let Some(t) = tx.poll_timeout().filter(|t| *scheduled != Some(*t)) {
            // Only a new deadline goes on the heap: retransmissions must not grow it.
            *scheduled = Some(t);
            self.deadlines.push(Reverse((t, TxId::Server(key.clone()))));
        }
    }
}
