//! The echo extension's media: every RTP packet that arrives goes back to its sender with
//! the payload untouched (so any codec works) under the echo's own SSRC, sequence numbers
//! and timestamps ([`Reflector`], sans-IO), and a tokio task per call that does it on a UDP
//! socket until the call ends.

use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::UdpSocket;
use tokio::sync::oneshot;

/// Largest RTP datagram handled.
const MAX_PACKET: usize = 1500;

/// Rewrites received RTP packets into the echo's own stream.
#[derive(Debug, Clone)]
pub struct Reflector {
    ssrc: u32,
    seq: u16,
    ts_offset: u32,
}

impl Reflector {
    /// A stream with this SSRC, first sequence number and timestamp offset (random values
    /// from the caller).
    pub fn new(ssrc: u32, first_seq: u16, ts_offset: u32) -> Self {
        Self { ssrc, seq: first_seq, ts_offset }
    }

    /// The packet to send back for `packet`, or `None` when it is not RTP version 2 (RTCP
    /// and garbage are not echoed).
    pub fn reflect(&mut self, packet: &[u8]) -> Option<Vec<u8>> {
        if packet.len() < 12 || packet[0] >> 6 != 2 {
            return None;
        }
        let pt = packet[1] & 0x7f;
        if (72..=76).contains(&pt) {
            return None; // RTCP multiplexed on the RTP port (RFC 5761)
        }
        let mut out = packet.to_vec();
        out[2..4].copy_from_slice(&self.seq.to_be_bytes());
        self.seq = self.seq.wrapping_add(1);
        let ts = u32::from_be_bytes([packet[4], packet[5], packet[6], packet[7]]).wrapping_add(self.ts_offset);
        out[4..8].copy_from_slice(&ts.to_be_bytes());
        out[8..12].copy_from_slice(&self.ssrc.to_be_bytes());
        Some(out)
    }
}

/// Echoes RTP on `socket` until `stop` fires (or is dropped) or `max` has passed.
pub async fn run(socket: UdpSocket, mut reflector: Reflector, mut stop: oneshot::Receiver<()>, max: Duration) {
    let mut buf = vec![0u8; MAX_PACKET];
    let deadline = tokio::time::sleep(max);
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            _ = &mut stop => break,
            _ = &mut deadline => break,
            r = socket.recv_from(&mut buf) => match r {
                Ok((n, from)) => {
                    if let Some(out) = reflector.reflect(&buf[..n]) {
                        send(&socket, &out, from).await;
                    }
                }
                // ICMP port unreachable from an earlier send shows up here on Linux: go on.
                Err(e) => {
                    tracing::debug!(error = %e, "demo echo: receive error");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            },
        }
    }
}

async fn send(socket: &UdpSocket, data: &[u8], to: SocketAddr) {
    if let Err(e) = socket.send_to(data, to).await {
        tracing::debug!(error = %e, %to, "demo echo: send failed");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrites_the_header_keeps_the_payload() {
        let mut r = Reflector::new(0xdead_beef, 100, 1000);
        let mut p = vec![0x80, 0x00, 0x00, 0x05, 0, 0, 0, 160, 1, 2, 3, 4];
        p.extend_from_slice(b"payload");
        let out = r.reflect(&p).unwrap();
        assert_eq!(&out[..2], &[0x80, 0x00]);
        assert_eq!(u16::from_be_bytes([out[2], out[3]]), 100);
        assert_eq!(u32::from_be_bytes([out[4], out[5], out[6], out[7]]), 1160);
        assert_eq!(u32::from_be_bytes([out[8], out[9], out[10], out[11]]), 0xdead_beef);
        assert_eq!(&out[12..], b"payload");
        assert_eq!(
            u16::from_be_bytes({
                let o = r.reflect(&p).unwrap();
                [o[2], o[3]]
            }),
            101
        );
        assert!(r.reflect(&[0x80, 200, 0, 1]).is_none());
        assert!(r.reflect(&[0x80, 0xc8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]).is_none(), "RTCP SR");
        assert!(r.reflect(b"not rtp at all!").is_none());
    }
}
