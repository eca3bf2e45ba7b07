//! The wall's state: one merged lamp per watched colleague, fed by the presence and dialog
//! subscriptions (RFC 6665 dialogs → bodies → status/line → LED), emitting a lamp event
//! whenever what a user would see changes.

use crate::api::LampEvent;
use crate::presence::dialog_info::{DialogState, parse_dialog_info};
use crate::presence::lamp::{Freshness, Lamp};
use crate::presence::pidf::{StatusMap, interpret, parse_presence};
use crate::presence::status::{LineState, UserStatus};
use crate::presence::{EventListError, InstanceState, ResourceChange, rlmi::EventList};
use crate::sip::subscription::{SubId, SubStatus};
use std::collections::HashMap;

/// Which event package a subscription serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Package {
    /// `presence` (PIDF, RPID, Digium, xpidf).
    Presence,
    /// `dialog` (RFC 4235).
    Dialog,
}

impl Package {
    /// From an event package name.
    pub fn from_event(e: &str) -> Option<Package> {
        match e.trim().to_ascii_lowercase().as_str() {
            "presence" => Some(Package::Presence),
            "dialog" => Some(Package::Dialog),
            _ => None,
        }
    }
    /// The Event header value.
    pub fn event(self) -> &'static str {
        match self {
            Package::Presence => "presence",
            Package::Dialog => "dialog",
        }
    }
    /// The Accept header value.
    pub fn accept(self) -> &'static str {
        match self {
            Package::Presence => "application/pidf+xml, application/xpidf+xml, application/cpim-pidf+xml",
            Package::Dialog => "application/dialog-info+xml",
        }
    }
}

struct Watched {
    ext: String,
    uri: String,
    lamp: Lamp,
    dialogs: DialogState,
    reason: Option<String>,
    has_presence: bool,
    last: Option<LampEvent>,
}

/// Every watched colleague of one account.
#[derive(Default)]
pub struct LampBook {
    items: Vec<Watched>,
    by_sub: HashMap<SubId, (usize, Package)>,
    lists: HashMap<SubId, (Package, EventList, Vec<usize>)>,
    map: StatusMap,
}

/// What the book wants done after a NOTIFY.
pub enum Followup {
    /// Nothing.
    None,
    /// The dialog-info version had a gap: fetch the full state again.
    Resync(SubId),
}

impl LampBook {
    /// Adds a colleague; returns its index.
    pub fn add(&mut self, ext: &str, uri: &str) -> usize {
        let mut lamp = Lamp::default();
        lamp.freshness = Freshness::Pending;
        self.items.push(Watched {
            ext: ext.to_string(),
            uri: uri.to_string(),
            lamp,
            dialogs: DialogState::default(),
            reason: None,
            has_presence: false,
            last: None,
        });
        self.items.len() - 1
    }

    /// What a directed pickup of `ext`'s ringing call needs: the colleague's URI and the
    /// Replaces header built from the ringing dialog's ids in dialog-info (the notifier's
    /// local tag is the to-tag). `None` when no ringing dialog with ids is known.
    pub fn pickup_target(&self, ext: &str) -> Option<(String, crate::sip::refer::Replaces)> {
        let w = self.items.iter().find(|w| w.ext == ext || w.uri == ext)?;
        let d = w.dialogs.ringing_dialog()?;
        let r = crate::sip::refer::Replaces {
            call_id: d.call_id.clone()?,
            to_tag: d.local_tag.clone()?,
            from_tag: d.remote_tag.clone()?,
            early_only: true,
        };
        Some((w.uri.clone(), r))
    }

    /// The watched URI of colleague `ext` and its first ringing dialog (for a directed pickup).
    pub fn ringing_dialog(&self, ext: &str) -> Option<(String, crate::presence::dialog_info::DialogEntry)> {
        let w = self.items.iter().find(|w| w.ext == ext || w.uri == ext)?;
        Some((w.uri.clone(), w.dialogs.ringing_dialog()?.clone()))
    }

    /// Number of colleagues.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True when nobody is watched.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Ties a subscription to a colleague.
    pub fn link(&mut self, idx: usize, sub: SubId, pkg: Package) {
        self.by_sub.insert(sub, (idx, pkg));
    }

    /// Ties a resource-list subscription (RFC 4662) to the wall: its members become lamps.
    pub fn link_list(&mut self, sub: SubId, pkg: Package) {
        self.lists.insert(sub, (pkg, EventList::new(), Vec::new()));
    }

    /// A list subscription did not work out; returns its package, and the colleagues that
    /// now need one subscription each (those without one for that package).
    pub fn unlink_list(&mut self, sub: SubId) -> Option<(Package, Vec<(usize, String)>)> {
        let (pkg, _, _) = self.lists.remove(&sub)?;
        let covered: Vec<usize> = self.by_sub.values().filter(|(_, p)| *p == pkg).map(|(i, _)| *i).collect();
        let need = self
            .items
            .iter()
            .enumerate()
            .filter(|(i, _)| !covered.contains(i))
            .map(|(i, w)| (i, w.uri.clone()))
            .collect();
        Some((pkg, need))
    }

    /// True when `sub` is a resource-list subscription.
    pub fn is_list(&self, sub: SubId) -> bool {
        self.lists.contains_key(&sub)
    }

    /// A NOTIFY of a list subscription: every resource update becomes a lamp update
    /// (members appear as lamps the first time they are listed).
    pub fn on_list_notify(&mut self, sub: SubId, content_type: &str, body: &[u8]) -> (Followup, Vec<LampEvent>) {
        let Some((pkg, list, _)) = self.lists.get_mut(&sub) else { return (Followup::None, Vec::new()) };
        let pkg = *pkg;
        if body.is_empty() {
            return (Followup::None, Vec::new());
        }
        let updates = match list.apply(content_type, body) {
            Ok(u) => u,
            Err(EventListError::Resync) => return (Followup::Resync(sub), Vec::new()),
            Err(e) => {
                tracing::info!(error = %e, "unreadable resource-list NOTIFY");
                return (Followup::None, Vec::new());
            }
        };
        let mut out = Vec::new();
        for u in updates {
            let idx = match self.items.iter().position(|w| crate::sip::registration::uri_eq(&w.uri, &u.uri)) {
                Some(i) => i,
                None => {
                    let ext = crate::sip::addr::uri_user(&u.uri).unwrap_or(&u.uri).to_string();
                    self.add(&ext, &u.uri)
                }
            };
            if let Some((_, _, members)) = self.lists.get_mut(&sub)
                && !members.contains(&idx)
            {
                members.push(idx);
            }
            match &u.change {
                ResourceChange::Instance(i) if i.state == InstanceState::Terminated => {
                    let why = format!("ended by the list server ({})", i.reason.as_deref().unwrap_or("no reason"));
                    self.items[idx].lamp.freshness = Freshness::Failed(why.clone());
                    self.items[idx].reason = Some(why);
                }
                ResourceChange::Instance(i) if i.state == InstanceState::Pending => {
                    self.items[idx].lamp.freshness = Freshness::Pending;
                }
                ResourceChange::Removed => {
                    self.items[idx].lamp.freshness = Freshness::Failed("removed from the list".into());
                    self.items[idx].lamp.clear_line();
                }
                _ => {}
            }
            if let Some(part) = &u.part {
                let _ = self.apply_body(idx, pkg, &part.body);
            }
            if let Some(ev) = self.emit(idx) {
                out.push(ev);
            }
        }
        (Followup::None, out)
    }

    /// A NOTIFY body for subscription `sub`. Returns what to do next and, when the lamp
    /// changed visibly, its new state.
    pub fn on_notify(&mut self, sub: SubId, body: &[u8]) -> (Followup, Option<LampEvent>) {
        let Some(&(idx, pkg)) = self.by_sub.get(&sub) else { return (Followup::None, None) };
        let resync = self.apply_body(idx, pkg, body);
        let follow = if resync { Followup::Resync(sub) } else { Followup::None };
        (follow, self.emit(idx))
    }

    /// Applies one body of `pkg` to lamp `idx`; true when dialog-info needs a full resync.
    fn apply_body(&mut self, idx: usize, pkg: Package, body: &[u8]) -> bool {
        let w = &mut self.items[idx];
        let mut follow = false;
        w.reason = None;
        match pkg {
            // No presence document: a colleague nobody published for is current but unknown;
            // one we knew keeps its state, marked stale (PRESENCE.md row 30).
            Package::Presence if body.is_empty() && !w.has_presence => w.lamp.freshness = Freshness::Fresh,
            Package::Presence if body.is_empty() => w.lamp.apply_no_body(),
            Package::Presence => match parse_presence(body) {
                Ok(doc) => {
                    w.lamp.apply_presence(interpret(&doc, &self.map));
                    w.lamp.freshness = Freshness::Fresh;
                    w.has_presence = true;
                }
                Err(e) => {
                    tracing::info!(ext = %w.ext, error = %e, "unreadable presence body");
                    w.lamp.apply_unreadable();
                    w.reason = Some(format!("unreadable presence document: {e}"));
                }
            },
            // Kamailio without dummy dialogs: an empty NOTIFY means no dialog to report.
            Package::Dialog if body.is_empty() => {
                w.lamp.apply_line(w.dialogs.line_state());
                w.lamp.freshness = Freshness::Fresh;
            }
            Package::Dialog => match parse_dialog_info(body) {
                Ok(info) => match w.dialogs.apply(info) {
                    Ok(()) => {
                        w.lamp.apply_line(w.dialogs.line_state());
                        w.lamp.freshness = Freshness::Fresh;
                    }
                    Err(_) => follow = true,
                },
                Err(e) => {
                    tracing::info!(ext = %w.ext, error = %e, "unreadable dialog-info body");
                    w.reason = Some(format!("unreadable dialog-info document: {e}"));
                }
            },
        }
        follow
    }

    /// A subscription's status changed.
    pub fn on_status(&mut self, sub: SubId, status: &SubStatus) -> Vec<LampEvent> {
        if let Some((pkg, _, members)) = self.lists.get(&sub) {
            let (pkg, members) = (*pkg, members.clone());
            if matches!(status, SubStatus::Pending | SubStatus::Stale(_))
                && let Some((_, list, _)) = self.lists.get_mut(&sub)
            {
                list.reset();
            }
            return members.into_iter().filter_map(|idx| self.status_of(idx, pkg, status)).collect();
        }
        let Some(&(idx, pkg)) = self.by_sub.get(&sub) else { return Vec::new() };
        self.status_of(idx, pkg, status).into_iter().collect()
    }

    fn status_of(&mut self, idx: usize, pkg: Package, status: &SubStatus) -> Option<LampEvent> {
        let w = &mut self.items[idx];
        if pkg == Package::Dialog && matches!(status, SubStatus::Pending | SubStatus::Stale(_)) {
            // A new subscription dialog starts its own dialog-info version count.
            w.dialogs.reset();
        }
        match status {
            SubStatus::Pending => {
                if !matches!(w.lamp.freshness, Freshness::Fresh) {
                    w.lamp.freshness = Freshness::Pending;
                }
            }
            SubStatus::Active => {}
            SubStatus::Stale(why) => {
                // The status a colleague set stays (marked stale); the line does not: an
                // outdated "idle" would invite a transfer to someone who may be on a call.
                w.lamp.freshness = Freshness::Stale;
                w.lamp.clear_line();
                w.reason = Some(why.clone());
            }
            SubStatus::Failed { code, reason } => {
                let r = match code {
                    Some(c) => format!("{c}: {reason}"),
                    None => reason.clone(),
                };
                w.lamp.freshness = Freshness::Failed(r.clone());
                w.reason = Some(r);
                w.lamp.clear_line();
            }
            SubStatus::Ended => return None,
        }
        self.emit(idx)
    }

    /// The current state of every lamp not reported yet (right after `add`).
    pub fn snapshot(&mut self) -> Vec<LampEvent> {
        (0..self.items.len()).filter_map(|i| self.emit(i)).collect()
    }

    fn render(&self, idx: usize) -> LampEvent {
        let w = &self.items[idx];
        let (led, blink) = w.lamp.led();
        let (blf_led, blf_blink) = w.lamp.blf_led();
        let (caller, peer) = match &w.lamp.line {
            LineState::Ringing { caller } => (caller.clone(), None),
            LineState::Busy { peer } => (None, peer.clone()),
            _ => (None, None),
        };
        let freshness = match &w.lamp.freshness {
            Freshness::Unknown => "unknown",
            Freshness::Pending => "pending",
            Freshness::Fresh => "fresh",
            Freshness::Stale => "stale",
            Freshness::Failed(_) => "failed",
        };
        LampEvent {
            ext: w.ext.clone(),
            uri: w.uri.clone(),
            status: w.lamp.status.as_str().to_string(),
            note: w.lamp.note.clone().or_else(|| match &w.lamp.status {
                UserStatus::Custom(text) => Some(text.clone()),
                _ => None,
            }),
            label: w.lamp.status.label().to_string(),
            line: w.lamp.line.as_str().to_string(),
            led: led.as_str().to_string(),
            blink,
            fresh: freshness == "fresh",
            freshness: freshness.to_string(),
            caller,
            peer,
            reason: w.reason.clone(),
            blf_led: blf_led.as_str().to_string(),
            blf_blink,
        }
    }

    /// The lamp event when it differs from the last one emitted.
    fn emit(&mut self, idx: usize) -> Option<LampEvent> {
        let ev = self.render(idx);
        let w = &mut self.items[idx];
        if w.last.as_ref() == Some(&ev) {
            return None;
        }
        w.last = Some(ev.clone());
        Some(ev)
    }
}
