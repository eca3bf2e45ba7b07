//! Notifications for incoming and missed calls: the decisions (`CallNotices`, table tests),
//! the link around the console's engine, and — when dbus-daemon, Xvfb and dunst are installed
//! (tests/testbed/install-deps.sh) — the real freedesktop notification server: the notice
//! shows, closes when the call is answered, and a click on it comes back as "show the window".

#[path = "support/xvfb.rs"]
mod xvfb;

use lampboard::api::{Command, Event};
use lampboard::desktop::link::{DesktopLink, WindowAction};
use lampboard::desktop::notify::{CallNotices, MISSED_KEY, Notice, NoticeAction, NoticeKind, NoticeSink, Response};
use lampboard::ui::EngineLink;
use std::process::{Command as Proc, Stdio};
use std::sync::mpsc::channel;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use xvfb::{Killer, Xvfb, have, private_bus};

fn call(id: &str, state: &str, dir: &str, code: Option<u16>, reason: Option<&str>) -> Event {
    Event::Call {
        id: id.into(),
        state: state.into(),
        direction: dir.into(),
        remote: "\"Anna Berg\" <sip:1002@pbx.example>".into(),
        code,
        reason: reason.map(str::to_string),
    }
}

fn shown(actions: &[NoticeAction]) -> Vec<&Notice> {
    actions.iter().filter_map(|a| if let NoticeAction::Show(n) = a { Some(n) } else { None }).collect()
}

#[test]
fn incoming_call_while_away_shows_and_closes_on_answer() {
    let mut n = CallNotices::new();
    let a = n.on_event(&call("c1", "ringing", "in", Some(180), None), false);
    let s = shown(&a);
    assert_eq!(s.len(), 1, "{a:?}");
    assert_eq!(s[0].kind, NoticeKind::Incoming);
    assert_eq!(s[0].summary, "Incoming call");
    assert_eq!(s[0].body, "Anna Berg (1002)");
    assert_eq!(s[0].number, "1002");
    // The 183 after the 180: no second notice.
    assert!(n.on_event(&call("c1", "early", "in", Some(183), None), false).is_empty());
    assert_eq!(
        n.on_event(&call("c1", "answered", "in", Some(200), None), false),
        vec![NoticeAction::Close("c1".into())]
    );
    // Ends after the answer: nothing is missed.
    assert!(n.on_event(&call("c1", "ended", "in", None, Some("BYE")), false).is_empty());
}

#[test]
fn focused_window_shows_nothing_for_incoming_or_missed() {
    let mut n = CallNotices::new();
    assert!(n.on_event(&call("c1", "ringing", "in", None, None), true).is_empty());
    assert!(n.on_event(&call("c1", "ended", "in", Some(487), Some("Request Terminated")), true).is_empty());
}

#[test]
fn unanswered_calls_fold_into_one_missed_notice_until_the_window_is_seen() {
    let mut n = CallNotices::new();
    n.on_event(&call("c1", "ringing", "in", None, None), false);
    let a = n.on_event(&call("c1", "ended", "in", Some(487), Some("Request Terminated")), false);
    assert_eq!(a[0], NoticeAction::Close("c1".into()));
    let s = shown(&a);
    assert_eq!((s[0].key.as_str(), s[0].kind, s[0].summary.as_str()), (MISSED_KEY, NoticeKind::Missed, "Missed call"));
    n.on_event(&call("c2", "ringing", "in", None, None), false);
    let a = n.on_event(&call("c2", "ended", "in", None, Some("caller hung up")), false);
    let s = shown(&a);
    assert_eq!(s[0].summary, "2 missed calls");
    assert_eq!(s[0].body, "Last: Anna Berg (1002)");
    n.on_focus();
    n.on_event(&call("c3", "ringing", "in", None, None), false);
    let a = n.on_event(&call("c3", "ended", "in", None, None), false);
    assert_eq!(shown(&a)[0].summary, "Missed call", "counting starts again after the window was seen");
}

#[test]
fn rejected_forwarded_elsewhere_and_outgoing_calls_are_not_missed() {
    let mut n = CallNotices::new();
    // Declined by us.
    n.on_event(&call("c1", "ringing", "in", None, None), false);
    assert_eq!(n.on_command(&Command::Reject { call: "c1".into(), code: 603 }), vec![NoticeAction::Close("c1".into())]);
    assert!(shown(&n.on_event(&call("c1", "ended", "in", Some(603), None), false)).is_empty());
    // Forwarded by our own rules.
    n.on_event(&call("c2", "ringing", "in", None, None), false);
    n.on_event(
        &Event::Forwarded {
            id: "c2".into(),
            remote: "sip:1002@pbx".into(),
            target: "sip:1005@pbx".into(),
            kind: "no-answer".into(),
            reason: "CFNA".into(),
        },
        false,
    );
    assert!(shown(&n.on_event(&call("c2", "ended", "in", Some(302), None), false)).is_empty());
    // Picked up by a colleague (RFC 3326 reason on the CANCEL).
    n.on_event(&call("c3", "ringing", "in", None, None), false);
    let a = n.on_event(&call("c3", "ended", "in", Some(487), Some("Call completed elsewhere")), false);
    assert!(shown(&a).is_empty(), "{a:?}");
    // Our own outgoing call.
    assert!(n.on_event(&call("c4", "ringing", "out", Some(180), None), false).is_empty());
    assert!(n.on_event(&call("c4", "ended", "out", Some(486), None), false).is_empty());
}

#[test]
fn responses_become_commands() {
    let notice = |kind| Notice {
        key: "k".into(),
        kind,
        call: "c9".into(),
        number: "1002".into(),
        summary: String::new(),
        body: String::new(),
    };
    let inc = notice(NoticeKind::Incoming);
    let missed = notice(NoticeKind::Missed);
    assert_eq!(Response::from_action("default", &inc), Some(Response::Focus));
    assert_eq!(Response::from_action("answer", &inc).unwrap().command(), Some(Command::Answer { call: "c9".into() }));
    assert_eq!(
        Response::from_action("decline", &inc).unwrap().command(),
        Some(Command::Reject { call: "c9".into(), code: 603 })
    );
    assert_eq!(
        Response::from_action("callback", &missed).unwrap().command(),
        Some(Command::Dial { target: "1002".into() })
    );
    assert_eq!(Response::from_action("answer", &missed), None);
    assert_eq!(Response::from_action("bogus", &inc), None);
}

/// An engine link replaying a script of events and recording commands.
struct Script {
    events: Vec<Event>,
    sent: Arc<Mutex<Vec<Command>>>,
}

impl EngineLink for Script {
    fn send(&mut self, command: Command) {
        self.sent.lock().unwrap().push(command);
    }
    fn poll_event(&mut self, _now: Duration) -> Option<Event> {
        (!self.events.is_empty()).then(|| self.events.remove(0))
    }
}

struct Collect(Arc<Mutex<Vec<NoticeAction>>>);
impl NoticeSink for Collect {
    fn apply(&mut self, action: NoticeAction) {
        self.0.lock().unwrap().push(action);
    }
}

#[test]
fn the_link_passes_everything_through_and_answers_from_a_notice() {
    let sent = Arc::new(Mutex::new(Vec::new()));
    let notices = Arc::new(Mutex::new(Vec::new()));
    let focused_calls = Arc::new(Mutex::new(0));
    let (tx, rx) = channel();
    let fc = focused_calls.clone();
    let mut link = DesktopLink::new(
        Box::new(Script { events: vec![call("c1", "ringing", "in", None, None)], sent: sent.clone() }),
        Box::new(Collect(notices.clone())),
        None,
        rx,
        || false,
        move |a| {
            assert_eq!(a, WindowAction::Front);
            *fc.lock().unwrap() += 1
        },
    );
    assert_eq!(link.poll_event(Duration::ZERO), Some(call("c1", "ringing", "in", None, None)));
    assert_eq!(shown(&notices.lock().unwrap()).len(), 1);
    tx.send(Response::Answer("c1".into())).unwrap();
    assert_eq!(link.poll_event(Duration::ZERO), None);
    assert_eq!(*sent.lock().unwrap(), vec![Command::Answer { call: "c1".into() }]);
    assert_eq!(*focused_calls.lock().unwrap(), 1, "answering shows the window");
    assert_eq!(notices.lock().unwrap().last(), Some(&NoticeAction::Close("c1".into())));
}

fn dunstctl(bus: &str, display: &str, args: &[&str]) -> String {
    let out = Proc::new("dunstctl")
        .args(args)
        .env("DBUS_SESSION_BUS_ADDRESS", bus)
        .env("DISPLAY", display)
        .output()
        .expect("run dunstctl");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `dunstctl count displayed`, waited for until it is `want` (≤ 10 s).
fn wait_displayed(bus: &str, display: &str, want: u32) -> u32 {
    let t = Instant::now();
    loop {
        let n = dunstctl(bus, display, &["count", "displayed"]).trim().parse().unwrap_or(u32::MAX);
        if n == want || t.elapsed() > Duration::from_secs(10) {
            return n;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_real_notification_server_shows_closes_and_reports_the_click() {
    if !have("dbus-daemon") || !have("dunst") || !have("Xvfb") {
        eprintln!("SKIP: dbus-daemon, dunst or Xvfb missing; run tests/testbed/install-deps.sh");
        return;
    }
    let x = Xvfb::start(240..280);
    let (_bus, address) = private_bus();
    let _dunst = Killer(
        Proc::new("dunst")
            .env("DBUS_SESSION_BUS_ADDRESS", &address)
            .env("DISPLAY", &x.display)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start dunst"),
    );
    // dunst owns org.freedesktop.Notifications once dunstctl can talk to it.
    let t = Instant::now();
    while dunstctl(&address, &x.display, &["count", "displayed"]).trim().parse::<u32>().is_err() {
        assert!(t.elapsed() < Duration::from_secs(10), "dunst did not come up");
        std::thread::sleep(Duration::from_millis(100));
    }
    let (tx, rx) = channel();
    let woken = Arc::new(Mutex::new(0));
    let w = woken.clone();
    let notifier = lampboard::desktop::notify::freedesktop::DbusNotifier::connect_to(&address, tx, move || {
        *w.lock().unwrap() += 1
    })
    .expect("connect to the private bus");
    let sent = Arc::new(Mutex::new(Vec::new()));
    let (resp_tx, resp_rx) = channel();
    let events = vec![
        call("c1", "ringing", "in", None, None),
        call("c1", "answered", "in", Some(200), None),
        call("c2", "ringing", "in", None, None),
    ];
    let mut link =
        DesktopLink::new(Box::new(Script { events, sent }), Box::new(notifier), None, resp_rx, || false, |_| {});

    // Ringing → one notice on screen; answered → it goes away.
    link.poll_event(Duration::ZERO);
    assert_eq!(wait_displayed(&address, &x.display, 1), 1, "the incoming-call notice is shown");
    link.poll_event(Duration::ZERO);
    assert_eq!(wait_displayed(&address, &x.display, 0), 0, "the notice is closed on answer");
    // The next call's notice: a click on it (dunst's default action) comes back as "show the
    // window", and the UI is woken for it.
    link.poll_event(Duration::ZERO);
    assert_eq!(wait_displayed(&address, &x.display, 1), 1);
    dunstctl(&address, &x.display, &["action", "0"]);
    let r = rx.recv_timeout(Duration::from_secs(10)).expect("the click is reported");
    assert_eq!(r, Response::Focus);
    assert!(*woken.lock().unwrap() >= 1);
    drop(resp_tx);
}
