//! RTCP between two engine media tasks on loopback (null audio backend): each sends SR + SDES
//! from its RTP port + 1 to the other's, receives the other's reports, measures the
//! round-trip time and sees no loss; RTCP arriving on the RTP port (as from an rtcp-mux peer)
//! is taken as RTCP, not counted as malformed or foreign RTP.

#[path = "support/negotiated.rs"]
mod negotiated;
use negotiated::pcmu_without_dtmf;

use lampboard::api::Event;
use lampboard::engine::Sink;
use lampboard::engine::media::{AudioFiles, MediaCtl, spawn_with_backend};
use lampboard::media::audio::NullBackend;
use lampboard::media::rtcp::RtcpPacket;
use std::sync::Arc;
use std::time::Duration;

/// Two RTP sockets whose port + 1 neighbours do not collide with each other.
async fn socket_pair() -> (tokio::net::UdpSocket, tokio::net::UdpSocket) {
    for _ in 0..20 {
        let a = tokio::net::UdpSocket::bind("127.0.0.1:0").await.expect("bind");
        let b = tokio::net::UdpSocket::bind("127.0.0.1:0").await.expect("bind");
        let (pa, pb) = (a.local_addr().expect("addr").port(), b.local_addr().expect("addr").port());
        if pa.abs_diff(pb) > 1 && pa < u16::MAX && pb < u16::MAX {
            return (a, b);
        }
    }
    panic!("no two RTP ports apart");
}

#[test]
fn two_media_tasks_exchange_reports_and_measure_the_round_trip() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let (tx, rx) = std::sync::mpsc::channel();
    let sink = Sink::new(tx, Arc::new(|| {}));
    rt.block_on(async {
        let (a, b) = socket_pair().await;
        let (a_addr, b_addr) = (a.local_addr().unwrap(), b.local_addr().unwrap());
        let files = AudioFiles::default();
        let (ta, ja) = spawn_with_backend(
            "a".into(),
            a,
            pcmu_without_dtmf(b_addr),
            files.clone(),
            Box::new(NullBackend::new()),
            sink.clone(),
        );
        let (tb, jb) = spawn_with_backend(
            "b".into(),
            b,
            pcmu_without_dtmf(a_addr),
            files,
            Box::new(NullBackend::new()),
            sink.clone(),
        );
        // An rtcp-mux style receiver report arriving on b's RTP port.
        let other = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let rr = RtcpPacket::ReceiverReport { ssrc: 0x0bad_cafe, reports: vec![] }.to_bytes();
        other.send_to(&rr, b_addr).await.unwrap();
        // Enough for every randomized schedule (first report ≤ 3.1 s, then ≤ 6.2 s apart) to
        // give each side a report sent after the other's first SR.
        tokio::time::sleep(Duration::from_millis(9500)).await;
        let _ = ta.send(MediaCtl::Stop);
        let _ = tb.send(MediaCtl::Stop);
        let _ = ja.await;
        let _ = jb.await;
    });
    let media: Vec<Event> = rx.try_iter().filter(|e| matches!(e, Event::Media { .. })).collect();
    assert_eq!(media.len(), 2, "{media:?}");
    for e in &media {
        let Event::Media { id, rtcp_rx, rtcp_tx, rtt_ms, remote_lost, malformed, foreign, rx_packets, .. } = e else {
            unreachable!()
        };
        assert!(*rx_packets >= 300, "{id}: RTP flowed: {e:?}");
        assert!(*rtcp_tx >= 3, "{id}: reports every ~5 s (randomized) and a BYE: {e:?}");
        let want_rx = if id == "b" { 2 } else { 1 };
        assert!(*rtcp_rx >= want_rx, "{id}: the other's reports arrived: {e:?}");
        let rtt = rtt_ms.unwrap_or_else(|| panic!("{id}: an RTT: {e:?}"));
        assert!((0.0..50.0).contains(&rtt), "{id}: loopback RTT {rtt} ms");
        assert_eq!(*remote_lost, Some(0), "{id}: {e:?}");
        assert_eq!((*malformed, *foreign), (0, 0), "{id}: RTCP is not counted as bad RTP: {e:?}");
    }
}
