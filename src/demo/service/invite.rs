//! INVITE, ACK, BYE and CANCEL in the demo service: the echo extension answers at once; a
//! colleague rings (their lamp shows the console as the caller), then answers or refuses
//! per their line and status, is busy while the call lasts and hangs up after a while; a
//! directed pickup (Replaces from dialog-info, or the `**` code + extension) takes a
//! colleague's ringing call, which then echoes.

use super::calls::{Call, Callee, MAX_CALL, MAX_CALLS, Phase, RING_TIME};
use super::core::{MediaRequest, ServiceCore};
use crate::api::Command;
use crate::demo::office::ECHO_EXT;
use crate::presence::{LineState, UserStatus};
use crate::sip::message::{Request, Response};
use crate::sip::refer::Replaces;
use crate::sip::transaction::ServerKey;
use crate::sip::transport::{Destination, Transmit};
use ezk_sip_types::Name;
use rand::Rng;
use std::time::{Duration, Instant};

impl ServiceCore {
    pub(super) fn on_invite(&mut self, now: Instant, key: ServerKey, req: Request, source: Destination, tag: &str) {
        let user = crate::sip::addr::uri_user(&req.uri).unwrap_or_default().to_owned();
        if req.to_tag().is_some() {
            // A re-INVITE (hold, resume) in one of our calls.
            let contact = self.contact(&user);
            let resp = match self.calls.iter_mut().find(|c| c.id == req.call_id()) {
                Some(call) => call.reanswer(&req, &contact),
                None => Response::to_request(&req, 481, "Call/Transaction Does Not Exist", None),
            };
            return self.respond(now, &key, resp);
        }
        let reply = |code: u16, reason: &str| Response::to_request(&req, code, reason, Some(tag));
        if self.calls.len() >= MAX_CALLS || self.calls.iter().any(|c| c.id == req.call_id()) {
            let r = reply(486, "Busy Here");
            return self.respond(now, &key, r);
        }
        // Directed pickup: Replaces naming a ringing dialog we published, or `**ext`.
        let pickup = match req.header(&Name::REPLACES).map(Replaces::parse) {
            Some(Some(r)) => self.ring_ids.iter().find(|(_, ids)| ids.call_id == r.call_id).map(|(i, _)| *i).ok_or(481),
            Some(None) => Err(400),
            None => match user.strip_prefix("**").map(|e| self.colleague(e)) {
                Some(Some(i)) if matches!(self.line(i), LineState::Ringing { .. }) => Ok(i),
                Some(_) => Err(480),
                None => Err(0),
            },
        };
        let callee = match pickup {
            Ok(i) => {
                let ext = self.office.colleagues()[i].ext.clone();
                let t = self.office_now(now);
                self.office.handle_command(t, Command::Pickup { ext });
                self.drain_office(now);
                Callee::Echo
            }
            Err(0) if user == ECHO_EXT => Callee::Echo,
            Err(0) => match self.colleague(&user) {
                Some(i) => Callee::Colleague(i),
                None => {
                    let r = reply(404, "Not Found");
                    return self.respond(now, &key, r);
                }
            },
            Err(code) => {
                let r = reply(code, if code == 481 { "Call/Transaction Does Not Exist" } else { "Nothing To Pick Up" });
                return self.respond(now, &key, r);
            }
        };
        let id = req.call_id().to_owned();
        let mut call = Call::new(&id, callee, req, key.clone(), source, tag);
        match callee {
            Callee::Echo => self.media.push_back(MediaRequest::Open { call: id }),
            Callee::Colleague(i) => {
                let status = self.office.lamps()[i].status.clone();
                let line = self.line(i);
                let refuse = match (&status, &line) {
                    (UserStatus::Unavailable, _) | (_, LineState::Offline) => {
                        let r = call.response(480, "Temporarily Unavailable", "");
                        return self.respond(now, &key, r);
                    }
                    (UserStatus::Dnd, _) => {
                        let r = call.response(486, "Busy Here", "");
                        return self.respond(now, &key, r);
                    }
                    (_, LineState::Ringing { .. } | LineState::Busy { .. } | LineState::Held) => Some(486),
                    _ => None,
                };
                let until = now + if refuse.is_some() { Duration::from_millis(1500) } else { RING_TIME };
                call.phase = Phase::Ringing { until, refuse };
                let ringing = call.response(180, "Ringing", &self.contact(&user));
                self.respond(now, &key, ringing);
                if refuse.is_none() {
                    self.overrides.insert(i, LineState::Ringing { caller: Some(call.caller_label.clone()) });
                    self.changed(now, i);
                }
            }
        }
        self.calls.push(call);
    }

    /// The driver opened the echo socket of `call` at `rtp`: answer with SDP.
    pub fn media_opened(&mut self, now: Instant, call: &str, rtp: std::net::SocketAddr) {
        if !self.outside_media_opened(now, call, rtp) {
            self.answer_call(now, call, rtp);
        }
        self.drain_transactions(now);
    }

    fn answer_call(&mut self, now: Instant, call: &str, rtp: std::net::SocketAddr) {
        let Some(pos) = self.calls.iter().position(|c| c.id == call && c.phase == Phase::Opening) else {
            // The call ended meanwhile.
            self.media.push_back(MediaRequest::Close { call: call.to_owned() });
            return;
        };
        let sid = self.rng.random_range(1..u32::MAX / 2);
        let user = crate::sip::addr::uri_user(&self.calls[pos].invite.uri).unwrap_or_default().to_owned();
        let contact = self.contact(&user);
        let t1 = self.cfg.timers.t1;
        let timeout = self.cfg.timers.timeout();
        let hangup_in = match self.calls[pos].callee {
            Callee::Echo => MAX_CALL,
            Callee::Colleague(_) => Duration::from_secs(self.rng.random_range(20..40)),
        };
        match self.calls[pos].answer(rtp, sid, &contact) {
            Ok(ok) => {
                let c = &mut self.calls[pos];
                c.phase = Phase::Answered;
                c.ok_resend = Some((ok.to_bytes(), now + t1, t1, now + timeout));
                c.hangup_at = Some(now + hangup_in);
                let (key, callee, label) = (c.key.clone(), c.callee, c.caller_label.clone());
                self.respond(now, &key, ok);
                if let Callee::Colleague(i) = callee {
                    self.overrides.insert(i, LineState::Busy { peer: Some(label) });
                    self.changed(now, i);
                }
            }
            Err(code) => {
                let r = self.calls[pos].response(code, "Not Acceptable Here", "");
                let key = self.calls[pos].key.clone();
                self.respond(now, &key, r);
                self.end_call(now, pos, false);
            }
        }
    }

    /// The driver could not open an RTP socket for `call`.
    pub fn media_failed(&mut self, now: Instant, call: &str) {
        self.outside_bye(call);
        if let Some(pos) = self.calls.iter().position(|c| c.id == call) {
            let r = self.calls[pos].response(500, "No Media Socket", "");
            let key = self.calls[pos].key.clone();
            self.respond(now, &key, r);
            self.end_call(now, pos, false);
        }
        self.drain_transactions(now);
    }

    pub(super) fn on_ack(&mut self, req: &Request) {
        if let Some(c) = self.calls.iter_mut().find(|c| c.id == req.call_id()) {
            c.ok_resend = None;
        }
    }

    pub(super) fn on_bye(&mut self, now: Instant, key: &ServerKey, req: &Request) {
        match self.calls.iter().position(|c| c.id == req.call_id() && c.phase == Phase::Answered) {
            Some(pos) => {
                self.respond(now, key, Response::to_request(req, 200, "OK", None));
                self.end_call(now, pos, false);
            }
            None if self.outside_bye(req.call_id()) => {
                self.respond(now, key, Response::to_request(req, 200, "OK", None))
            }
            None => self.respond(now, key, Response::to_request(req, 481, "Call/Transaction Does Not Exist", None)),
        }
    }

    pub(super) fn on_cancel(&mut self, now: Instant, key: &ServerKey, req: &Request) {
        match self.calls.iter().position(|c| c.id == req.call_id() && c.phase != Phase::Answered) {
            Some(pos) => {
                self.respond(now, key, Response::to_request(req, 200, "OK", None));
                let terminated = self.calls[pos].response(487, "Request Terminated", "");
                let invite_key = self.calls[pos].key.clone();
                self.respond(now, &invite_key, terminated);
                self.end_call(now, pos, false);
            }
            None => self.respond(now, key, Response::to_request(req, 481, "Call/Transaction Does Not Exist", None)),
        }
    }

    /// Ends call `pos` (with a BYE from us when `bye`), closes its media and frees the
    /// colleague's line.
    pub(super) fn end_call(&mut self, now: Instant, pos: usize, bye: bool) {
        let mut call = self.calls.remove(pos);
        if bye {
            let branch = self.branch();
            let req = call.bye(self.local, &branch);
            self.send_request(now, req, call.source);
        }
        self.media.push_back(MediaRequest::Close { call: call.id.clone() });
        if let Callee::Colleague(i) = call.callee
            && self.overrides.remove(&i).is_some()
        {
            self.changed(now, i);
        }
    }

    /// Ringing that ends, 2xx re-sent until the ACK, hang-ups that are due.
    pub(super) fn call_timers(&mut self, now: Instant) {
        let t2 = self.cfg.timers.t2;
        let mut pos = 0;
        // Each pass either advances `pos` or removes a call: at most 2 × MAX_CALLS steps.
        while pos < self.calls.len() {
            let c = &mut self.calls[pos];
            if let Phase::Ringing { until, refuse } = c.phase
                && until <= now
            {
                match refuse {
                    Some(code) => {
                        let r = c.response(code, "Busy Here", "");
                        let key = c.key.clone();
                        self.respond(now, &key, r);
                        self.end_call(now, pos, false);
                        continue;
                    }
                    None => {
                        c.phase = Phase::Opening;
                        self.media.push_back(MediaRequest::Open { call: c.id.clone() });
                    }
                }
            }
            let c = &mut self.calls[pos];
            if let Some((bytes, at, interval, give_up)) = c.ok_resend.clone()
                && at <= now
            {
                if give_up <= now {
                    tracing::info!(call = %c.id, "demo service: no ACK for our 200; call ended");
                    self.end_call(now, pos, true);
                    continue;
                }
                self.transmits.push_back(Transmit { dest: c.source, data: bytes.clone() });
                let next = (interval * 2).min(t2);
                c.ok_resend = Some((bytes, now + next, next, give_up));
            }
            let c = &self.calls[pos];
            if c.phase == Phase::Answered && c.hangup_at.is_some_and(|t| t <= now) {
                self.end_call(now, pos, true);
                continue;
            }
            pos += 1;
        }
    }

    /// The earliest step of any call.
    pub(super) fn calls_timeout(&self) -> Option<Instant> {
        let steps = self.calls.iter().flat_map(|c| {
            let ring = match c.phase {
                Phase::Ringing { until, .. } => Some(until),
                _ => None,
            };
            [ring, c.ok_resend.as_ref().map(|r| r.1), c.hangup_at.filter(|_| c.phase == Phase::Answered)]
        });
        steps.flatten().min()
    }
}
