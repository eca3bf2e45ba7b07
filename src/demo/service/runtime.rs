//! The demo service's driver: one UDP socket on loopback, a current-thread tokio runtime on
//! its own thread, `select!{ stop, datagram, sleep_until(next timeout) }` → one `handle_*`
//! of [`ServiceCore`] → drain (the contract of [`crate::ua`]), and one echo task per call.

use super::calls::MAX_CALL;
use super::core::{MediaRequest, ServiceCore};
use super::echo::{self, Reflector};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::UdpSocket;
use tokio::sync::oneshot;
use tokio::time::Instant;

/// Largest datagram read.
const MAX_DATAGRAM: usize = 65_535;

/// Runs the service until `stop` fires or its sender is dropped.
pub async fn serve(
    socket: std::net::UdpSocket,
    mut core: ServiceCore,
    start: std::time::Instant,
    stop: oneshot::Receiver<()>,
) {
    let socket = match UdpSocket::from_std(socket) {
        Ok(s) => s,
        Err(e) => return tracing::warn!(error = %e, "demo service: socket unusable"),
    };
    let t0 = Instant::now();
    let now = || start + (Instant::now() - t0);
    let mut stop = stop;
    let mut echoes: HashMap<String, oneshot::Sender<()>> = HashMap::new();
    let mut buf = vec![0u8; MAX_DATAGRAM];
    loop {
        drain(&socket, &mut core, &mut echoes, now).await;
        let wake = core.poll_timeout().map(|t| t0 + t.saturating_duration_since(start));
        tokio::select! {
            _ = &mut stop => break,
            r = socket.recv_from(&mut buf) => match r {
                Ok((n, from)) => core.handle_datagram(now(), from, &buf[..n]),
                Err(e) => {
                    tracing::debug!(error = %e, "demo service: receive error");
                    // Never spin on a socket that keeps failing.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            },
            _ = sleep_until_opt(wake) => core.handle_timeout(now()),
        }
    }
    // Dropping the senders stops every echo task.
    echoes.clear();
}

/// Opens/closes echo sockets and sends datagrams until the core has nothing more (each
/// opened socket answers a call, which may queue more: bounded by the number of calls).
async fn drain(
    socket: &UdpSocket,
    core: &mut ServiceCore,
    echoes: &mut HashMap<String, oneshot::Sender<()>>,
    now: impl Fn() -> std::time::Instant,
) {
    for _ in 0..=super::calls::MAX_CALLS {
        let mut idle = true;
        while let Some(m) = core.poll_media() {
            idle = false;
            match m {
                MediaRequest::Open { call } => match open_echo(socket_ip(socket)).await {
                    Ok((addr, tx)) => {
                        echoes.insert(call.clone(), tx);
                        core.media_opened(now(), &call, addr);
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "demo service: no RTP socket for the echo");
                        core.media_failed(now(), &call);
                    }
                },
                MediaRequest::Close { call } => {
                    echoes.remove(&call);
                }
            }
        }
        while let Some(t) = core.poll_transmit() {
            idle = false;
            if let Err(e) = socket.send_to(&t.data, t.dest.addr).await {
                tracing::debug!(error = %e, to = %t.dest.addr, "demo service: send failed");
            }
        }
        if idle {
            break;
        }
    }
}

fn socket_ip(socket: &UdpSocket) -> std::net::IpAddr {
    socket.local_addr().map(|a| a.ip()).unwrap_or(std::net::Ipv4Addr::LOCALHOST.into())
}

/// Binds an RTP socket next to the SIP one and starts echoing on it.
async fn open_echo(ip: std::net::IpAddr) -> std::io::Result<(SocketAddr, oneshot::Sender<()>)> {
    let sock = UdpSocket::bind(SocketAddr::new(ip, 0)).await?;
    let addr = sock.local_addr()?;
    let (tx, rx) = oneshot::channel();
    let reflector = Reflector::new(rand::random(), rand::random(), rand::random());
    tokio::spawn(echo::run(sock, reflector, rx, MAX_CALL + Duration::from_secs(60)));
    Ok((addr, tx))
}

async fn sleep_until_opt(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
