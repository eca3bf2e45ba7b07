//! REFER inside a call dialog (RFC 3515, RFC 5589): we transfer the other side (blind, or
//! attended with a Replaces in the Refer-To), or the other side transfers us. The implicit
//! `refer` subscription's NOTIFYs carry the new call's status as `message/sipfrag`.

use super::{CallEvent, CallState, InviteSession};
use crate::sip::message::{Request, Response, name};
use crate::sip::refer::{sipfrag, sipfrag_status};
use ezk_sip_types::{Method, Name};

impl InviteSession {
    /// Asks the other side to call `refer_to` (a Refer-To value, `<sip:…>`); `referred_by` is
    /// our address of record. Only on an answered call.
    pub fn refer(&mut self, refer_to: &str, referred_by: &str) {
        if self.state != CallState::Confirmed || self.refer_cseq.is_some() {
            return;
        }
        self.refer_challenged = false;
        self.send_refer(refer_to, referred_by);
    }

    fn send_refer(&mut self, refer_to: &str, referred_by: &str) {
        let mut req = self.dialog.request(Method::REFER);
        req.headers.insert(Name::CONTACT, format!("<{}>", self.contact));
        req.headers.insert(name("Refer-To"), refer_to.to_string());
        req.headers.insert(name("Referred-By"), format!("<{referred_by}>"));
        if self.auth.has_credentials_cached() {
            let cnonce = self.cnonce();
            self.auth.authorize(&mut req, &cnonce);
        }
        self.refer_cseq = Some(self.dialog.local_cseq);
        self.refer_sent = Some(req.clone());
        self.requests.push_back(req);
    }

    /// As transferee: reports the new call's progress to the transferor in a sipfrag NOTIFY;
    /// `terminated` ends the implicit subscription (a final status).
    pub fn notify_refer(&mut self, code: u16, reason: &str, terminated: bool) {
        if !matches!(self.state, CallState::Confirmed | CallState::Ending) {
            return;
        }
        let mut req = self.dialog.request(Method::NOTIFY);
        req.headers.insert(Name::CONTACT, format!("<{}>", self.contact));
        req.headers.insert(Name::EVENT, "refer".to_string());
        let state = if terminated { "terminated;reason=noresource".to_string() } else { "active;expires=60".into() };
        req.headers.insert(name("Subscription-State"), state);
        req.set_body("message/sipfrag;version=2.0", bytes::Bytes::from(sipfrag(code, reason)));
        self.requests.push_back(req);
    }

    pub(super) fn refer_response(&mut self, sent: &Request, resp: &Response) {
        if resp.code < 200 || sent.cseq().ok().map(|c| c.0) != self.refer_cseq {
            return;
        }
        if matches!(resp.code, 401 | 407)
            && !self.refer_challenged
            && let Some(prev) = self.refer_sent.clone()
            && self.auth.handle_challenge(resp).is_ok()
        {
            // One retry per challenge (a new CSeq, now with credentials).
            self.refer_challenged = true;
            let refer_to = prev.header(&name("Refer-To")).unwrap_or_default().to_string();
            let by = prev.header(&name("Referred-By")).unwrap_or_default();
            let by = by.trim_start_matches('<').trim_end_matches('>').to_string();
            self.send_refer(&refer_to, &by);
            return;
        }
        self.refer_sent = None;
        if resp.code >= 300 {
            self.refer_cseq = None;
        }
        self.events.push_back(CallEvent::ReferAnswered { code: resp.code });
    }

    pub(super) fn handle_refer(&mut self, req: &Request) -> Response {
        let tag = self.dialog.local_tag.clone();
        let Some(refer_to) = req.header(&name("Refer-To")).map(str::to_string) else {
            return Response::to_request(req, 400, "Missing Refer-To", Some(&tag));
        };
        if self.state != CallState::Confirmed {
            return Response::to_request(req, 603, "Decline", Some(&tag));
        }
        let referred_by = req.header(&name("Referred-By")).map(str::to_string);
        self.events.push_back(CallEvent::Referred { refer_to, referred_by });
        // RFC 3515 §2.4.4: the first NOTIFY follows the 202 at once.
        self.notify_refer(100, "Trying", false);
        Response::to_request(req, 202, "Accepted", Some(&tag))
    }

    pub(super) fn handle_refer_notify(&mut self, req: &Request) -> Response {
        let tag = self.dialog.local_tag.clone();
        let terminated = req
            .header(&name("Subscription-State"))
            .is_some_and(|v| v.trim().to_ascii_lowercase().starts_with("terminated"));
        match sipfrag_status(&req.body) {
            Some(code) => {
                self.events.push_back(CallEvent::ReferProgress { code, terminated });
                Response::to_request(req, 200, "OK", Some(&tag))
            }
            None => Response::to_request(req, 400, "Bad sipfrag", Some(&tag)),
        }
    }
}
