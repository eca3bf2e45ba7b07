//! SDP offer/answer end to end: every fixture in `tests/data/sdp/` parsed, answered and
//! checked (codec, payload types, addresses, directions), our offers read back by a simulated
//! peer, the RFC 3264 direction tables for answers and for hold/resume, version counting,
//! round trips, and garbage (truncations, bit flips, random bytes) that must never panic.

use lampboard::sdp::{
    Codec, CodecPreference, Direction, Dtmf, LocalMedia, MediaType, NegotiationError, SessionDescription, answer_offer,
    answer_reoffer, create_offer, create_reoffer, default_codecs, hold_offer, process_answer, resume_offer,
};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/sdp")
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(dir().join(name)).unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

fn all_fixtures() -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<_> = std::fs::read_dir(dir())
        .expect("fixture directory")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "sdp"))
        .map(|p| {
            let name = p.file_name().expect("file name").to_string_lossy().into_owned();
            (name, std::fs::read(&p).expect("fixture readable"))
        })
        .collect();
    out.sort();
    out
}

fn parse(body: &[u8]) -> SessionDescription {
    SessionDescription::parse(body).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(body)))
}

fn parse_str(body: &str) -> SessionDescription {
    parse(body.as_bytes())
}

const OUR_IP: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 99));
const OUR_PORT: u16 = 40000;

/// Our side with every default codec supported.
fn local() -> LocalMedia {
    let all = default_codecs();
    LocalMedia::new(4242, OUR_IP, OUR_PORT, &all, &all)
}

fn codec(s: &str) -> Codec {
    s.parse().expect("codec literal")
}

fn sock(s: &str) -> SocketAddr {
    s.parse().expect("socket address literal")
}

// ----------------------------------------------------------------------------------------
// Fixtures answered
// ----------------------------------------------------------------------------------------

/// (fixture, codec, payload type, dtmf, remote RTP, remote RTCP, ptime, our direction, remote direction)
type Expectation =
    (&'static str, &'static str, u8, Option<(u8, u32)>, &'static str, &'static str, u32, Direction, Direction);

fn answer_table() -> Vec<Expectation> {
    use Direction::{RecvOnly, SendOnly, SendRecv};
    vec![
        (
            "asterisk_pjsip_offer.sdp",
            "PCMU/8000",
            0,
            Some((101, 8000)),
            "10.0.0.5:18762",
            "10.0.0.5:18763",
            20,
            SendRecv,
            SendRecv,
        ),
        (
            "audio_video_offer.sdp",
            "PCMU/8000",
            0,
            Some((101, 8000)),
            "203.0.113.20:5004",
            "203.0.113.20:5005",
            20,
            SendRecv,
            SendRecv,
        ),
        (
            "baresip_offer.sdp",
            "opus/48000/2",
            96,
            Some((101, 8000)),
            "192.168.1.50:10150",
            "192.168.1.50:10151",
            20,
            SendRecv,
            SendRecv,
        ),
        // FreeSWITCH offers telephone-event at 48000 for Opus: that one is taken.
        (
            "freeswitch_offer.sdp",
            "opus/48000/2",
            102,
            Some((103, 48000)),
            "172.16.0.10:24680",
            "172.16.0.10:24681",
            20,
            SendRecv,
            SendRecv,
        ),
        (
            "grandstream_ucm_offer.sdp",
            "G722/8000",
            9,
            Some((101, 8000)),
            "192.168.10.1:10230",
            "192.168.10.1:10231",
            20,
            SendRecv,
            SendRecv,
        ),
        // sendonly offer (we are held) → recvonly; a=rtcp carries its own IPv6 address.
        (
            "ipv6_offer.sdp",
            "opus/48000/2",
            96,
            Some((101, 8000)),
            "[2001:db8::10]:7078",
            "[2001:db8::11]:7079",
            20,
            RecvOnly,
            SendOnly,
        ),
        // No a=rtpmap for 8 and 0; no telephone-event; no ptime (ours).
        (
            "session_level_c_offer.sdp",
            "PCMA/8000",
            8,
            None,
            "198.51.100.7:49170",
            "198.51.100.7:49171",
            20,
            SendRecv,
            SendRecv,
        ),
    ]
}

#[test]
fn every_fixture_has_an_expectation() {
    let table: Vec<_> = answer_table().iter().map(|e| e.0).collect();
    for (name, _) in all_fixtures() {
        assert!(table.contains(&name.as_str()), "{name} is not in answer_table()");
    }
}

#[test]
fn fixtures_are_answered_as_expected() {
    for (name, codec_name, pt, dtmf, rtp, rtcp, ptime, ours, theirs) in answer_table() {
        let offer = parse(&fixture(name));
        let (answer, n) = answer_offer(&offer, &local()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(n.codec, codec(codec_name), "{name}");
        assert_eq!(n.payload_type, pt, "{name}");
        assert_eq!(n.dtmf, dtmf.map(|(payload_type, clock_rate)| Dtmf { payload_type, clock_rate }), "{name}");
        assert_eq!((n.remote_rtp, n.remote_rtcp), (sock(rtp), sock(rtcp)), "{name}");
        assert_eq!(n.ptime, ptime, "{name}");
        assert_eq!((n.local_direction, n.remote_direction), (ours, theirs), "{name}");

        // The answer mirrors the offer's m-lines; only the audio line is accepted.
        assert_eq!(answer.media.len(), offer.media.len(), "{name}");
        let audio_index = offer.audio_index().expect("fixture has audio");
        for (i, (a, o)) in answer.media.iter().zip(&offer.media).enumerate() {
            assert_eq!(a.media_type, o.media_type, "{name} m-line {i}");
            assert_eq!(a.protocol, o.protocol, "{name} m-line {i}");
            if i == audio_index {
                assert_eq!(a.port, OUR_PORT);
                let mut expected = vec![pt];
                expected.extend(dtmf.map(|d| d.0));
                assert_eq!(a.payloads.iter().map(|p| p.payload_type).collect::<Vec<_>>(), expected, "{name}");
                assert_eq!(a.direction, Some(ours), "{name}");
                assert_eq!(a.ptime, Some(20));
            } else {
                assert_eq!(a.port, 0, "{name} m-line {i} rejected");
                assert!(
                    !a.payloads.is_empty() || !a.other_formats.is_empty(),
                    "{name}: a rejected m-line keeps a format"
                );
            }
        }
        assert_eq!(answer.connection.as_ref().and_then(|c| c.ip()), Some(OUR_IP));
        assert_eq!(parse(&answer.to_bytes()), answer, "{name}: our answer reads back");
    }
}

#[test]
fn answer_keeps_dynamic_numbers_and_names_dtmf_events() {
    let (answer, _) = answer_offer(&parse(&fixture("baresip_offer.sdp")), &local()).expect("answer");
    let text = answer.to_string();
    assert!(text.contains("m=audio 40000 RTP/AVP 96 101\r\n"), "{text}");
    assert!(text.contains("a=rtpmap:96 opus/48000/2\r\n"), "{text}");
    assert!(text.contains("a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\n"), "{text}");
    assert!(
        text.starts_with("v=0\r\no=- 4242 4242 IN IP4 192.0.2.99\r\ns=Lampboard\r\nc=IN IP4 192.0.2.99\r\nt=0 0\r\n")
    );
}

#[test]
fn video_is_rejected_wherever_it_stands() {
    let text = String::from_utf8(fixture("audio_video_offer.sdp")).expect("ASCII fixture");
    let (audio, video) = text.split_at(text.find("m=video").expect("video line"));
    let (head, audio) = audio.split_at(audio.find("m=audio").expect("audio line"));
    let video_first = parse_str(&format!("{head}{video}{audio}"));
    let (answer, n) = answer_offer(&video_first, &local()).expect("answer");
    assert_eq!(answer.media[0].media_type, MediaType::Video);
    assert_eq!(answer.media[0].port, 0);
    assert_eq!(answer.media[1].port, OUR_PORT);
    assert_eq!(n.remote_rtp, sock("203.0.113.20:5004"));
    assert!(answer.to_string().contains("m=video 0 RTP/AVP 99 100\r\n"));
}

#[test]
fn codec_preference_is_a_setting() {
    let offer = parse(&fixture("freeswitch_offer.sdp"));
    let mut ours = local();
    ours.codecs = vec![codec("PCMA/8000"), codec("G722/8000")];
    let (_, n) = answer_offer(&offer, &ours).expect("offerer's order");
    assert_eq!((n.codec, n.payload_type), (codec("G722/8000"), 9));
    ours.codec_preference = CodecPreference::Local;
    let (_, n) = answer_offer(&offer, &ours).expect("our order");
    assert_eq!((n.codec, n.payload_type), (codec("PCMA/8000"), 8));
    // DTMF follows the codec's clock rate when it can: 8000 here.
    assert_eq!(n.dtmf, Some(Dtmf { payload_type: 101, clock_rate: 8000 }));
}

#[test]
fn only_supported_codecs_are_offered_or_accepted() {
    let supported = [codec("PCMU/8000"), codec("PCMA/8000"), codec("G722/8000")];
    let ours = LocalMedia::new(1, OUR_IP, OUR_PORT, &default_codecs(), &supported);
    assert_eq!(
        ours.codecs,
        [codec("G722/8000"), codec("PCMU/8000"), codec("PCMA/8000")],
        "configured order, supported only"
    );
    let offer = create_offer(&ours);
    assert!(!offer.to_string().contains("opus"));
    let (_, n) = answer_offer(&parse(&fixture("baresip_offer.sdp")), &ours).expect("G.722 in common");
    assert_eq!(n.codec, codec("G722/8000"));
}

#[test]
fn no_common_codec_is_488() {
    let only_opus = LocalMedia::new(1, OUR_IP, OUR_PORT, &[codec("opus/48000/2")], &default_codecs());
    let err = answer_offer(&parse(&fixture("asterisk_pjsip_offer.sdp")), &only_opus).expect_err("ulaw/alaw only");
    assert_eq!(err, NegotiationError::NoCommonCodec);
    assert_eq!(err.status_code(), 488);

    let head = "v=0\r\no=- 1 1 IN IP4 192.0.2.5\r\ns=-\r\nc=IN IP4 192.0.2.5\r\nt=0 0\r\n";
    for media in [
        "m=audio 4000 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\n",
        "m=image 4000 udptl t38\r\n",
        "m=audio 0 RTP/AVP 0\r\n",
        "m=audio 4000 RTP/AVP 97\r\n",
        "",
    ] {
        let offer = parse_str(&format!("{head}{media}"));
        assert_eq!(answer_offer(&offer, &local()).map(|_| ()), Err(NegotiationError::NoCommonCodec), "{media}");
    }
    let no_c = parse_str("v=0\r\no=- 1 1 IN IP4 192.0.2.5\r\ns=-\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n");
    assert_eq!(answer_offer(&no_c, &local()).map(|_| ()), Err(NegotiationError::MissingConnection));
    let host =
        parse_str(&format!("{}m=audio 4000 RTP/AVP 0\r\n", head.replace("c=IN IP4 192.0.2.5", "c=IN IP4 pbx.example")));
    assert!(
        matches!(answer_offer(&host, &local()), Err(NegotiationError::HostNameConnection(h)) if h == "pbx.example")
    );
}

#[test]
fn srtp_line_next_to_a_plain_one_is_rejected_and_the_plain_one_taken() {
    let offer = parse_str(
        "v=0\r\no=- 1 1 IN IP4 192.0.2.5\r\ns=-\r\nc=IN IP4 192.0.2.5\r\nt=0 0\r\n\
         m=audio 4000 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:x\r\nm=audio 4002 RTP/AVP 0\r\n",
    );
    let (answer, n) = answer_offer(&offer, &local()).expect("plain RTP line");
    assert_eq!((answer.media[0].port, answer.media[1].port), (0, OUR_PORT));
    assert_eq!(n.remote_rtp, sock("192.0.2.5:4002"));
}

#[test]
fn old_style_hold_with_zero_address() {
    let offer =
        parse_str("v=0\r\no=- 1 2 IN IP4 192.0.2.5\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n");
    let (answer, n) = answer_offer(&offer, &local()).expect("answer");
    assert_eq!(n.remote_direction, Direction::SendOnly);
    assert_eq!(n.local_direction, Direction::RecvOnly);
    assert_eq!(answer.media[0].direction, Some(Direction::RecvOnly));
}

// ----------------------------------------------------------------------------------------
// Our offers
// ----------------------------------------------------------------------------------------

#[test]
fn our_offer_is_exact() {
    let offer = create_offer(&local());
    assert_eq!(
        offer.to_string(),
        "v=0\r\no=- 4242 4242 IN IP4 192.0.2.99\r\ns=Lampboard\r\nc=IN IP4 192.0.2.99\r\nt=0 0\r\n\
         m=audio 40000 RTP/AVP 96 9 0 8 101\r\na=rtpmap:96 opus/48000/2\r\na=fmtp:96 useinbandfec=1\r\n\
         a=rtpmap:9 G722/8000\r\n\
         a=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\n\
         a=fmtp:101 0-16\r\na=ptime:20\r\na=sendrecv\r\n"
    );
    let mut v6 = local();
    v6.address = "2001:db8::99".parse().expect("IPv6 literal");
    let text = create_offer(&v6).to_string();
    assert!(text.contains("o=- 4242 4242 IN IP6 2001:db8::99\r\n") && text.contains("c=IN IP6 2001:db8::99\r\n"));
}

/// A peer answering our offer with its own LocalMedia, then us reading that answer.
fn exchange(ours: &LocalMedia, peer: &LocalMedia) -> (lampboard::sdp::Negotiated, lampboard::sdp::Negotiated) {
    let offer = create_offer(ours);
    let (answer, theirs) = answer_offer(&parse(&offer.to_bytes()), peer).expect("peer answers");
    let mine = process_answer(&offer, &parse(&answer.to_bytes())).expect("we read the answer");
    (mine, theirs)
}

#[test]
fn both_ends_agree() {
    let mut peer = LocalMedia::new(7, "198.51.100.1".parse().expect("ip"), 5000, &default_codecs(), &default_codecs());
    peer.codecs = vec![codec("PCMA/8000"), codec("opus/48000/2")];
    let (mine, theirs) = exchange(&local(), &peer);
    assert_eq!((mine.codec.clone(), mine.payload_type), (codec("opus/48000/2"), 96));
    assert_eq!((theirs.codec.clone(), theirs.payload_type), (codec("opus/48000/2"), 96));
    assert_eq!(mine.dtmf, Some(Dtmf { payload_type: 101, clock_rate: 8000 }));
    assert_eq!(theirs.dtmf, mine.dtmf);
    assert_eq!((mine.remote_rtp, mine.remote_rtcp), (sock("198.51.100.1:5000"), sock("198.51.100.1:5001")));
    assert_eq!((theirs.remote_rtp, theirs.remote_rtcp), (sock("192.0.2.99:40000"), sock("192.0.2.99:40001")));
    assert_eq!((mine.local_direction, theirs.local_direction), (Direction::SendRecv, Direction::SendRecv));
}

#[test]
fn answers_from_the_field() {
    let offer = create_offer(&local());
    let head = "v=0\r\no=- 9 9 IN IP4 10.0.0.5\r\ns=Asterisk\r\nc=IN IP4 10.0.0.5\r\nt=0 0\r\n";
    // Asterisk: PCMU only, DTMF, ptime 30; a second codec it did not choose first is ignored.
    let n = process_answer(&offer, &parse_str(&format!("{head}m=audio 16000 RTP/AVP 0 8 101\r\na=ptime:30\r\n")))
        .expect("Asterisk answer");
    assert_eq!((n.codec, n.payload_type, n.ptime), (codec("PCMU/8000"), 0, 30));
    assert_eq!(n.dtmf, Some(Dtmf { payload_type: 101, clock_rate: 8000 }), "101 means what we offered");
    // Dynamic type without rtpmap: our offer's meaning.
    let n = process_answer(&offer, &parse_str(&format!("{head}m=audio 16000 RTP/AVP 96\r\n"))).expect("bare 96");
    assert_eq!((n.codec, n.dtmf), (codec("opus/48000/2"), None));
    // A renumbered codec: send with the answer's number.
    let n = process_answer(
        &offer,
        &parse_str(&format!("{head}m=audio 16000 RTP/AVP 111\r\na=rtpmap:111 opus/48000/2\r\n")),
    )
    .expect("renumbered opus");
    assert_eq!(n.payload_type, 111);

    let err = |body: String| process_answer(&offer, &parse_str(&body)).expect_err("bad answer");
    assert_eq!(err(format!("{head}m=audio 0 RTP/AVP 0\r\n")), NegotiationError::Rejected);
    assert_eq!(err(format!("{head}m=audio 16000 RTP/AVP 18\r\n")), NegotiationError::NoCommonCodec);
    assert_eq!(err(head.to_owned()), NegotiationError::AnswerMismatch);
    assert_eq!(err(format!("{head}m=video 16000 RTP/AVP 99\r\n")), NegotiationError::AnswerMismatch);
}

// ----------------------------------------------------------------------------------------
// Direction tables (RFC 3264 §6.1, §8.4)
// ----------------------------------------------------------------------------------------

use Direction::{Inactive as I, RecvOnly as R, SendOnly as S, SendRecv as SR};

/// `(what we want, what the offer says) → what we answer`, all 16 pairs.
const ANSWER_TABLE: [(Direction, Direction, Direction); 16] = [
    (SR, SR, SR),
    (SR, S, R),
    (SR, R, S),
    (SR, I, I),
    (S, SR, S),
    (S, S, I),
    (S, R, S),
    (S, I, I),
    (R, SR, R),
    (R, S, R),
    (R, R, I),
    (R, I, I),
    (I, SR, I),
    (I, S, I),
    (I, R, I),
    (I, I, I),
];

fn offer_with(direction: Direction) -> SessionDescription {
    let mut peer = LocalMedia::new(9, "198.51.100.1".parse().expect("ip"), 5000, &default_codecs(), &default_codecs());
    peer.direction = direction;
    create_offer(&peer)
}

#[test]
fn answer_direction_table() {
    for (wish, offered, expected) in ANSWER_TABLE {
        let mut ours = local();
        ours.direction = wish;
        let (answer, n) = answer_offer(&offer_with(offered), &ours).expect("answer");
        assert_eq!(answer.media[0].direction, Some(expected), "we want {wish}, offer {offered}");
        assert_eq!((n.local_direction, n.remote_direction), (expected, offered));
        // The offerer, reading our answer, ends up with the mirror image.
        let back = process_answer(&offer_with(offered), &answer).expect("offerer reads it");
        assert_eq!(back.local_direction, expected.reversed(), "we want {wish}, offer {offered}");
    }
}

#[test]
fn hold_and_resume_tables() {
    // (our previous direction) → (hold offer, resume offer after that hold)
    let table = [(SR, S, SR), (S, S, SR), (R, I, R), (I, I, R)];
    for (previous, held, resumed) in table {
        let mut ours = local();
        ours.direction = previous;
        let first = create_offer(&ours);
        let hold = hold_offer(&first);
        assert_eq!(hold.media[0].direction, Some(held), "hold from {previous}");
        let resume = resume_offer(&hold);
        assert_eq!(resume.media[0].direction, Some(resumed), "resume from {previous}");
        // Every peer wish against both re-offers: the peer answers per §6.1, we read it back.
        for peer_wish in Direction::ALL {
            let mut peer =
                LocalMedia::new(9, "198.51.100.1".parse().expect("ip"), 5000, &default_codecs(), &default_codecs());
            peer.direction = peer_wish;
            for reoffer in [&hold, &resume] {
                let offered = reoffer.media[0].direction.expect("explicit direction");
                let (answer, theirs) = answer_offer(reoffer, &peer).expect("peer answers");
                assert_eq!(theirs.local_direction, peer_wish.negotiate(offered));
                let mine = process_answer(reoffer, &answer).expect("we read it");
                assert_eq!(mine.local_direction, theirs.local_direction.reversed(), "{previous}/{offered}/{peer_wish}");
                assert!(!mine.local_direction.receives() || offered.receives(), "held streams never receive");
            }
        }
    }
}

// ----------------------------------------------------------------------------------------
// Versions
// ----------------------------------------------------------------------------------------

#[test]
fn versions_count_changes_within_a_session() {
    let ours = local();
    let offer = create_offer(&ours);
    assert_eq!((offer.origin.session_id.as_str(), offer.origin.session_version), ("4242", 4242));
    let hold = hold_offer(&offer);
    assert_eq!(hold.origin.session_version, 4243);
    assert_eq!(hold_offer(&hold).origin.session_version, 4243, "already held: unchanged SDP, same version");
    let resume = resume_offer(&hold);
    assert_eq!(resume.origin.session_version, 4244);
    assert_eq!(create_reoffer(&resume, &ours).origin.session_version, 4244, "a refresh re-offer is unchanged");
    let mut fewer = ours.clone();
    fewer.codecs.truncate(1);
    let reoffer = create_reoffer(&resume, &fewer);
    assert_eq!((reoffer.origin.session_id.as_str(), reoffer.origin.session_version), ("4242", 4245));

    // Answering: a re-INVITE that changes direction bumps our answer's version, a refresh does not.
    let incoming = parse(&fixture("asterisk_pjsip_offer.sdp"));
    let (first_answer, _) = answer_offer(&incoming, &ours).expect("answer");
    let (same, _) = answer_reoffer(&first_answer, &incoming, &ours).expect("refresh");
    assert_eq!(same, first_answer);
    let held_by_peer = hold_offer(&incoming);
    let (second, n) = answer_reoffer(&first_answer, &held_by_peer, &ours).expect("held by peer");
    assert_eq!(second.origin.session_version, first_answer.origin.session_version + 1);
    assert_eq!(n.local_direction, Direction::RecvOnly);
    assert_eq!(held_by_peer.origin.session_version, incoming.origin.session_version + 1);
}

// ----------------------------------------------------------------------------------------
// Round trips and garbage
// ----------------------------------------------------------------------------------------

#[test]
fn round_trips() {
    let mut all: Vec<SessionDescription> = all_fixtures().iter().map(|(_, body)| parse(body)).collect();
    let generated: Vec<_> = all.iter().filter_map(|o| answer_offer(o, &local()).ok()).map(|(a, _)| a).collect();
    all.extend(generated);
    all.push(create_offer(&local()));
    all.push(hold_offer(&create_offer(&local())));
    for sdp in all {
        let text = sdp.to_bytes();
        let again = parse(&text);
        assert_eq!(again, sdp);
        assert_eq!(again.to_bytes(), text, "serialisation is stable");
    }
}

#[test]
fn fixtures_keep_what_we_do_not_interpret() {
    let baresip = parse(&fixture("baresip_offer.sdp"));
    assert_eq!(baresip.attributes.iter().map(|a| a.name.as_str()).collect::<Vec<_>>(), ["tool"]);
    let audio = baresip.audio().expect("audio");
    let kept: Vec<_> = audio.attributes.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(kept, ["rtcp-rsize", "label", "ssrc", "mid"]);
    let video = &parse(&fixture("audio_video_offer.sdp")).media[1];
    assert_eq!(video.payloads[0].codec, Some(codec("H264/90000")));
    assert_eq!(video.attributes[0].value.as_deref(), Some("99 nack pli"));
}

/// Deterministic xorshift64*, so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

/// Whatever parses must answer or fail cleanly, be read as an answer or fail cleanly, and
/// round-trip.
fn exercise(body: &[u8]) {
    let Ok(sdp) = SessionDescription::parse(body) else { return };
    assert_eq!(parse(&sdp.to_bytes()), sdp, "round trip of {:?}", String::from_utf8_lossy(body));
    let _ = answer_offer(&sdp, &local());
    let _ = process_answer(&create_offer(&local()), &sdp);
    let _ = hold_offer(&sdp);
}

#[test]
fn truncations_and_bit_flips_never_panic() {
    let mut rng = Rng(0x0005_eed0_f5d9);
    for (_, body) in all_fixtures() {
        for len in 0..=body.len() {
            exercise(&body[..len]);
        }
        for _ in 0..2000 {
            let mut flipped = body.clone();
            let at = (rng.next() % body.len() as u64) as usize;
            flipped[at] ^= 1 << (rng.next() % 8);
            exercise(&flipped);
        }
    }
}

#[test]
fn random_bytes_and_sdp_shaped_noise_never_panic() {
    let mut rng = Rng(0xdead_beef_cafe);
    const ALPHABET: &[u8] = b"vosctma=:/ \r\n0123456789INIP46.audioRTP/AVPrtpmapfmtp-";
    for round in 0..3000 {
        let len = (rng.next() % 300) as usize;
        let noise: Vec<u8> = if round % 2 == 0 {
            (0..len).map(|_| rng.next() as u8).collect()
        } else {
            (0..len).map(|_| ALPHABET[(rng.next() % ALPHABET.len() as u64) as usize]).collect()
        };
        exercise(&noise);
        let mut prefixed = b"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\n".to_vec();
        prefixed.extend_from_slice(&noise);
        exercise(&prefixed);
    }
}
