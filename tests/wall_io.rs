//! Import and export of the wall and contacts (`lampboard::wall_io`): round trips, the
//! fixtures of each format, bad input with line numbers, limits and duplicates.

use lampboard::config::KeyKind;
use lampboard::wall_io::contacts_csv::{self, ContactOptions};
use lampboard::wall_io::{
    self, Apply, Import, MAX_INPUT_BYTES, MAX_KEYS, WallEntry, grandstream, persist, vcard, wall_csv, wall_json,
};

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/data/wall_io/{name}", env!("CARGO_MANIFEST_DIR"));
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    wall_io::decode_utf8(&bytes).unwrap()
}

fn keys(import: &Import) -> Vec<(String, String, String, KeyKind)> {
    import
        .keys
        .iter()
        .map(|k| (k.entry.page.clone(), k.entry.label.clone(), k.entry.ext.clone(), k.entry.kind))
        .collect()
}

fn k(page: &str, label: &str, ext: &str, kind: KeyKind) -> (String, String, String, KeyKind) {
    (page.into(), label.into(), ext.into(), kind)
}

fn sample_wall() -> Vec<WallEntry> {
    vec![
        WallEntry::new("Front desk", "Berg, Anna", "1002", KeyKind::Presence),
        WallEntry::new("Front desk", "Carl \"CD\" Dahl", "1003", KeyKind::Blf),
        WallEntry::new("Back; office", "Echo\ttest", "*43", KeyKind::SpeedDial),
        WallEntry::new("Ünïcode ✓", "Zoë", "sip:zoe@pbx.example", KeyKind::Presence),
    ]
}

#[test]
fn the_wall_survives_a_csv_round_trip() {
    let wall = sample_wall();
    let text = wall_csv::export(&wall);
    assert!(text.starts_with("page,label,extension,type\r\n"));
    assert!(text.contains("\"Berg, Anna\""));
    let back = wall_csv::import(&text).unwrap();
    assert_eq!(back.entries(), wall);
    assert!(back.errors.is_empty() && back.duplicates.is_empty());
}

#[test]
fn the_wall_survives_a_json_round_trip() {
    let wall = sample_wall();
    let text = wall_json::export(&wall);
    assert!(text.contains("\"format\": \"lampboard-wall\""));
    assert!(text.contains("\"version\": 1"));
    let back = wall_json::import(&text).unwrap();
    assert_eq!(back.entries(), wall);
    // Each key knows its line in the file.
    let line_of_1003 = text.lines().position(|l| l.contains("\"1003\"")).unwrap() + 1;
    assert_eq!(back.keys[1].line, line_of_1003);
}

#[test]
fn the_csv_fixture_with_bom_quotes_and_line_breaks_reads() {
    let import = wall_csv::import(&fixture("wall.csv")).unwrap();
    assert_eq!(
        keys(&import),
        vec![
            k("Front desk", "Berg, Anna", "1002", KeyKind::Presence),
            k("Front desk", "Carl \"CD\" Dahl", "1003", KeyKind::Blf),
            k("Back, office", "Echo test", "*43", KeyKind::SpeedDial),
            k("Back", "Line\r\nbreak", "1004", KeyKind::Presence),
        ]
    );
    assert_eq!(import.keys.iter().map(|k| k.line).collect::<Vec<_>>(), vec![2, 3, 4, 5]);
}

#[test]
fn csv_with_semicolons_other_column_names_and_order_reads() {
    let text = "Number;Name;Kind\n1002;Anna;BLF\n1003;;\n";
    let import = wall_csv::import(text).unwrap();
    assert_eq!(
        keys(&import),
        vec![k("Imported", "Anna", "1002", KeyKind::Blf), k("Imported", "1003", "1003", KeyKind::Presence)]
    );
}

#[test]
fn bad_csv_rows_are_reported_with_line_column_and_field() {
    let text = "page,label,extension,type\nA,Anna,1002,presence\nA,Bad,12 34x!,presence\nA,Odd,1005,lamp\n";
    let import = wall_csv::import(text).unwrap();
    assert_eq!(import.keys.len(), 1);
    assert_eq!(import.errors.len(), 2);
    let e = &import.errors[0];
    assert_eq!((e.line, e.column, e.field.as_deref()), (3, Some(7), Some("extension")));
    assert!(e.message.contains("'!'"), "{e}");
    let e = &import.errors[1];
    assert_eq!((e.line, e.column, e.field.as_deref()), (4, Some(12), Some("type")));
    assert!(e.to_string().starts_with("line 4, column 12 (type): unknown type \"lamp\""), "{e}");

    let e = wall_csv::import("label,type\nAnna,blf\n").unwrap_err();
    assert_eq!(e.line, Some(1));
    assert!(e.message.contains("extension"), "{e}");
    let e = wall_csv::import("page,label,extension\nA,\"Anna,1002\n").unwrap_err();
    assert_eq!((e.line, e.column), (Some(2), Some(3)));
    assert!(wall_csv::import("").is_err());
}

#[test]
fn duplicates_are_reported_not_doubled() {
    let text = "page,label,extension,type\nA,Anna,1002,presence\nB,Anna again,1002,blf\nA,Sip Anna,SIP:1002,presence\n";
    let import = wall_csv::import(text).unwrap();
    assert_eq!(import.keys.len(), 1);
    assert_eq!(import.duplicates.len(), 2);
    assert_eq!((import.duplicates[0].line, import.duplicates[0].first_line), (3, Some(2)));
    assert_eq!(import.summary(), "1 key, 2 duplicates");

    // Appending skips what is already on the wall; replacing does not look.
    let existing = vec![WallEntry::new("A", "Old Anna", "1002", KeyKind::Presence)];
    let more = wall_csv::import("extension\n1002\n1003\n").unwrap();
    let (wall, dups) = wall_io::apply(&existing, &more, Apply::Append);
    assert_eq!(wall.iter().map(|e| e.ext.as_str()).collect::<Vec<_>>(), vec!["1002", "1003"]);
    assert_eq!(dups.len(), 1);
    assert_eq!(dups[0].first_line, None);
    let (wall, dups) = wall_io::apply(&existing, &more, Apply::Replace);
    assert_eq!(wall.len(), 2);
    assert!(dups.is_empty());
}

#[test]
fn limits_on_size_and_number_of_keys() {
    let mut big = String::from("extension\n");
    for i in 0..=MAX_KEYS {
        big.push_str(&format!("{}\n", 100_000 + i));
    }
    let e = wall_csv::import(&big).unwrap_err();
    assert_eq!(e.line, Some(MAX_KEYS + 2));
    assert!(e.message.contains("more than"), "{e}");

    let huge = "x".repeat(MAX_INPUT_BYTES + 1);
    for e in [
        wall_csv::import(&huge).unwrap_err(),
        wall_json::import(&huge).unwrap_err(),
        grandstream::import(&huge).unwrap_err(),
        vcard::import(&huge, &ContactOptions::default()).unwrap_err(),
        contacts_csv::import(&huge, &ContactOptions::default()).unwrap_err(),
    ] {
        assert!(e.message.contains("at most"), "{e}");
    }
    assert!(wall_io::decode_utf8(huge.as_bytes()).is_err());
    let e = wall_io::decode_utf8(b"ok\nok\n\xff\xfe").unwrap_err();
    assert_eq!(e.line, Some(3));
}

#[test]
fn bad_json_names_line_and_column_and_newer_versions_are_refused() {
    let e = wall_json::import(
        "{\n  \"format\": \"lampboard-wall\",\n  \"version\": 1,\n  \"pages\": [ { \"name\": \"A\" \"keys\": [] } ]\n}",
    )
    .unwrap_err();
    assert_eq!(e.line, Some(4));
    assert!(e.column.is_some());
    let e = wall_json::import(r#"{"format":"lampboard-wall","version":2,"pages":[]}"#).unwrap_err();
    assert!(e.message.contains("newer Lampboard"), "{e}");
    let e = wall_json::import(r#"{"format":"something-else","version":1}"#).unwrap_err();
    assert!(e.message.contains("not a Lampboard wall"), "{e}");
    let e = wall_json::import(
        r#"{"format":"lampboard-wall","version":1,"pages":[{"name":"A","keys":[{"ext":"1","colour":"red"}]}]}"#,
    )
    .unwrap_err();
    assert!(e.message.contains("colour"), "{e}");
    let text = "{\"format\":\"lampboard-wall\",\"version\":1,\"pages\":[{\"name\":\"A\",\"keys\":[\n{\"ext\":\"1002\"},\n{\"ext\":\"bad number!\"}]}]}";
    let import = wall_json::import(text).unwrap();
    assert_eq!(import.keys.len(), 1);
    assert_eq!(import.keys[0].entry.label, "1002");
    assert_eq!(import.errors[0].line, 3);
    assert_eq!(import.errors[0].field.as_deref(), Some("pages[0].keys[1].ext"));
}

#[test]
fn grandstream_p_values_give_presence_blf_and_speed_dial_keys() {
    let import = grandstream::import(&fixture("gxp2170_pvalues.xml")).unwrap();
    assert_eq!(
        keys(&import),
        vec![
            k("MPK", "Anna Berg", "1002", KeyKind::Presence),
            k("MPK", "Carl Dahl", "1003", KeyKind::Blf),
            k("MPK", "Echo test", "*43", KeyKind::SpeedDial),
            k("MPK", "Dora & Eck", "1004", KeyKind::Presence),
            k("VPK", "Erik Falk", "1005", KeyKind::Presence),
            k("VPK", "Gina Holm", "1006", KeyKind::Presence),
            k("Extension module", "Fay Gold", "1007", KeyKind::Blf),
        ]
    );
    let slots: Vec<_> = import.keys.iter().map(|k| (k.slot.clone().unwrap(), k.account)).collect();
    assert_eq!(slots[0], ("MPK 1".into(), Some(1)));
    assert_eq!(slots[1], ("MPK 2".into(), Some(2)));
    assert_eq!(slots[4], ("VPK 2".into(), Some(2)));
    assert_eq!(slots[5].0, "VPK 9");
    assert_eq!(slots[6].0, "EXT 1");
    // Voice mail and the line key are counted, not imported.
    assert_eq!(import.other_modes, vec![("Voice Mail".to_owned(), 1), ("Line".to_owned(), 1)]);
    assert_eq!(import.duplicates.len(), 1);
    assert_eq!(import.duplicates[0].ext, "1002");
    assert_eq!(import.skipped.len(), 1);
    assert!(import.skipped[0].message.contains("MPK 6"), "{:?}", import.skipped);
    assert_eq!(import.errors.len(), 1);
    let e = &import.errors[0];
    assert_eq!(e.field.as_deref(), Some("P329"));
    let text = fixture("gxp2170_pvalues.xml");
    let line = text.lines().position(|l| l.contains("<P329>")).unwrap() + 1;
    assert_eq!(e.line, line);
    assert_eq!(import.summary(), "7 keys, 1 duplicate, 1 error, 1 skipped, 2 keys in other modes");
}

#[test]
fn grandstream_named_items_give_keys_in_file_order() {
    let import = grandstream::import(&fixture("grp2614_named.xml")).unwrap();
    assert_eq!(
        keys(&import),
        vec![
            k("MPK", "Anna Berg", "1002", KeyKind::Presence),
            k("VPK", "Carl Dahl", "1003", KeyKind::Blf),
            k("MPK", "Dora <Front>", "1004", KeyKind::Presence),
        ]
    );
    assert_eq!(import.keys[1].account, Some(2));
    assert_eq!(import.other_modes, vec![("VoiceMail".to_owned(), 1)]);
}

#[test]
fn bad_grandstream_files_are_clear_errors() {
    let e = grandstream::import("<gs_provision>\n<config>\n<P323>2</P32>\n</config></gs_provision>").unwrap_err();
    assert_eq!(e.line, Some(3));
    let e = grandstream::import("<settings><P323>2</P323></settings>").unwrap_err();
    assert!(e.message.contains("not a Grandstream"), "{e}");
    let e =
        grandstream::import("<?xml version=\"1.0\"?>\n<!DOCTYPE x [<!ENTITY a \"b\">]>\n<gs_provision/>").unwrap_err();
    assert!(e.message.contains("DOCTYPE"), "{e}");
    let e = grandstream::import("<gs_provision><config>\n<P302>&bomb;</P302></config></gs_provision>").unwrap_err();
    assert_eq!(e.line, Some(2));
    assert!(e.message.contains("&bomb;"), "{e}");
    let e = grandstream::import("<gs_provision><config><P323>2</P323>").unwrap_err();
    assert!(e.message.contains("ends inside"), "{e}");
    assert!(grandstream::import("").is_err());
    assert!(grandstream::import("<gs_provision/>").is_err());
}

#[test]
fn outlook_contacts_take_the_work_number_and_report_the_rest() {
    let opts = ContactOptions { kind: KeyKind::SpeedDial, page: "Contacts".into() };
    let import = contacts_csv::import(&fixture("contacts_outlook.csv"), &opts).unwrap();
    assert_eq!(
        keys(&import),
        vec![
            k("Contacts", "Anna Berg", "+49305551002", KeyKind::SpeedDial),
            k("Contacts", "Bob J. Smith", "0305552002", KeyKind::SpeedDial),
            k("Contacts", "Acme Ltd", "+442079460000", KeyKind::SpeedDial),
        ]
    );
    assert_eq!(import.skipped.len(), 1);
    assert!(import.skipped[0].message.contains("Nina Null"));
    assert_eq!(import.skipped[0].line, 5);
    assert_eq!(import.errors.len(), 1);
    assert_eq!((import.errors[0].line, import.errors[0].field.as_deref()), (6, Some("business phone")));
    assert_eq!(import.duplicates.len(), 1);
    assert_eq!(import.duplicates[0].line, 7);
}

#[test]
fn google_contacts_and_plain_lists_read_as_presence_keys_too() {
    let opts = ContactOptions { kind: KeyKind::Presence, page: "Team".into() };
    let import = contacts_csv::import(&fixture("contacts_google.csv"), &opts).unwrap();
    assert_eq!(
        keys(&import),
        vec![
            k("Team", "Anna Berg", "+49305551002", KeyKind::Presence),
            k("Team", "Carl Dahl", "01702223334", KeyKind::Presence)
        ]
    );
    let plain = contacts_csv::import("name;number\nReception;100\n", &opts).unwrap();
    assert_eq!(keys(&plain), vec![k("Team", "Reception", "100", KeyKind::Presence)]);
    let e = contacts_csv::import("name,email\nAnna,a@b\n", &opts).unwrap_err();
    assert!(e.message.contains("phone number column"), "{e}");
}

#[test]
fn vcards_of_all_versions_read_with_folding_escapes_and_preferences() {
    let import = vcard::import(&fixture("contacts.vcf"), &ContactOptions::default()).unwrap();
    assert_eq!(
        keys(&import),
        vec![
            k("Contacts", "Berg, Anna", "+49305551002", KeyKind::SpeedDial),
            k("Contacts", "Carl Dahl", "+49305551003", KeyKind::SpeedDial),
            k("Contacts", "Jürgen Müller", "1004", KeyKind::SpeedDial),
        ]
    );
    assert_eq!(import.keys.iter().map(|k| k.line).collect::<Vec<_>>(), vec![1, 9, 15]);
    assert_eq!(import.skipped.len(), 2, "{:?}", import.skipped);
}

#[test]
fn bad_vcards_are_clear_errors() {
    let e = vcard::import("BEGIN:VCARD\nFN:A\nTEL:1\n", &ContactOptions::default()).unwrap_err();
    assert_eq!(e.line, Some(1));
    assert!(e.message.contains("END:VCARD"), "{e}");
    let e = vcard::import("FN:A\n", &ContactOptions::default()).unwrap_err();
    assert_eq!(e.line, Some(1));
    let e = vcard::import("BEGIN:VCARD\nBEGIN:VCARD\n", &ContactOptions::default()).unwrap_err();
    assert_eq!(e.line, Some(2));
    let e = vcard::import("hello world\n", &ContactOptions::default()).unwrap_err();
    assert!(e.message.contains("BEGIN:VCARD"), "{e}");
    let import =
        vcard::import("BEGIN:VCARD\nFN:A\nno colon here\nTEL:1002\nEND:VCARD\n", &ContactOptions::default()).unwrap();
    assert_eq!(import.errors.len(), 1);
    assert_eq!(import.errors[0].line, 3);
    assert_eq!(import.keys.len(), 1);
}

#[test]
fn garbage_never_panics() {
    // A crude fuzz: every prefix of every fixture, and some byte soup.
    let opts = ContactOptions::default();
    for name in ["wall.csv", "gxp2170_pvalues.xml", "grp2614_named.xml", "contacts_outlook.csv", "contacts.vcf"] {
        let text = fixture(name);
        let mut cut = 0;
        while cut < text.len() {
            if text.is_char_boundary(cut) {
                let t = &text[..cut];
                let _ = wall_csv::import(t);
                let _ = wall_json::import(t);
                let _ = grandstream::import(t);
                let _ = contacts_csv::import(t, &opts);
                let _ = vcard::import(t, &opts);
            }
            cut += 7;
        }
    }
    for t in ["\"", "\"\"\"", ",,,\n,,,", "<", "<gs_provision><P1>", "BEGIN:VCARD\n ", "{", "\u{feff}", "=\n=\n"] {
        let _ = wall_csv::import(t);
        let _ = wall_json::import(t);
        let _ = grandstream::import(t);
        let _ = contacts_csv::import(t, &opts);
        let _ = vcard::import(t, &opts);
    }
}

#[test]
fn the_wall_is_saved_into_the_config_file_and_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    let wall = sample_wall();
    persist::save_wall(&path, &wall).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("version = 1"), "{text}");
    assert_eq!(persist::load_wall(&path).unwrap(), wall);
    // A broken config is not overwritten.
    std::fs::write(&path, "version = 1\n[[accounts]\n").unwrap();
    assert!(persist::save_wall(&path, &wall).is_err());
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "version = 1\n[[accounts]\n");
}
