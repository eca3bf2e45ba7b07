//! RFC 4475 §3.1.1 / §3.1.2 torture messages: the valid ones parse, the invalid ones are
//! rejected with an error (never a panic), and a server would answer them with 400/505.

use lampboard::sip::message::SipMessage;
use std::path::Path;

fn files(kind: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/rfc4475").join(kind);
    let mut out: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "sip"))
        .map(|p| (p.file_stem().unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap()))
        .collect();
    out.sort();
    out
}

#[test]
fn valid_messages_parse() {
    let all = files("valid");
    assert_eq!(all.len(), 13, "RFC 4475 §3.1.1 has 13 valid messages");
    for (name, bytes) in all {
        match SipMessage::parse(&bytes) {
            Ok(msg) => {
                // Re-serialised, the message parses again to the same headers.
                let again =
                    SipMessage::parse(&msg.to_bytes()).unwrap_or_else(|e| panic!("{name}: re-parse failed: {e}"));
                assert_eq!(msg.headers().iter().count(), again.headers().iter().count(), "{name}");
            }
            Err(e) => panic!("{name} must parse: {e}"),
        }
    }
}

#[test]
fn invalid_messages_are_rejected() {
    let all = files("invalid");
    assert_eq!(all.len(), 19, "RFC 4475 §3.1.2 has 19 invalid messages");
    for (name, bytes) in all {
        let err = match SipMessage::parse(&bytes) {
            Ok(_) => panic!("{name} must be rejected"),
            Err(e) => e,
        };
        let want = if name == "badvers" { 505 } else { 400 };
        assert_eq!(err.status, want, "{name}: {}", err.reason);
        // A request gets its 400/505 built from what can be read; a response is dropped.
        let is_response = bytes.starts_with(b"SIP/");
        match lampboard::sip::message::error_response(&bytes, &err) {
            Some(r) if !is_response => {
                let text = String::from_utf8_lossy(&r);
                assert!(text.starts_with(&format!("SIP/2.0 {want} ")), "{name}: {text}");
                assert!(text.contains("Call-ID:"), "{name}: {text}");
            }
            None if is_response => {}
            other => panic!("{name}: unexpected answer {other:?}"),
        }
    }
}

#[test]
fn baddn_display_name_is_checked_on_its_own() {
    // The archive's baddn ends without the empty line; add it so only the display name is wrong.
    let (_, mut bytes) = files("invalid").into_iter().find(|(n, _)| n == "baddn").unwrap();
    bytes.extend_from_slice(b"\r\n");
    let err = SipMessage::parse(&bytes).expect_err("baddn rejected");
    assert!(err.reason.contains("display name"), "{}", err.reason);
}

#[test]
fn dblreq_keeps_only_the_first_message() {
    let (_, bytes) = files("valid").into_iter().find(|(n, _)| n == "dblreq").unwrap();
    let SipMessage::Request(r) = SipMessage::parse(&bytes).unwrap() else { panic!("request") };
    assert_eq!(r.method.to_string(), "REGISTER");
    assert!(r.body.is_empty());
}

#[test]
fn truncations_and_garbage_never_panic() {
    for kind in ["valid", "invalid"] {
        for (_, bytes) in files(kind) {
            for cut in 0..bytes.len() {
                let _ = SipMessage::parse(&bytes[..cut]);
                let _ = lampboard::sip::message::frame_stream(&bytes[..cut]);
            }
            let mut flipped = bytes.clone();
            for i in (0..flipped.len()).step_by(7) {
                flipped[i] ^= 0x5a;
                let _ = SipMessage::parse(&flipped);
            }
        }
    }
}
