//! One network flow to the SIP server: a connected UDP socket, or a TCP / TLS stream with
//! Content-Length framing. The only place in Lampboard that touches SIP sockets.

use crate::sip::message::{Framing, frame_stream};
use crate::sip::transport::{Destination, TransportKind};
use rustls::pki_types::{CertificateDer, ServerName, pem::PemObject};
use std::io;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};

/// Receive buffer asked of the kernel for UDP (bursts of NOTIFYs later on).
const UDP_RECV_BUFFER: usize = 4 << 20;

trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

/// A connected flow.
pub enum Flow {
    /// UDP, connected to the server so ICMP errors surface as `ECONNREFUSED`.
    Udp(UdpSocket),
    /// TCP or TLS with a read buffer for framing.
    Stream {
        /// The byte stream.
        io: Box<dyn StreamIo>,
        /// Bytes read but not yet framed.
        buf: Vec<u8>,
        /// Our end of the connection.
        local: SocketAddr,
    },
}

/// Object-safe stream bound (private trait made public for the boxed field).
pub trait StreamIo: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: Stream> StreamIo for T {}

/// Builds the rustls client configuration: platform roots, plus a CA file when given.
/// Certificate verification is always on.
pub fn tls_config(ca_file: Option<&Path>) -> Result<Arc<rustls::ClientConfig>, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut extra = Vec::new();
    if let Some(p) = ca_file {
        for c in CertificateDer::pem_file_iter(p).map_err(|e| format!("CA file {}: {e}", p.display()))? {
            extra.push(c.map_err(|e| format!("CA file {}: {e}", p.display()))?);
        }
        if extra.is_empty() {
            return Err(format!("CA file {} holds no certificate", p.display()));
        }
    }
    let verifier = rustls_platform_verifier::Verifier::new_with_extra_roots(extra, provider.clone())
        .map_err(|e| format!("TLS verifier: {e}"))?;
    let cfg = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    Ok(Arc::new(cfg))
}

impl Flow {
    /// Opens a flow to `dest`; `server_name` is checked against the TLS certificate.
    pub async fn connect(
        dest: Destination,
        server_name: &str,
        tls: Option<Arc<rustls::ClientConfig>>,
    ) -> io::Result<Flow> {
        match dest.transport {
            TransportKind::Udp => {
                let bind: SocketAddr = if dest.addr.is_ipv6() { "[::]:0".parse() } else { "0.0.0.0:0".parse() }
                    .expect("literal socket address");
                let sock = socket2::Socket::new(
                    socket2::Domain::for_address(bind),
                    socket2::Type::DGRAM,
                    Some(socket2::Protocol::UDP),
                )?;
                if let Err(e) = sock.set_recv_buffer_size(UDP_RECV_BUFFER) {
                    tracing::warn!(%e, "could not enlarge the UDP receive buffer");
                }
                sock.set_nonblocking(true)?;
                sock.bind(&bind.into())?;
                let sock = UdpSocket::from_std(sock.into())?;
                sock.connect(dest.addr).await?;
                Ok(Flow::Udp(sock))
            }
            TransportKind::Tcp => {
                let s = TcpStream::connect(dest.addr).await?;
                s.set_nodelay(true)?;
                let local = s.local_addr()?;
                Ok(Flow::Stream { io: Box::new(s), buf: Vec::new(), local })
            }
            TransportKind::Tls => {
                let cfg = tls.ok_or_else(|| io::Error::other("TLS is not configured"))?;
                let s = TcpStream::connect(dest.addr).await?;
                s.set_nodelay(true)?;
                let local = s.local_addr()?;
                let name = ServerName::try_from(server_name.to_string())
                    .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
                let tls = tokio_rustls::TlsConnector::from(cfg).connect(name, s).await?;
                Ok(Flow::Stream { io: Box::new(tls), buf: Vec::new(), local })
            }
        }
    }

    /// The local address of the flow (for Via and Contact).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        match self {
            Flow::Udp(s) => s.local_addr(),
            Flow::Stream { local, .. } => Ok(*local),
        }
    }

    /// Sends one message (or keep-alive).
    pub async fn send(&mut self, data: &[u8]) -> io::Result<()> {
        match self {
            Flow::Udp(s) => s.send(data).await.map(|_| ()),
            Flow::Stream { io, .. } => {
                io.write_all(data).await?;
                io.flush().await
            }
        }
    }

    /// Receives the next message (or keep-alive) as one frame. Cancel-safe: a partial stream
    /// read stays in the buffer.
    pub async fn recv(&mut self) -> io::Result<Vec<u8>> {
        match self {
            Flow::Udp(s) => {
                let mut buf = vec![0u8; 65_535];
                let n = s.recv(&mut buf).await?;
                buf.truncate(n);
                Ok(buf)
            }
            Flow::Stream { io, buf, .. } => loop {
                match frame_stream(buf) {
                    Framing::KeepAlive(n) | Framing::Complete(n) => {
                        return Ok(buf.drain(..n).collect());
                    }
                    Framing::Broken(why) => {
                        return Err(io::Error::new(io::ErrorKind::InvalidData, why));
                    }
                    Framing::Incomplete => {
                        let mut chunk = [0u8; 8192];
                        let n = io.read(&mut chunk).await?;
                        if n == 0 {
                            return Err(io::Error::new(
                                io::ErrorKind::UnexpectedEof,
                                "connection closed by the server",
                            ));
                        }
                        buf.extend_from_slice(&chunk[..n]);
                    }
                }
            },
        }
    }
}
