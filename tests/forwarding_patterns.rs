//! The UCM dial-pattern matcher against the syntax of the UCM manuals (Z 1-9, N 2-9,
//! X 0-9, sets, `.` one or more, `!` zero or more, leading `_`), invalid patterns, and the
//! reduction of SIP callers to numbers.

use lampboard::forwarding::{Pattern, caller_number};

fn p(s: &str) -> Pattern {
    Pattern::parse(s).unwrap_or_else(|e| panic!("{s:?} should parse: {e}"))
}

#[test]
fn pattern_table() {
    // (pattern, number, matches)
    let table: &[(&str, &str, bool)] = &[
        ("1005", "1005", true),
        ("1005", "10050", false),
        ("1005", "100", false),
        ("_1005", "1005", true),
        ("_1XXX", "1000", true),
        ("_1XXX", "1999", true),
        ("_1XXX", "2000", false),
        ("_1XXX", "100", false),
        ("_1XXX", "10000", false),
        ("_1xxx", "1234", true),
        ("_Z", "0", false),
        ("_Z", "1", true),
        ("_Z", "9", true),
        ("_N", "1", false),
        ("_N", "2", true),
        ("_n", "9", true),
        ("_X", "0", true),
        ("_X", "*", false),
        ("_1[1-5]X", "115", true),
        ("_1[1-5]X", "165", false),
        ("_1[135]X", "131", true),
        ("_1[135]X", "121", false),
        ("_[0-38]", "3", true),
        ("_[0-38]", "8", true),
        ("_[0-38]", "5", false),
        ("_9.", "9", false),
        ("_9.", "90", true),
        ("_9.", "9012345678", true),
        ("_9!", "9", true),
        ("_9!", "91", true),
        ("_9!", "8", false),
        ("_.", "", false),
        ("_!", "", true),
        ("_!", "anonymous", true),
        ("_+49.", "+4930123", true),
        ("_+49.", "004930123", false),
        ("*97", "*97", true),
        ("_#X", "#5", true),
        ("_[*#]1", "#1", true),
        ("_1.5", "1235", true),
        ("_1.5", "15", false),
        ("_1!5", "15", true),
        ("_NXXNXXXXXX", "2125551234", true),
        ("_NXXNXXXXXX", "1125551234", false),
    ];
    for &(pattern, number, expected) in table {
        assert_eq!(p(pattern).matches(number), expected, "{pattern:?} vs {number:?}");
    }
}

#[test]
fn invalid_patterns_name_the_pattern_and_position() {
    // (pattern, position, part of the message)
    let table: &[(&str, usize, &str)] = &[
        ("", 1, "empty"),
        ("_", 2, "nothing after"),
        ("1A05", 2, "unexpected character 'A'"),
        ("_1[5-", 3, "unclosed"),
        ("_1[15", 3, "unclosed"),
        ("_1[]", 3, "empty set"),
        ("_1[5-1]", 4, "reversed range"),
        ("_1[a]", 4, "in a set"),
        ("_1]", 3, "without '['"),
        ("1_0", 2, "first character"),
        ("10 05", 3, "unexpected character ' '"),
    ];
    for &(pattern, position, message) in table {
        let err = Pattern::parse(pattern).expect_err(pattern);
        assert_eq!(err.pattern, pattern.trim(), "{pattern:?}");
        assert_eq!(err.position, position, "{pattern:?}: {err}");
        assert!(err.message.contains(message), "{pattern:?}: {err}");
        let shown = err.to_string();
        assert!(shown.contains(&format!("{:?}", pattern.trim())), "the message names the pattern: {shown}");
        assert!(shown.contains(&format!("position {position}")), "{shown}");
    }
    let long = "1".repeat(65);
    assert!(Pattern::parse(&long).is_err());
}

#[test]
fn patterns_keep_their_text() {
    assert_eq!(p(" _1XXX ").as_str(), "_1XXX");
    assert_eq!(p("_1[1-5]X").to_string(), "_1[1-5]X");
}

#[test]
fn callers_reduce_to_their_number() {
    let table: &[(&str, &str)] = &[
        ("1005", "1005"),
        ("sip:1005@pbx", "1005"),
        ("sips:1005@pbx.example:5061;transport=tls", "1005"),
        ("<sip:1005@pbx>", "1005"),
        ("\"Bob\" <sip:1005@pbx>;tag=as8f", "1005"),
        ("Bob <sip:1005@pbx;user=phone>", "1005"),
        ("\"1099\" <sip:1005@pbx>", "1005"), // the display name is never used
        ("sip:1005;ext=1@pbx", "1005"),
        ("tel:+49-30-123456", "+4930123456"),
        ("tel:+1(212)555.1234;phone-context=x", "+12125551234"),
        ("sip:%2B4930123@gw", "+4930123"),
        ("sip:anonymous@anonymous.invalid", "anonymous"),
        ("SIP:1005@PBX", "1005"),
    ];
    for &(caller, number) in table {
        assert_eq!(caller_number(caller), number, "{caller:?}");
    }
    assert!(p("_10XX").matches(&caller_number("\"Bob\" <sip:1005@pbx>")));
}

#[test]
fn matching_is_linear_on_hostile_patterns() {
    // Many `!` would explode a naive backtracking matcher; this must answer at once.
    let pattern = p(&"!".repeat(60));
    assert!(pattern.matches(&"1".repeat(10_000)));
    let pattern = p(&format!("{}2", "!1".repeat(30)));
    assert!(!pattern.matches(&"1".repeat(5_000)));
}
