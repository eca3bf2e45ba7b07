//! Transfers and replacements across the calls of one account: blind and attended transfer
//! (we send REFER and follow the sipfrag NOTIFYs), being transferred (we receive REFER, call
//! the Refer-To target and report its progress back), and INVITE with Replaces (RFC 3891:
//! the new call takes the place of one of ours, e.g. an attended transfer's target or a
//! pickup).

use super::calls::Calls;
use crate::api::Event;
use crate::presence::dialog_info::DialogEntry;
use crate::sip::invite::{CallEvent, CallState, Role};
use crate::sip::message::{Request, name};
use crate::sip::refer::{Replaces, parse_refer_to, refer_to_replacing};

/// Transfer bookkeeping of one call.
#[derive(Debug, Default, Clone)]
pub struct CallTransfer {
    /// We sent a REFER on this call, to this target.
    pub(super) referring: Option<String>,
    /// This call was made because the call with this id was referred (we are the
    /// transferee): its progress goes back there.
    pub(super) referred_from: Option<String>,
    /// This call replaces the call with this id, which ends once this one is answered.
    pub(super) replaces: Option<String>,
}

/// A call the engine must give an RTP socket to before the user agent goes on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bind {
    /// Make a new call (the transferee's call to the Refer-To target, or a pickup).
    Dial {
        /// The SIP URI to call.
        target: String,
        /// Extra INVITE headers (Replaces, Referred-By).
        headers: Vec<(String, String)>,
        /// The call that asked for it (REFER), if any.
        origin: Option<String>,
    },
    /// Answer an incoming call at once (an INVITE with Replaces for one of our calls).
    Answer {
        /// The call.
        call: String,
    },
}

impl Calls {
    /// Blind transfer: asks the other side of `id` to call `target` (a SIP URI).
    pub fn transfer(&mut self, id: &str, target: &str) {
        let aor = self.aor.clone();
        let Some(c) = self.calls.get_mut(id) else { return };
        c.transfer.referring = Some(target.to_string());
        c.session.refer(&format!("<{target}>"), &aor);
        self.drain(id);
    }

    /// Attended transfer: asks the other side of `id` to call the other side of `consult`,
    /// replacing our consult call (Refer-To with Replaces).
    pub fn attended_transfer(&mut self, id: &str, consult: &str) {
        let Some(k) = self.calls.get(consult) else { return };
        let d = k.session.dialog();
        let Some(remote_tag) = d.remote_tag.clone() else { return };
        // For the transfer target, its local tag is our remote tag (RFC 3891 §3).
        let r = Replaces {
            call_id: d.call_id.clone(),
            to_tag: remote_tag,
            from_tag: d.local_tag.clone(),
            early_only: false,
        };
        let target = d.remote_uri.clone();
        let refer_to = refer_to_replacing(&target, &r);
        let aor = self.aor.clone();
        let Some(c) = self.calls.get_mut(id) else { return };
        c.transfer.referring = Some(target);
        c.session.refer(&refer_to, &aor);
        self.drain(id);
    }

    /// The next call the engine must bind an RTP socket for.
    pub fn poll_bind(&mut self) -> Option<Bind> {
        self.binds.pop_front()
    }

    /// Marks `id` as the call made for the REFER received on `origin`.
    pub fn mark_referred(&mut self, id: &str, origin: Option<String>) {
        if let Some(c) = self.calls.get_mut(id) {
            c.transfer.referred_from = origin;
        }
    }

    /// An INVITE that carries Replaces (RFC 3891 §3): it takes the place of one of our calls
    /// (answered at once; the old call then ends with BYE, or CANCEL while it is early), or
    /// is refused: 481 when no call of ours matches or the match is an early dialog we did
    /// not initiate (nobody may grab a call ringing here), 486 for `early-only` on an
    /// answered call, 603 for a call already ending. Returns true when handled here.
    pub(super) fn incoming_replaces(&mut self, id: &str, invite: &Request) -> bool {
        let Some(v) = invite.header(&name("Replaces")) else { return false };
        let verdict = match Replaces::parse(v) {
            Some(r) => self.replaceable(id, &r),
            None => Err((400, "Bad Replaces Header")),
        };
        let Some(c) = self.calls.get_mut(id) else { return true };
        match verdict {
            Ok(old) => {
                c.transfer.replaces = Some(old.clone());
                c.session.ring();
                let remote = c.remote.clone();
                self.events.push_back(Event::Transfer {
                    id: old,
                    state: "replaced".into(),
                    target: remote,
                    code: None,
                });
                self.report(id, "ringing", None, None);
                self.binds.push_back(Bind::Answer { call: id.to_string() });
            }
            Err((code, reason)) => {
                c.session.reject(code, reason, None);
                c.disposed = Some(format!("Replaces refused: {code} {reason}"));
            }
        }
        self.drain(id);
        true
    }

    /// The call (other than `id`) that `r` may replace, or the response refusing it.
    fn replaceable(&self, id: &str, r: &Replaces) -> Result<String, (u16, &'static str)> {
        let (old, c) = self
            .calls
            .iter()
            .find(|(cid, c)| {
                let d = c.session.dialog();
                cid.as_str() != id
                    && d.call_id == r.call_id
                    && d.local_tag == r.to_tag
                    && d.remote_tag.as_deref() == Some(r.from_tag.as_str())
            })
            .ok_or((481, "Call/Transaction Does Not Exist"))?;
        match c.session.state() {
            CallState::Confirmed if r.early_only => Err((486, "Busy Here")),
            CallState::Confirmed => Ok(old.clone()),
            CallState::Ending | CallState::Ended => Err((603, "Declined")),
            // Early: only a call we made (its ringing callee is being picked up).
            _ if c.session.role() == Role::Caller => Ok(old.clone()),
            _ => Err((481, "Call/Transaction Does Not Exist")),
        }
    }

    /// REFER answers and NOTIFYs (as transferor), REFER requests (as transferee).
    pub(super) fn on_transfer_event(&mut self, id: &str, e: CallEvent) {
        let target = self.calls.get(id).and_then(|c| c.transfer.referring.clone()).unwrap_or_default();
        let (state, code) = match e {
            CallEvent::ReferAnswered { code } if code >= 300 => ("failed", Some(code)),
            CallEvent::ReferAnswered { code } => ("accepted", Some(code)),
            CallEvent::ReferProgress { code, .. } if code < 200 => ("trying", Some(code)),
            CallEvent::ReferProgress { code, .. } if code < 300 => {
                // The transferee reached the target: our part of the call is over.
                if let Some(c) = self.calls.get_mut(id) {
                    c.session.hangup();
                }
                self.drain(id);
                ("done", Some(code))
            }
            CallEvent::ReferProgress { code, .. } => ("failed", Some(code)),
            CallEvent::Referred { refer_to, referred_by } => {
                let Some(t) = parse_refer_to(&refer_to) else {
                    if let Some(c) = self.calls.get_mut(id) {
                        c.session.notify_refer(400, "Bad Refer-To", true);
                    }
                    self.drain(id);
                    return;
                };
                let mut headers = Vec::new();
                if let Some(r) = &t.replaces {
                    headers.push(("Replaces".to_string(), r.to_header()));
                }
                if let Some(by) = referred_by {
                    headers.push(("Referred-By".to_string(), by));
                }
                self.binds.push_back(Bind::Dial { target: t.uri.clone(), headers, origin: Some(id.to_string()) });
                self.events.push_back(Event::Transfer {
                    id: id.to_string(),
                    state: "requested".into(),
                    target: t.uri,
                    code: None,
                });
                return;
            }
            _ => return,
        };
        self.events.push_back(Event::Transfer { id: id.to_string(), state: state.into(), target, code });
    }

    /// What a call's progress means for the calls it is tied to: the REFER it answers, the
    /// call it replaces.
    pub(super) fn transfer_follow_up(&mut self, id: &str, e: &CallEvent) {
        let Some(t) = self.calls.get(id).map(|c| c.transfer.clone()) else { return };
        if let Some(origin) = &t.referred_from {
            let report = match e {
                CallEvent::Ringing { .. } => Some((180, "Ringing".to_string(), false)),
                CallEvent::Answered { .. } => Some((200, "OK".to_string(), true)),
                CallEvent::Ended { code, reason } => {
                    let answered = self.calls.get(id).is_some_and(|c| c.media_on);
                    (!answered).then(|| (code.unwrap_or(503), reason.clone(), true))
                }
                _ => None,
            };
            if let Some((code, reason, done)) = report
                && let Some(o) = self.calls.get_mut(origin)
            {
                let phrase = reason.trim_start_matches(|c: char| c.is_ascii_digit() || c == ' ').to_string();
                o.session.notify_refer(code, &phrase, done);
                self.drain(origin);
            }
        }
        if let (Some(old), CallEvent::Answered { .. }) = (&t.replaces, e) {
            if let Some(o) = self.calls.get_mut(old) {
                o.session.hangup();
            }
            self.drain(old);
        }
    }
}

impl super::UserAgent {
    /// Blind transfer of call `id` to `target` (number or SIP URI).
    pub fn transfer(&mut self, now: std::time::Instant, id: &str, target: &str) {
        let uri = super::target_uri(target, &self.account.domain);
        self.calls.transfer(id, &uri);
        self.pump(now);
    }

    /// Attended transfer: call `id`'s other side is connected to call `consult`'s.
    pub fn attended_transfer(&mut self, now: std::time::Instant, id: &str, consult: &str) {
        self.calls.attended_transfer(id, consult);
        self.pump(now);
    }

    /// Directed pickup of colleague `ext`'s ringing call: INVITE with Replaces built from the
    /// dialog-info ids when the lamp has them (see [`pickup_plan`]), otherwise the pickup
    /// feature code (`**ext`). The call is made once the engine has bound its RTP socket
    /// ([`Self::poll_bind`]).
    pub fn pickup(&mut self, ext: &str) {
        let plan = self.lamps.ringing_dialog(ext).and_then(|(watched, d)| pickup_plan(&watched, &d));
        let bind = match plan {
            Some((uri, r)) => {
                Bind::Dial { target: uri, headers: vec![("Replaces".into(), r.to_header())], origin: None }
            }
            None => {
                let code = format!("{}{ext}", self.account.feature_codes.pickup);
                Bind::Dial { target: super::target_uri(&code, &self.account.domain), headers: Vec::new(), origin: None }
            }
        };
        self.calls.binds.push_back(bind);
    }

    /// Parks call `id` with the PBX's in-call park code (UCM `#72`), sent as DTMF.
    pub fn park(&mut self, now: std::time::Instant, id: &str) {
        let code = self.account.feature_codes.park.clone();
        self.calls.dtmf(id, &code);
        self.pump(now);
    }

    /// The next call that needs an RTP socket (a pickup, a transferee's new call, a call that
    /// replaces another): bind one, then [`Self::complete_bind`].
    pub fn poll_bind(&mut self) -> Option<Bind> {
        self.calls.poll_bind()
    }

    /// Goes on with `bind` now that its RTP socket is bound at `local_rtp`; returns the call.
    pub fn complete_bind(&mut self, now: std::time::Instant, bind: Bind, local_rtp: std::net::SocketAddr) -> String {
        match bind {
            Bind::Dial { target, headers, origin } => {
                let id = self.dial_with(now, &target, local_rtp, headers);
                self.calls.mark_referred(&id, origin);
                id
            }
            Bind::Answer { call } => {
                self.answer(now, &call, local_rtp);
                call
            }
        }
    }
}

/// Where a directed pickup of the ringing dialog `d` of colleague `watched` (the watched
/// URI) is sent, and the Replaces header it carries; `None` when the dialog-info lacks the
/// Call-ID or a tag (then only the PBX's pickup code can help).
///
/// * Asterisk chan_sip with `notifycid` marks the Call-ID `pickup-…`: the PBX picks up its
///   own call, so the INVITE goes to the colleague's URI (the PBX) with the tags as seen
///   from the colleague's side.
/// * Otherwise (and when the caller is known and not withheld) the ids are taken to be the
///   real end-to-end dialog's, as Kamailio's pua_dialoginfo sends them:
///   RFC 3891 lets only the UA that *initiated* an early dialog replace it, so the INVITE
///   goes to the caller (the dialog's remote identity) with the tags from its side — its
///   local tag is the colleague's remote tag. The caller then drops its ringing call.
/// * With no reachable caller, the colleague's URI as for chan_sip.
///
/// Not verified against a B2BUA that sends real ids of its own leg (FreeSWITCH): there the
/// PBX, not the caller's phone, initiated the ringing dialog, so the INVITE must be taken by
/// the PBX on its way to the caller.
pub fn pickup_plan(watched: &str, d: &DialogEntry) -> Option<(String, Replaces)> {
    let (call_id, local, remote) = (d.call_id.clone()?, d.local_tag.clone()?, d.remote_tag.clone()?);
    // A withheld caller (`sip:anonymous@anonymous.invalid`) cannot be reached: the PBX then.
    let reachable = |u: &String| u.contains(':') && !u.to_ascii_lowercase().ends_with("@anonymous.invalid");
    let caller = d.remote_identity.clone().filter(|u| reachable(u) && !call_id.starts_with("pickup-"));
    Some(match caller {
        Some(caller) => (caller, Replaces { call_id, to_tag: remote, from_tag: local, early_only: true }),
        None => (watched.to_string(), Replaces { call_id, to_tag: local, from_tag: remote, early_only: true }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ringing(call_id: &str, caller: Option<&str>) -> DialogEntry {
        DialogEntry {
            id: "d1".into(),
            call_id: Some(call_id.into()),
            local_tag: Some("callee-tag".into()),
            remote_tag: Some("caller-tag".into()),
            direction: None,
            state: "early".into(),
            event: None,
            code: None,
            remote_identity: caller.map(str::to_string),
            remote_display: None,
            remote_target: None,
            local_identity: None,
            held: false,
        }
    }

    #[test]
    fn pickup_goes_to_the_caller_with_its_tags() {
        let (to, r) = pickup_plan("sip:1981@pbx", &ringing("abc", Some("sip:1982@pbx"))).unwrap();
        assert_eq!(to, "sip:1982@pbx");
        assert_eq!(r.to_header(), "abc;to-tag=caller-tag;from-tag=callee-tag;early-only");
    }

    #[test]
    fn chan_sip_pickup_ids_go_to_the_pbx() {
        let (to, r) = pickup_plan("sip:2000@pbx", &ringing("pickup-x@h", Some("sip:2002@pbx"))).unwrap();
        assert_eq!(to, "sip:2000@pbx");
        assert_eq!(r.to_header(), "pickup-x@h;to-tag=callee-tag;from-tag=caller-tag;early-only");
        let (to, _) = pickup_plan("sip:2000@pbx", &ringing("abc", None)).unwrap();
        assert_eq!(to, "sip:2000@pbx", "no caller known: the colleague's URI");
        let (to, _) = pickup_plan("sip:2000@pbx", &ringing("abc", Some("sip:anonymous@anonymous.invalid"))).unwrap();
        assert_eq!(to, "sip:2000@pbx", "a withheld caller cannot be reached");
        let mut no_tag = ringing("abc", Some("sip:2002@pbx"));
        no_tag.remote_tag = None;
        assert_eq!(pickup_plan("sip:2000@pbx", &no_tag), None);
    }
}
