//! The single-instance guard over loopback TCP, for platforms without Unix sockets (Windows).
//! The running instance listens on `127.0.0.1:<any port>` and writes `"<port> <token>"` into a
//! file only the user can reach (the per-user temp dir); a later launch reads it, connects, and
//! sends `"<token> <message>"`. The random token keeps other local users' processes, which can
//! reach the port but not the file, from dialling through someone else's console.
//! Compiled everywhere so its tests run on Linux too.

use super::single::{Acquired, MAX_LINE, Message};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The running instance's end: accepts later launches' messages.
pub struct Listener {
    listener: TcpListener,
    token: String,
    path: PathBuf,
}

/// Becomes the primary instance (listening, with its port file at `path`), or hands `message`
/// to the instance whose port file is there. A port file nobody answers behind is replaced.
pub fn acquire(path: &Path, message: &Message) -> io::Result<Acquired<Listener>> {
    if let Ok(text) = std::fs::read_to_string(path)
        && let Some((port, token)) = parse_port_file(&text)
    {
        match forward(port, token, message) {
            Ok(()) => return Ok(Acquired::Forwarded),
            Err(e) => tracing::info!(%e, path = %path.display(), "replacing a stale instance port file"),
        }
    }
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    let port = listener.local_addr()?.port();
    let token = format!("{:032x}", rand::random::<u128>());
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, format!("{port} {token}\n"))?;
    std::fs::rename(&tmp, path)?;
    Ok(Acquired::Primary(Listener { listener, token, path: path.to_owned() }))
}

fn parse_port_file(text: &str) -> Option<(u16, &str)> {
    let (port, token) = text.trim().split_once(' ')?;
    let port = port.parse().ok()?;
    (!token.is_empty() && !token.contains(char::is_whitespace)).then_some((port, token))
}

fn forward(port: u16, token: &str, message: &Message) -> io::Result<()> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    s.set_read_timeout(Some(Duration::from_secs(5)))?;
    s.set_write_timeout(Some(Duration::from_secs(5)))?;
    s.write_all(format!("{token} {}\n", message.encode()).as_bytes())?;
    let mut answer = String::new();
    BufReader::new(s.take(16)).read_line(&mut answer)?;
    if answer.trim() == "ok" {
        Ok(())
    } else {
        Err(io::Error::other(format!("the running instance answered {answer:?}")))
    }
}

impl Listener {
    /// The port file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Waits for the next well-formed message with the right token (others are dropped).
    pub fn accept(&self) -> io::Result<Message> {
        loop {
            let (s, _) = self.listener.accept()?;
            if let Some(m) = self.read_message(s) {
                return Ok(m);
            }
        }
    }

    fn read_message(&self, s: TcpStream) -> Option<Message> {
        s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
        s.set_write_timeout(Some(Duration::from_secs(5))).ok()?;
        let mut line = String::new();
        BufReader::new((&s).take(MAX_LINE as u64)).read_line(&mut line).ok()?;
        let (token, rest) = line.split_once(' ')?;
        if token != self.token {
            tracing::warn!("a message with a wrong token on the instance port, dropped");
            return None;
        }
        let m = Message::decode(rest)?;
        (&s).write_all(b"ok\n").ok()?;
        Some(m)
    }

    /// Hands every message to `on_message` on a thread of its own, for the life of the process.
    pub fn spawn(self, mut on_message: impl FnMut(Message) + Send + 'static) -> io::Result<()> {
        std::thread::Builder::new().name("instance".into()).spawn(move || {
            loop {
                match self.accept() {
                    Ok(m) => on_message(m),
                    Err(e) => {
                        tracing::warn!(%e, "the instance port failed; later launches open their own window");
                        break;
                    }
                }
            }
        })?;
        Ok(())
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        // Only our own file: a later instance may have replaced it.
        if std::fs::read_to_string(&self.path).is_ok_and(|t| t.trim().ends_with(&self.token)) {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_acquire_forwards_with_the_token() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lampboard.port");
        let Ok(Acquired::Primary(first)) = acquire(&path, &Message::Focus) else { panic!("first is primary") };
        let (tx, rx) = std::sync::mpsc::channel();
        first.spawn(move |m| tx.send(m).unwrap()).unwrap();
        assert!(matches!(acquire(&path, &Message::Dial("+4930123".into())).unwrap(), Acquired::Forwarded));
        assert_eq!(rx.recv_timeout(Duration::from_secs(5)).unwrap(), Message::Dial("+4930123".into()));
    }

    #[test]
    fn a_wrong_token_is_not_obeyed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lampboard.port");
        let Ok(Acquired::Primary(first)) = acquire(&path, &Message::Focus) else { panic!("first is primary") };
        let text = std::fs::read_to_string(&path).unwrap();
        let (port, _) = parse_port_file(&text).unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        first.spawn(move |m| tx.send(m).unwrap()).unwrap();
        assert!(forward(port, "not-the-token", &Message::Dial("900".into())).is_err());
        assert!(rx.recv_timeout(Duration::from_millis(300)).is_err(), "nothing delivered");
    }

    #[test]
    fn a_stale_port_file_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lampboard.port");
        // A port nobody listens on any more.
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap().local_addr().unwrap().port();
        std::fs::write(&path, format!("{port} abc\n")).unwrap();
        let Ok(Acquired::Primary(l)) = acquire(&path, &Message::Focus) else { panic!("takes over") };
        assert!(!std::fs::read_to_string(&path).unwrap().contains("abc"));
        drop(l);
        assert!(!path.exists());
    }
}
