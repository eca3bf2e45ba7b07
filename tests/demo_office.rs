//! The embedded demo office as a fake engine: deterministic for a seed, lively (lamps ring,
//! get busy, change status; "you" get called), and answering commands with plausible events.

use lampboard::api::{Command, Event, LampEvent};
use lampboard::demo::DemoOffice;
use lampboard::demo::office::ECHO_EXT;
use std::time::Duration;

/// Runs the office from `from` to `to` seconds in quarter-second ticks, collecting events.
fn run(office: &mut DemoOffice, from: f64, to: f64) -> Vec<Event> {
    let mut out = Vec::new();
    let mut t = from;
    while t <= to {
        office.handle_timeout(Duration::from_secs_f64(t));
        while let Some(e) = office.poll_event() {
            out.push(e);
        }
        t += 0.25;
    }
    out
}

fn lamps(events: &[Event]) -> Vec<&LampEvent> {
    events.iter().filter_map(|e| if let Event::Lamp(l) = e { Some(l) } else { None }).collect()
}

fn drain(office: &mut DemoOffice) -> Vec<Event> {
    std::iter::from_fn(|| office.poll_event()).collect()
}

#[test]
fn a_seed_replays_the_same_day() {
    let a = run(&mut DemoOffice::new(42, 48), 0.0, 120.0);
    let b = run(&mut DemoOffice::new(42, 48), 0.0, 120.0);
    let c = run(&mut DemoOffice::new(43, 48), 0.0, 120.0);
    assert_eq!(a, b);
    assert_ne!(a, c);
}

#[test]
fn the_office_is_lively_and_its_lamps_follow_the_seed_tables() {
    let events = run(&mut DemoOffice::new(1, 48), 0.0, 180.0);
    let ls = lamps(&events);
    assert!(ls.len() > 100, "only {} lamp events", ls.len());
    assert!(ls.iter().any(|l| l.line == "ringing" && l.caller.is_some() && l.blink && l.led == "red"));
    assert!(ls.iter().any(|l| l.line == "busy" && l.peer.is_some() && l.led == "red" && !l.blink));
    assert!(ls.iter().any(|l| l.freshness == "stale"));
    assert!(ls.iter().any(|l| l.freshness == "failed" && l.led == "off"));
    for l in ls.iter().filter(|l| l.freshness == "fresh" && matches!(l.line.as_str(), "idle" | "unknown")) {
        let want = match l.status.as_str() {
            "available" | "away" | "custom" => "green",
            "chat" | "dnd" => "red",
            _ => "off",
        };
        assert_eq!(l.led, want, "{l:?}");
    }
    let statuses: std::collections::HashSet<&str> = ls.iter().map(|l| l.status.as_str()).collect();
    for s in ["available", "away", "dnd", "custom"] {
        assert!(statuses.contains(s), "no {s} in {statuses:?}");
    }
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::Call { direction, state, .. } if direction == "in" && state == "ringing")),
        "nobody called you in three minutes"
    );
    assert!(events.iter().any(|e| matches!(e, Event::Registered { .. })));
}

#[test]
fn dialling_the_echo_extension_connects_and_hangup_ends() {
    let mut office = DemoOffice::new(3, 48);
    run(&mut office, 0.0, 1.0);
    office.handle_command(Duration::from_secs(1), Command::Dial { target: ECHO_EXT.into() });
    let ev = drain(&mut office);
    let Some(Event::Call { id, state, direction, .. }) = ev.first() else { panic!("{ev:?}") };
    assert_eq!((state.as_str(), direction.as_str()), ("early", "out"));
    let id = id.clone();
    let ev = run(&mut office, 1.25, 2.0);
    assert!(ev.iter().any(|e| matches!(e, Event::Call { id: i, state, .. } if *i == id && state == "answered")));
    office.handle_command(Duration::from_secs(3), Command::Hold { call: id.clone() });
    office.handle_command(Duration::from_secs(3), Command::Hangup { call: id.clone() });
    let ev = drain(&mut office);
    assert!(matches!(&ev[0], Event::Call { state, .. } if state == "held"));
    assert!(matches!(&ev[1], Event::Call { state, .. } if state == "ended"));
}

#[test]
fn calling_a_colleague_rings_their_lamp_and_dnd_answers_busy() {
    let mut office = DemoOffice::new(5, 48);
    let start = run(&mut office, 0.0, 0.5);
    let ls = lamps(&start);
    let idle = ls.iter().find(|l| l.status == "available" && l.line == "idle" && l.fresh).expect("an idle colleague");
    let dnd =
        ls.iter().find(|l| l.status == "dnd" && l.line == "idle" && l.fresh).expect("a colleague on DND").ext.clone();
    let idle_ext = idle.ext.clone();
    office.handle_command(Duration::from_secs(1), Command::Dial { target: idle_ext.clone() });
    let ev = drain(&mut office);
    assert!(
        lamps(&ev)
            .iter()
            .any(|l| l.ext == idle_ext && l.line == "ringing" && l.caller.as_deref() == Some("You (1000)"))
    );
    office.handle_command(Duration::from_secs(1), Command::Dial { target: dnd });
    let ev = run(&mut office, 1.0, 4.0);
    assert!(ev.iter().any(|e| matches!(e, Event::Call { state, code: Some(486), .. } if state == "ended")));
}

#[test]
fn pickup_takes_a_ringing_colleagues_call_and_transfer_moves_it() {
    let mut office = DemoOffice::new(9, 48);
    let events = run(&mut office, 0.0, 60.0);
    // The latest lamp per extension: find one still ringing.
    let mut last = std::collections::HashMap::new();
    for l in lamps(&events) {
        last.insert(l.ext.clone(), l.clone());
    }
    let Some(ringing) = last.values().find(|l| l.line == "ringing").cloned() else {
        panic!("no colleague ringing at 60 s")
    };
    office.handle_command(Duration::from_secs(60), Command::Pickup { ext: ringing.ext.clone() });
    let ev = drain(&mut office);
    assert!(lamps(&ev).iter().any(|l| l.ext == ringing.ext && l.line == "idle"));
    let call = ev
        .iter()
        .find_map(|e| match e {
            Event::Call { id, state, remote, .. } if state == "answered" => Some((id.clone(), remote.clone())),
            _ => None,
        })
        .expect("picked-up call");
    assert_eq!(Some(call.1.clone()), ringing.caller);
    office.handle_command(
        Duration::from_secs(61),
        Command::Transfer { call: call.0, target: "1001".into(), attended: false, consult: None },
    );
    let ev = drain(&mut office);
    assert!(
        ev.iter()
            .any(|e| matches!(e, Event::Call { state, reason: Some(r), .. } if state == "ended" && r.contains("1001")))
    );
    assert!(lamps(&ev).iter().any(|l| l.ext == "1001" && l.line == "busy"));
}

#[test]
fn set_presence_is_published_and_nonsense_fails() {
    let mut office = DemoOffice::new(1, 4);
    run(&mut office, 0.0, 0.0);
    office.handle_command(Duration::ZERO, Command::SetPresence { status: "dnd".into(), note: None, etag: None });
    office.handle_command(Duration::ZERO, Command::SetPresence { status: "sleepy".into(), note: None, etag: None });
    let ev = drain(&mut office);
    assert!(matches!(&ev[0], Event::Published { status, .. } if status == "dnd"));
    assert!(matches!(&ev[1], Event::PublishFailed { .. }));
}

#[test]
fn an_empty_office_still_runs() {
    let events = run(&mut DemoOffice::new(1, 0), 0.0, 200.0);
    assert!(events.iter().any(|e| matches!(e, Event::Call { direction, .. } if direction == "in")));
    assert!(lamps(&events).is_empty());
}
