//! The SIP log (window "SIP log"), for diagnostics: the last [`SIP_LOG_CAPACITY`] SIP
//! messages the engine reported ([`Event::SipMessage`], while [`Command::SipTrace`] is on) in
//! a ring buffer, listed by time, direction, first line and Call-ID; a filter on text,
//! method or Call-ID; the full message of the selected row; Copy and Clear.
//!
//! Opening the window turns the trace on. The view never asks for a repaint itself: new
//! messages arrive with the engine's wake-up, so an idle log costs nothing.

use super::Outbox;
use crate::api::{Command, Event};
use crate::ui::theme;
use crate::ui::widgets::{named_text_field, set_name};
use eframe::egui::{self, RichText, Ui};
use std::collections::VecDeque;

/// Most messages the log keeps; older ones are dropped first.
pub const SIP_LOG_CAPACITY: usize = 2_000;

/// Height of the message list in points.
const LIST_HEIGHT: f32 = 260.0;
/// Most height the selected message takes before it scrolls.
const MESSAGE_HEIGHT: f32 = 320.0;

/// One logged SIP message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SipEntry {
    /// Running number (stays with the message while older ones are dropped).
    pub seq: u64,
    /// `in` or `out`.
    pub direction: String,
    /// The other end's address.
    pub remote: String,
    /// udp, tcp or tls.
    pub transport: String,
    /// Milliseconds since the Unix epoch.
    pub at_ms: u64,
    /// Local time of day, `HH:MM:SS.mmm`.
    pub time: String,
    /// The request or status line.
    pub first_line: String,
    /// The request's method, or for a response the method in CSeq.
    pub method: String,
    /// The Call-ID header, if any.
    pub call_id: Option<String>,
    /// The whole message.
    pub text: String,
    /// The message in lower case (what the filter searches).
    haystack: String,
}

impl SipEntry {
    fn new(seq: u64, direction: &str, remote: &str, transport: &str, at_ms: u64, text: &str) -> Self {
        let first_line = text.lines().next().unwrap_or_default().trim().to_string();
        let call_id = header(text, &["call-id", "i"]);
        let method = if first_line.starts_with("SIP/") {
            header(text, &["cseq"]).and_then(|c| c.split_whitespace().nth(1).map(str::to_string)).unwrap_or_default()
        } else {
            first_line.split_whitespace().next().unwrap_or_default().to_string()
        };
        SipEntry {
            seq,
            direction: direction.to_string(),
            remote: remote.to_string(),
            transport: transport.to_string(),
            at_ms,
            time: local_time(at_ms),
            first_line,
            method,
            call_id,
            haystack: text.to_lowercase(),
            text: text.to_string(),
        }
    }

    /// Whether the message matches `needle` (already lower case; empty matches all): its
    /// text, which holds the method and the Call-ID, or its remote address.
    pub fn matches(&self, needle: &str) -> bool {
        needle.is_empty() || self.haystack.contains(needle) || self.remote.contains(needle)
    }

    /// The row as the list shows it.
    pub fn row_text(&self) -> String {
        let arrow = if self.direction == "out" { "→" } else { "←" };
        let method = if self.first_line.starts_with("SIP/") && !self.method.is_empty() {
            format!(" ({})", self.method)
        } else {
            String::new()
        };
        let call = self.call_id.as_deref().map(|c| format!("  · {c}")).unwrap_or_default();
        format!("{}  {arrow} {}  {}{method}{call}", self.time, self.remote, self.first_line)
    }
}

/// The value of the first header called one of `names` (lower case), in the header section.
fn header(text: &str, names: &[&str]) -> Option<String> {
    text.lines().skip(1).take_while(|l| !l.trim().is_empty()).find_map(|l| {
        let (name, value) = l.split_once(':')?;
        names.contains(&name.trim().to_ascii_lowercase().as_str()).then(|| value.trim().to_string())
    })
}

fn local_time(at_ms: u64) -> String {
    let Ok(ts) = jiff::Timestamp::from_millisecond(at_ms.min(i64::MAX as u64) as i64) else {
        return String::new();
    };
    let zoned = ts.to_zoned(jiff::tz::TimeZone::system());
    format!("{}.{:03}", zoned.strftime("%H:%M:%S"), at_ms % 1000)
}

/// The SIP log's messages and UI state.
#[derive(Debug)]
pub struct SipLogView {
    entries: VecDeque<SipEntry>,
    capacity: usize,
    next_seq: u64,
    /// The filter field's text.
    pub filter: String,
    selected: Option<u64>,
    /// Whether we asked the engine to trace.
    tracing: bool,
    /// The trace was turned off by hand: opening the window does not turn it on again.
    paused: bool,
    /// Matching rows, for (filter, first seq, next seq) — recomputed only when those change.
    cache: Option<((String, u64, u64), Vec<u64>)>,
    /// The last text put on the clipboard (for tests and the status line).
    copied: Option<String>,
}

impl Default for SipLogView {
    fn default() -> Self {
        Self::with_capacity(SIP_LOG_CAPACITY)
    }
}

impl SipLogView {
    /// A log keeping at most `capacity` messages (at least one).
    pub fn with_capacity(capacity: usize) -> Self {
        SipLogView {
            entries: VecDeque::new(),
            capacity: capacity.max(1),
            next_seq: 0,
            filter: String::new(),
            selected: None,
            tracing: false,
            paused: false,
            cache: None,
            copied: None,
        }
    }

    /// Takes an engine event; true when it was a SIP message.
    pub fn on_event(&mut self, event: &Event) -> bool {
        let Event::SipMessage { direction, remote, transport, at_ms, text } = event else {
            return false;
        };
        if self.entries.len() >= self.capacity {
            self.entries.pop_front();
        }
        self.entries.push_back(SipEntry::new(self.next_seq, direction, remote, transport, *at_ms, text));
        self.next_seq += 1;
        true
    }

    /// Every message kept, oldest first.
    pub fn entries(&self) -> impl ExactSizeIterator<Item = &SipEntry> {
        self.entries.iter()
    }

    /// How many messages are kept.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when no message is kept.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Drops every message.
    pub fn clear(&mut self) {
        self.entries.clear();
        self.selected = None;
        self.cache = None;
    }

    /// Whether the view asked the engine to trace.
    pub fn is_tracing(&self) -> bool {
        self.tracing
    }

    /// The last text copied to the clipboard.
    pub fn last_copied(&self) -> Option<&str> {
        self.copied.as_deref()
    }

    /// The message with number `seq`, if still kept.
    fn get(&self, seq: u64) -> Option<&SipEntry> {
        let first = self.entries.front()?.seq;
        self.entries.get(usize::try_from(seq.checked_sub(first)?).ok()?)
    }

    /// The numbers of the messages matching the filter, oldest first.
    pub fn matching(&mut self) -> &[u64] {
        let needle = self.filter.trim().to_lowercase();
        let key = (needle, self.entries.front().map_or(0, |e| e.seq), self.next_seq);
        if self.cache.as_ref().is_none_or(|(k, _)| *k != key) {
            let rows = self.entries.iter().filter(|e| e.matches(&key.0)).map(|e| e.seq).collect();
            self.cache = Some((key, rows));
        }
        self.cache.as_ref().map_or(&[], |(_, rows)| rows.as_slice())
    }

    /// The selected message.
    pub fn selected(&self) -> Option<&SipEntry> {
        self.get(self.selected?)
    }

    fn set_tracing(&mut self, on: bool, out: &mut Outbox) {
        if self.tracing != on {
            self.tracing = on;
            out.push(Command::SipTrace { on });
        }
    }
}

/// The "SIP log" window; opening it turns the trace on.
pub fn window_ui(ctx: &egui::Context, open: &mut bool, view: &mut SipLogView, out: &mut Outbox) {
    if *open && !view.paused {
        view.set_tracing(true, out);
    }
    egui::Window::new("SIP log").open(open).default_size([760.0, 560.0]).show(ctx, |ui| siplog_ui(ui, view, out));
}

/// The SIP log's contents.
pub fn siplog_ui(ui: &mut Ui, view: &mut SipLogView, out: &mut Outbox) {
    ui.horizontal_wrapped(|ui| {
        let mut on = view.tracing;
        if ui.checkbox(&mut on, "Capture SIP messages").changed() {
            view.paused = !on;
            view.set_tracing(on, out);
        }
        ui.separator();
        named_text_field(ui, "Filter SIP log", &mut view.filter, 220.0, 200);
        let shown = view.matching().len();
        ui.label(format!("{shown} of {} messages", view.len()));
    });
    ui.horizontal_wrapped(|ui| {
        let selected = view.selected().map(|e| e.text.clone());
        let r = ui.add_enabled(selected.is_some(), egui::Button::new("Copy"));
        set_name(ui, &r, "Copy message");
        if r.clicked()
            && let Some(t) = selected
        {
            ui.ctx().copy_text(t.clone());
            view.copied = Some(t);
        }
        let r = ui.add_enabled(!view.is_empty(), egui::Button::new("Copy all shown"));
        if r.clicked() {
            let rows = view.matching().to_vec();
            let all: Vec<String> = rows
                .iter()
                .filter_map(|s| view.get(*s))
                .map(|e| format!("# {} {} {} {}\n{}", e.time, e.direction, e.transport, e.remote, e.text))
                .collect();
            let text = all.join("\n");
            ui.ctx().copy_text(text.clone());
            view.copied = Some(text);
        }
        if let Some(call) = view.selected().and_then(|e| e.call_id.clone())
            && ui.button("Only this call").clicked()
        {
            view.filter = call;
        }
        if ui.add_enabled(!view.is_empty(), egui::Button::new("Clear")).clicked() {
            view.clear();
        }
    });
    ui.separator();
    let rows = view.matching().to_vec();
    let row_height = ui.text_style_height(&egui::TextStyle::Monospace) + 4.0;
    egui::ScrollArea::vertical()
        .id_salt("siplog-rows")
        .max_height(LIST_HEIGHT)
        .min_scrolled_height(LIST_HEIGHT)
        .stick_to_bottom(true)
        .show_rows(ui, row_height, rows.len(), |ui, range| {
            for seq in &rows[range] {
                let Some(e) = view.get(*seq) else { continue };
                let colour = if e.direction == "out" { theme::KEY_TEXT_DIM } else { theme::OK_TEXT };
                let on = view.selected == Some(*seq);
                let r = ui.selectable_label(on, RichText::new(e.row_text()).monospace().color(colour));
                if r.clicked() {
                    view.selected = Some(*seq);
                }
            }
        });
    ui.separator();
    match view.selected() {
        Some(e) => {
            let heading = format!(
                "{} {} {} {}",
                e.time,
                if e.direction == "out" { "sent to" } else { "received from" },
                e.transport,
                e.remote
            );
            ui.label(RichText::new(heading).strong());
            let text = e.text.clone();
            egui::ScrollArea::both().id_salt("siplog-message").max_height(MESSAGE_HEIGHT).show(ui, |ui| {
                ui.add(egui::Label::new(RichText::new(text).monospace()).selectable(true));
            });
        }
        None if view.is_empty() && !view.tracing => {
            ui.label("The SIP trace is off: tick \"Capture SIP messages\".");
        }
        None => {
            ui.label("Select a message to see it in full.");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(n: u32, text: &str) -> Event {
        Event::SipMessage {
            direction: if n.is_multiple_of(2) { "out" } else { "in" }.into(),
            remote: "127.0.0.1:5060".into(),
            transport: "udp".into(),
            at_ms: 1_700_000_000_000 + u64::from(n),
            text: text.into(),
        }
    }

    #[test]
    fn parses_rows_and_filters() {
        let mut log = SipLogView::default();
        assert!(log.on_event(&msg(0, "REGISTER sip:pbx SIP/2.0\r\nCall-ID: abc@x\r\nCSeq: 1 REGISTER\r\n\r\n")));
        assert!(log.on_event(&msg(1, "SIP/2.0 200 OK\r\ni: abc@x\r\nCSeq: 1 REGISTER\r\n\r\n")));
        assert!(log.on_event(&msg(2, "OPTIONS sip:pbx SIP/2.0\r\nCall-ID: zzz\r\n\r\nCall-ID: body")));
        assert!(!log.on_event(&Event::Stopped));
        let e: Vec<&SipEntry> = log.entries().collect();
        assert_eq!((e[0].method.as_str(), e[0].call_id.as_deref()), ("REGISTER", Some("abc@x")));
        assert_eq!((e[1].method.as_str(), e[1].call_id.as_deref()), ("REGISTER", Some("abc@x")));
        assert_eq!(e[2].call_id.as_deref(), Some("zzz"));
        assert!(e[1].row_text().contains("SIP/2.0 200 OK (REGISTER)"));
        log.filter = "ABC@".into();
        assert_eq!(log.matching(), &[0, 1]);
        log.filter = "options".into();
        assert_eq!(log.matching(), &[2]);
        log.filter.clear();
        assert_eq!(log.matching().len(), 3);
    }

    #[test]
    fn ring_buffer_caps() {
        let mut log = SipLogView::with_capacity(3);
        for n in 0..10 {
            log.on_event(&msg(n, &format!("MESSAGE sip:{n} SIP/2.0\r\n\r\n")));
        }
        assert_eq!(log.len(), 3);
        assert_eq!(log.entries().map(|e| e.seq).collect::<Vec<_>>(), vec![7, 8, 9]);
        assert_eq!(log.matching(), &[7, 8, 9]);
        assert!(log.get(6).is_none() && log.get(8).is_some_and(|e| e.first_line.contains("sip:8")));
        log.clear();
        assert!(log.is_empty() && log.matching().is_empty());
    }
}
