//! Notices through the freedesktop notification server (`org.freedesktop.Notifications` on
//! the session bus: GNOME Shell, KDE Plasma, dunst, mako…), with action buttons.
//!
//! One thread owns the sending side (Notify / CloseNotification; it replaces a notice shown
//! under the same key), another listens for `ActionInvoked` and `NotificationClosed` and
//! turns clicks into [`Response`]s.

use super::{Notice, NoticeAction, NoticeKind, NoticeSink, Response};
use std::collections::HashMap;
use std::sync::mpsc::{Sender, channel};
use std::sync::{Arc, Mutex};
use zbus::blocking::{Connection, MessageIterator};
use zbus::message::Type;
use zbus::zvariant::Value;

const DEST: &str = "org.freedesktop.Notifications";
const PATH: &str = "/org/freedesktop/Notifications";
const APP: &str = "Lampboard";
/// The icon name of the installed app (`packaging/linux/lampboard.desktop`).
const ICON: &str = "lampboard";
/// Most signals queued for the listener.
const MAX_QUEUED: usize = 64;

/// The notices shown now, by the server's id.
type Shown = Arc<Mutex<HashMap<u32, Notice>>>;

/// A [`NoticeSink`] on the session bus's notification server.
pub struct DbusNotifier {
    tx: Sender<NoticeAction>,
}

impl DbusNotifier {
    /// Connects to the session bus. Clicks on our notices are sent into `responses`, and
    /// `wake` is called after each (so the UI polls them). Fails without a session bus.
    pub fn connect(responses: Sender<Response>, wake: impl Fn() + Send + 'static) -> zbus::Result<DbusNotifier> {
        DbusNotifier::on(Connection::session()?, responses, wake)
    }

    /// As [`DbusNotifier::connect`], on the bus at `address` (a D-Bus address such as
    /// `unix:path=/run/user/1000/bus`; tests run their own bus).
    pub fn connect_to(
        address: &str,
        responses: Sender<Response>,
        wake: impl Fn() + Send + 'static,
    ) -> zbus::Result<DbusNotifier> {
        let conn = zbus::blocking::connection::Builder::address(address)?.build()?;
        DbusNotifier::on(conn, responses, wake)
    }

    fn on(
        conn: Connection,
        responses: Sender<Response>,
        wake: impl Fn() + Send + 'static,
    ) -> zbus::Result<DbusNotifier> {
        let shown: Shown = Arc::default();
        let rule = zbus::MatchRule::builder().msg_type(Type::Signal).interface(DEST)?.path(PATH)?.build();
        let signals = MessageIterator::for_match_rule(rule, &conn, Some(MAX_QUEUED))?;
        let listen_shown = shown.clone();
        std::thread::Builder::new()
            .name("notify-signals".into())
            .spawn(move || listen(signals, listen_shown, responses, wake))
            .map_err(|e| zbus::Error::Failure(e.to_string()))?;
        let (tx, rx) = channel::<NoticeAction>();
        std::thread::Builder::new()
            .name("notify".into())
            .spawn(move || {
                let mut ids: HashMap<String, u32> = HashMap::new();
                for action in rx {
                    if let Err(e) = apply(&conn, &shown, &mut ids, action) {
                        tracing::warn!(%e, "desktop notification failed");
                    }
                }
            })
            .map_err(|e| zbus::Error::Failure(e.to_string()))?;
        Ok(DbusNotifier { tx })
    }
}

impl NoticeSink for DbusNotifier {
    fn apply(&mut self, action: NoticeAction) {
        // The worker thread only stops when this sender is dropped.
        let _ = self.tx.send(action);
    }
}

fn apply(conn: &Connection, shown: &Shown, ids: &mut HashMap<String, u32>, action: NoticeAction) -> zbus::Result<()> {
    match action {
        NoticeAction::Show(n) => {
            let replaces = ids.get(&n.key).copied().unwrap_or(0);
            let (actions, urgency, timeout): (Vec<&str>, u8, i32) = match n.kind {
                // Critical and without timeout: an incoming call stays until we close it.
                NoticeKind::Incoming => {
                    (vec!["default", "Show Lampboard", "answer", "Answer", "decline", "Decline"], 2, 0)
                }
                NoticeKind::Missed => (vec!["default", "Show Lampboard", "callback", "Call back"], 1, -1),
            };
            let mut hints: HashMap<&str, Value> = HashMap::new();
            hints.insert("urgency", Value::U8(urgency));
            hints.insert("desktop-entry", Value::from("lampboard"));
            let reply = conn.call_method(
                Some(DEST),
                PATH,
                Some(DEST),
                "Notify",
                &(APP, replaces, ICON, n.summary.as_str(), n.body.as_str(), actions, hints, timeout),
            )?;
            let id: u32 = reply.body().deserialize()?;
            ids.insert(n.key.clone(), id);
            lock(shown).insert(id, n);
        }
        NoticeAction::Close(key) => {
            if let Some(id) = ids.remove(&key) {
                lock(shown).remove(&id);
                conn.call_method(Some(DEST), PATH, Some(DEST), "CloseNotification", &(id,))?;
            }
        }
    }
    Ok(())
}

fn listen(signals: MessageIterator, shown: Shown, responses: Sender<Response>, wake: impl Fn()) {
    // Ends when the connection closes (the process exits) or nobody takes responses.
    for msg in signals {
        let Ok(msg) = msg else { continue };
        let header = msg.header();
        let member = header.member().map(|m| m.as_str().to_string()).unwrap_or_default();
        match member.as_str() {
            "ActionInvoked" => {
                let Ok((id, action)) = msg.body().deserialize::<(u32, String)>() else { continue };
                let notice = lock(&shown).get(&id).cloned();
                let Some(notice) = notice else { continue };
                if let Some(r) = Response::from_action(&action, &notice) {
                    if responses.send(r).is_err() {
                        return;
                    }
                    wake();
                }
            }
            "NotificationClosed" => {
                if let Ok((id, _reason)) = msg.body().deserialize::<(u32, u32)>() {
                    lock(&shown).remove(&id);
                }
            }
            _ => {}
        }
    }
}

fn lock(shown: &Shown) -> std::sync::MutexGuard<'_, HashMap<u32, Notice>> {
    // A poisoned map only means a panic elsewhere mid-insert; the map itself stays usable.
    shown.lock().unwrap_or_else(|p| p.into_inner())
}
