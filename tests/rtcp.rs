//! RTCP (RFC 3550 §6): packets built and parsed back, the RFC's own round-trip example,
//! malformed datagrams rejected (never a panic), and two sessions on a virtual clock that
//! measure the round-trip time and the loss the other side saw.

use lampboard::media::rtcp::{
    NtpTime, PT_SDES, ReportBlock, RtcpError, RtcpPacket, SdesChunk, SdesItem, SenderInfo, build_compound,
    parse_compound, round_trip,
};
use lampboard::media::rtcp_session::{RtcpSession, SendingState, interval};
use std::time::{Duration, Instant};

fn block(ssrc: u32, lost: i32) -> ReportBlock {
    ReportBlock {
        ssrc,
        fraction_lost: 25,
        cumulative_lost: lost,
        highest_sequence: 0x0001_0203,
        jitter: 77,
        last_sr: 0xb705_2000,
        delay_since_last_sr: 0x0005_4000,
    }
}

#[test]
fn ntp_time_of_the_rfc_example_date() {
    // RFC 3550 §6.4.1, Figure 2: an SR sent at 10 Nov 1995 11:33:25.125 UTC has LSR 0xb705:2000.
    let t = NtpTime::from_unix(Duration::from_millis(816_003_205_125));
    assert_eq!(t.0 >> 32, 0xb44d_b705);
    assert_eq!(t.compact(), 0xb705_2000);
}

#[test]
fn round_trip_of_the_rfc_example() {
    // A = 0xb710:8000 (46864.500 s), LSR = 0xb705:2000, DLSR = 0x0005:4000 → 0x0006:2000 = 6.125 s.
    let b = ReportBlock { last_sr: 0xb705_2000, delay_since_last_sr: 0x0005_4000, ..ReportBlock::default() };
    assert_eq!(round_trip(0xb710_8000, &b), Some(Duration::from_millis(6125)));
    assert_eq!(round_trip(0xb710_8000, &ReportBlock::default()), None, "LSR 0: no SR seen yet");
    assert_eq!(round_trip(0xb705_0000, &b), None, "negative: nonsense, not a huge RTT");
}

#[test]
fn compound_round_trip_keeps_every_field() {
    let packets = vec![
        RtcpPacket::SenderReport {
            ssrc: 0x1234_5678,
            info: SenderInfo {
                ntp: NtpTime(0xb44d_b705_2000_0000),
                rtp_timestamp: 160_000,
                packet_count: 1000,
                octet_count: 160_000,
            },
            reports: vec![block(0xdead_beef, 12), block(0x0bad_cafe, -1)],
        },
        RtcpPacket::Sdes(vec![
            SdesChunk {
                ssrc: 0x1234_5678,
                items: vec![
                    SdesItem { kind: 1, value: b"lampboard@example".to_vec() },
                    SdesItem { kind: 6, value: b"Lampboard".to_vec() },
                ],
            },
            SdesChunk { ssrc: 7, items: vec![SdesItem { kind: 1, value: b"abc".to_vec() }] },
        ]),
        RtcpPacket::Bye { sources: vec![0x1234_5678], reason: Some("call ended".into()) },
    ];
    let bytes = build_compound(&packets);
    assert_eq!(bytes.len() % 4, 0);
    let back = parse_compound(&bytes).expect("parses");
    assert_eq!(back, packets);
    assert_eq!(back[1].cname_of(0x1234_5678), Some("lampboard@example"));
    assert_eq!(back[1].cname_of(7), Some("abc"));
    assert_eq!(back[1].cname_of(8), None);
}

#[test]
fn receiver_report_bytes_on_the_wire() {
    let rr = RtcpPacket::ReceiverReport { ssrc: 1, reports: vec![block(2, -1)] };
    let b = rr.to_bytes();
    // V=2, RC=1, PT=201, length 7 words (32 bytes).
    assert_eq!(&b[..4], &[0x81, 201, 0, 7]);
    assert_eq!(&b[4..8], &[0, 0, 0, 1]);
    assert_eq!(&b[8..12], &[0, 0, 0, 2]);
    // fraction 25, cumulative −1 as 24-bit two's complement.
    assert_eq!(&b[12..16], &[25, 0xff, 0xff, 0xff]);
    assert_eq!(&b[24..28], &[0xb7, 0x05, 0x20, 0x00]);
    assert_eq!(b.len(), 32);
    assert_eq!(parse_compound(&b).unwrap(), vec![rr]);
    // A cumulative loss beyond 24 bits is clamped, not wrapped.
    let big = RtcpPacket::ReceiverReport { ssrc: 1, reports: vec![block(2, 50_000_000)] };
    let RtcpPacket::ReceiverReport { reports, .. } = &parse_compound(&big.to_bytes()).unwrap()[0] else {
        panic!("an RR")
    };
    assert_eq!(reports[0].cumulative_lost, 0x7f_ffff);
}

#[test]
fn empty_rr_and_padding_in_the_last_packet() {
    // An RR without blocks, then a BYE padded with 4 bytes (P bit, last byte = 4).
    let mut d = vec![0x80, 201, 0, 1, 0, 0, 0, 9];
    d.extend_from_slice(&[0xa1, 203, 0, 2, 0, 0, 0, 9, 0, 0, 0, 4]);
    let p = parse_compound(&d).expect("valid");
    assert_eq!(p[0], RtcpPacket::ReceiverReport { ssrc: 9, reports: vec![] });
    assert_eq!(p[1], RtcpPacket::Bye { sources: vec![9], reason: None });
}

#[test]
fn unknown_packet_types_are_kept_raw() {
    let mut d = RtcpPacket::ReceiverReport { ssrc: 1, reports: vec![] }.to_bytes();
    d.extend_from_slice(&[0x81, 204, 0, 2, 0, 0, 0, 1, b'n', b'a', b'm', b'e']);
    let p = parse_compound(&d).unwrap();
    assert_eq!(p[1], RtcpPacket::Other { packet_type: 204, count: 1, body: vec![0, 0, 0, 1, b'n', b'a', b'm', b'e'] });
}

#[test]
fn malformed_datagrams_are_errors() {
    let rr = RtcpPacket::ReceiverReport { ssrc: 1, reports: vec![block(2, 3)] }.to_bytes();
    let sdes = RtcpPacket::Sdes(vec![SdesChunk { ssrc: 1, items: vec![] }]).to_bytes();
    assert_eq!(parse_compound(&[]), Err(RtcpError::Truncated));
    assert_eq!(parse_compound(&rr[..3]), Err(RtcpError::Truncated));
    assert_eq!(parse_compound(&rr[..20]), Err(RtcpError::BadLength));
    let mut v1 = rr.clone();
    v1[0] = 0x41;
    assert_eq!(parse_compound(&v1), Err(RtcpError::BadVersion(1)));
    assert_eq!(parse_compound(&sdes), Err(RtcpError::NotReportFirst(PT_SDES)));
    // Padding on the first of two packets.
    let mut padded_first = rr.clone();
    padded_first[0] |= 0x20;
    padded_first.extend_from_slice(&sdes);
    assert_eq!(parse_compound(&padded_first), Err(RtcpError::BadPadding));
    // A count promising more report blocks than the length holds.
    let mut too_many = rr.clone();
    too_many[0] = 0x82;
    assert_eq!(parse_compound(&too_many), Err(RtcpError::Truncated));
    // An SDES item longer than its packet.
    let mut bad_item = RtcpPacket::ReceiverReport { ssrc: 1, reports: vec![] }.to_bytes();
    bad_item.extend_from_slice(&[0x81, 202, 0, 2, 0, 0, 0, 1, 1, 200, b'x', 0]);
    assert_eq!(parse_compound(&bad_item), Err(RtcpError::BadItem));
    // RTP (PT 0) is not RTCP.
    assert!(parse_compound(&[0x80, 0, 0, 1, 0, 0, 0, 0]).is_err());
    assert!(RtcpError::BadItem.to_string().contains("SDES"));
}

#[test]
fn random_and_mutated_bytes_never_panic() {
    let valid = build_compound(&[
        RtcpPacket::SenderReport { ssrc: 5, info: SenderInfo::default(), reports: vec![block(6, 1)] },
        RtcpPacket::Sdes(vec![SdesChunk { ssrc: 5, items: vec![SdesItem { kind: 1, value: b"x@y".to_vec() }] }]),
        RtcpPacket::Bye { sources: vec![5], reason: Some("bye".into()) },
    ]);
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut ok = 0;
    for round in 0..20_000 {
        let mut d = valid.clone();
        if round % 2 == 0 {
            for _ in 0..(next() % 4 + 1) {
                let i = (next() as usize) % d.len();
                d[i] = next() as u8;
            }
            d.truncate((next() as usize) % (d.len() + 1));
        } else {
            d = (0..next() % 64).map(|_| next() as u8).collect();
            if d.len() > 1 {
                d[0] = 0x80 | (d[0] & 0x3f);
                d[1] = 200 + (d[1] % 5);
            }
        }
        if parse_compound(&d).is_ok() {
            ok += 1;
        }
    }
    assert!(ok > 0, "some mutations stay valid (the test exercises the success path too)");
}

/// Two parties 30 ms apart each way. A sends RTP; B receives it with two of 100 lost; both
/// report. A's view: RTT 60 ms (B's DLSR subtracted) and B's loss of A's stream.
#[test]
fn two_sessions_measure_round_trip_and_remote_loss() {
    let t0 = Instant::now();
    let wall0 = Duration::from_secs(1_700_000_000);
    let ntp_at = |t: Instant| NtpTime::from_unix(wall0 + (t - t0));
    let one_way = Duration::from_millis(30);
    let mut a = RtcpSession::new(0xaaaa, "a@test", t0, 0.5);
    let mut b = RtcpSession::new(0xbbbb, "b@test", t0, 0.9);
    for seq in 1000u64..1100 {
        if seq != 1010 && seq != 1050 {
            b.on_rtp(0xaaaa, seq);
        }
    }
    // A's SR at 3 s reaches B at 3.03 s.
    let t_sr = t0 + Duration::from_secs(3);
    let sending = SendingState { packets: 100, octets: 16_000, rtp_timestamp: 24_000 };
    let sr = a.report(t_sr, ntp_at(t_sr), sending, 0, 0.5);
    assert!(matches!(parse_compound(&sr).unwrap()[0], RtcpPacket::SenderReport { .. }));
    b.handle_packet(t_sr + one_way, ntp_at(t_sr + one_way), &sr).unwrap();
    // B reports 1.2 s later (an RR: it sends nothing); A gets it 30 ms after that.
    let t_rr = t_sr + one_way + Duration::from_millis(1200);
    let rr = b.report(t_rr, ntp_at(t_rr), SendingState::default(), 40, 0.5);
    let parsed = parse_compound(&rr).unwrap();
    let RtcpPacket::ReceiverReport { ssrc: 0xbbbb, reports } = &parsed[0] else { panic!("an RR first: {parsed:?}") };
    assert_eq!(reports[0].ssrc, 0xaaaa);
    assert_eq!(reports[0].cumulative_lost, 2);
    assert_eq!(reports[0].highest_sequence, 1099);
    assert_eq!(reports[0].fraction_lost, (2 * 256 / 100) as u8);
    assert_eq!(parsed[1].cname_of(0xbbbb), Some("b@test"));
    a.handle_packet(t_rr + one_way, ntp_at(t_rr + one_way), &rr).unwrap();
    let s = a.stats();
    let rtt = s.rtt.expect("an RTT");
    assert!(rtt.abs_diff(Duration::from_millis(60)) < Duration::from_micros(100), "{rtt:?}");
    assert_eq!(s.remote_lost, Some(2));
    assert_eq!(s.remote_jitter, Some(40));
    assert!((s.remote_fraction_lost.unwrap() - 0.0195).abs() < 0.001);
    assert_eq!((s.rx, s.tx), (1, 1));
    // The next interval's fraction counts only the new packets: none lost among 10.
    for seq in 1100u64..1110 {
        b.on_rtp(0xaaaa, seq);
    }
    let rr2 =
        b.report(t_rr + Duration::from_secs(5), ntp_at(t_rr + Duration::from_secs(5)), SendingState::default(), 0, 0.1);
    let RtcpPacket::ReceiverReport { reports, .. } = &parse_compound(&rr2).unwrap()[0] else { panic!("an RR") };
    assert_eq!((reports[0].fraction_lost, reports[0].cumulative_lost), (0, 2));
    // A BYE from B ends it; garbage counts as malformed.
    let bye = b.bye(t_rr, ntp_at(t_rr), SendingState::default(), 0, "hung up");
    b.handle_packet(t_rr, ntp_at(t_rr), &[1, 2, 3]).unwrap_err();
    assert_eq!(b.stats().malformed, 1);
    let mut a_after = a.clone();
    a_after.handle_packet(t_rr, ntp_at(t_rr), &bye).unwrap();
    assert!(!a_after.stats().bye_received, "BYE of a source we never received RTP from");
    b.on_rtp(0xaaaa, 1110);
    let bye_b = {
        let mut c = RtcpSession::new(0xcccc, "c", t0, 0.0);
        c.on_rtp(0xbbbb, 1);
        let bye = b.bye(t_rr, ntp_at(t_rr), SendingState::default(), 0, "hung up");
        c.handle_packet(t_rr, ntp_at(t_rr), &bye).unwrap();
        c.stats().bye_received
    };
    assert!(bye_b, "BYE of the source we receive");
}

#[test]
fn report_times_are_randomized_around_the_rfc_interval() {
    let t0 = Instant::now();
    // First report: 2.5 s × [0.5, 1.5] / (e − 1.5).
    let early = RtcpSession::new(1, "x", t0, 0.0).poll_timeout() - t0;
    let late = RtcpSession::new(1, "x", t0, 1.0).poll_timeout() - t0;
    assert!(early > Duration::from_millis(1000) && early < Duration::from_millis(1050), "{early:?}");
    assert!(late > Duration::from_millis(3050) && late < Duration::from_millis(3100), "{late:?}");
    let mut s = RtcpSession::new(1, "x", t0, 0.5);
    let at = s.poll_timeout();
    s.report(at, NtpTime(0), SendingState::default(), 0, 0.5);
    let next = s.poll_timeout() - at;
    assert_eq!(next, interval(Duration::from_secs(5), 0.5));
    assert!(next > Duration::from_millis(4000) && next < Duration::from_millis(4200), "{next:?}");
}

#[test]
fn sender_report_only_while_sending() {
    let t0 = Instant::now();
    let mut s = RtcpSession::new(1, "x", t0, 0.5);
    let sending = SendingState { packets: 10, octets: 1600, rtp_timestamp: 1600 };
    let first = parse_compound(&s.report(t0, NtpTime(1 << 32), sending, 0, 0.5)).unwrap();
    let RtcpPacket::SenderReport { info, reports, .. } = &first[0] else { panic!("SR: {first:?}") };
    assert_eq!((info.packet_count, info.octet_count, info.rtp_timestamp), (10, 1600, 1600));
    assert!(reports.is_empty(), "no report block before any RTP arrived");
    // Nothing sent since: an RR.
    let second = parse_compound(&s.report(t0, NtpTime(2 << 32), sending, 0, 0.5)).unwrap();
    assert!(matches!(second[0], RtcpPacket::ReceiverReport { .. }), "{second:?}");
}
