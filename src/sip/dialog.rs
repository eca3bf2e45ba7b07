//! The dialog state a UAC keeps (RFC 3261 §12): Call-ID, tags, remote target, route set, CSeq.
//! Used by subscriptions (RFC 6665 §4.1.2: a NOTIFY may create the dialog before the 2xx).

use super::addr::{NameAddr, parse_name_addr_list};
use super::message::{Request, Response};
use ezk_sip_types::{Method, Name};

/// A dialog created by a request we sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dialog {
    /// Call-ID.
    pub call_id: String,
    /// Our tag (From of our requests).
    pub local_tag: String,
    /// The peer's tag, once known.
    pub remote_tag: Option<String>,
    /// Our URI (From).
    pub local_uri: String,
    /// The peer's URI (To).
    pub remote_uri: String,
    /// Where in-dialog requests go (the peer's Contact).
    pub remote_target: String,
    /// Route set, in the order of the Route headers to send.
    pub route_set: Vec<String>,
    /// Our last CSeq number.
    pub local_cseq: u32,
    /// The peer's last CSeq number.
    pub remote_cseq: Option<u32>,
    /// True once a 2xx or NOTIFY fixed the remote tag, target and route set.
    pub confirmed: bool,
}

impl Dialog {
    /// A dialog in the making: what the first request carries.
    pub fn new_uac(call_id: String, local_tag: String, local_uri: String, remote_uri: String) -> Self {
        Self {
            call_id,
            local_tag,
            remote_tag: None,
            local_uri: local_uri.clone(),
            remote_target: remote_uri.clone(),
            remote_uri,
            route_set: Vec::new(),
            local_cseq: 0,
            remote_cseq: None,
            confirmed: false,
        }
    }

    /// Builds the next request (initial or in-dialog): Request-URI, Route, From, To, Call-ID,
    /// CSeq. Via, Max-Forwards and Contact are the caller's.
    pub fn request(&mut self, method: Method) -> Request {
        self.local_cseq += 1;
        let mut req = Request::new(method.clone(), self.remote_target.clone());
        for r in &self.route_set {
            req.headers.insert(Name::ROUTE, r.clone());
        }
        let mut from = NameAddr::new(self.local_uri.clone());
        from.set_param("tag", Some(&self.local_tag));
        let mut to = NameAddr::new(self.remote_uri.clone());
        if let Some(t) = &self.remote_tag {
            to.set_param("tag", Some(t));
        }
        req.headers.insert(Name::FROM, from.to_header());
        req.headers.insert(Name::TO, to.to_header());
        req.headers.insert(Name::CALL_ID, self.call_id.clone());
        req.headers.insert(Name::CSEQ, format!("{} {method}", self.local_cseq));
        req
    }

    /// A 2xx to our request: remote tag, target and (first time) the route set, reversed.
    pub fn on_response(&mut self, resp: &Response) {
        if !(200..300).contains(&resp.code) {
            return;
        }
        if let Some(t) = resp.to_tag() {
            self.remote_tag = Some(t);
        }
        if let Some(target) = first_contact(resp.header(&Name::CONTACT)) {
            self.remote_target = target;
        }
        if !self.confirmed {
            let mut rs = record_route(resp.headers.get_raw(&Name::RECORD_ROUTE).map(|v| v.as_str()));
            rs.reverse();
            self.route_set = rs;
            self.confirmed = true;
        }
    }

    /// A request from the peer inside this dialog (a NOTIFY): CSeq must grow; the first one
    /// also sets the remote tag, target and route set (in Record-Route order). False when the
    /// CSeq is old (a retransmission beyond the transaction, or out of order).
    pub fn on_request(&mut self, req: &Request) -> bool {
        let cseq = req.cseq().map(|c| c.0).unwrap_or(0);
        if self.remote_cseq.is_some_and(|last| cseq <= last) {
            return false;
        }
        self.remote_cseq = Some(cseq);
        if let Some(t) = req.from_tag() {
            self.remote_tag = Some(t);
        }
        if let Some(target) = first_contact(req.header(&Name::CONTACT)) {
            self.remote_target = target;
        }
        if !self.confirmed {
            self.route_set = record_route(req.headers.get_raw(&Name::RECORD_ROUTE).map(|v| v.as_str()));
            self.confirmed = true;
        }
        true
    }
}

fn first_contact(v: Option<&str>) -> Option<String> {
    parse_name_addr_list(v?).ok()?.into_iter().next().map(|c| c.uri)
}

fn record_route<'a>(values: impl Iterator<Item = &'a str>) -> Vec<String> {
    values.flat_map(|v| parse_name_addr_list(v).unwrap_or_default()).map(|na| na.to_header()).collect()
}
