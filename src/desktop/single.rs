//! One Lampboard per user session: the first desktop launch listens on a local socket; a later
//! launch hands its wish (dial a click-to-call link, or just "come to the front") to it and
//! exits. Unix: a Unix domain socket in `$XDG_RUNTIME_DIR` (else the temp dir, per user);
//! `LAMPBOARD_INSTANCE_SOCKET` overrides the path (tests, several profiles). Other platforms
//! (Windows): loopback TCP with a port file and a token, see [`super::single_tcp`].
//!
//! Wire format: one line per connection, `focus` or `dial <target>`, answered `ok`.

use std::path::{Path, PathBuf};

/// What a later launch asks the running instance for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// Bring the window to the front.
    Focus,
    /// Dial this target (from a click-to-call link) and come to the front.
    Dial(String),
}

/// Longest request line read from a peer.
pub(crate) const MAX_LINE: usize = 4096;

impl Message {
    /// The request line (without newline).
    pub fn encode(&self) -> String {
        match self {
            Message::Focus => "focus".to_owned(),
            // A target never contains a newline (url.rs rejects whitespace in URIs).
            Message::Dial(t) => format!("dial {}", t.replace(['\n', '\r'], "")),
        }
    }

    /// Parses a request line; `None` for anything else.
    pub fn decode(line: &str) -> Option<Message> {
        let line = line.trim_end_matches(['\n', '\r']);
        if line == "focus" {
            return Some(Message::Focus);
        }
        let target = line.strip_prefix("dial ")?.trim();
        (!target.is_empty()).then(|| Message::Dial(target.to_owned()))
    }
}

/// The outcome of [`acquire`] (`L`: the platform's listener, or [`super::single_tcp::Listener`]).
pub enum Acquired<L = Listener> {
    /// No other instance runs: this one is it, and listens for later launches.
    Primary(L),
    /// Another instance runs and took the message: this process should exit 0.
    Forwarded,
}

/// Where the instance socket lives for this user.
pub fn socket_path() -> PathBuf {
    if let Some(p) = std::env::var_os("LAMPBOARD_INSTANCE_SOCKET").filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    match std::env::var_os("XDG_RUNTIME_DIR").filter(|p| !p.is_empty()) {
        Some(dir) => Path::new(&dir).join("lampboard.sock"),
        None => {
            let user = std::env::var("USER").unwrap_or_else(|_| "user".to_owned());
            let user = std::env::var("USERNAME").unwrap_or(user);
            let ext = if cfg!(unix) { "sock" } else { "port" };
            std::env::temp_dir().join(format!("lampboard-{user}.{ext}"))
        }
    }
}

#[cfg(unix)]
pub use unix::{Listener, acquire};

#[cfg(unix)]
mod unix {
    use super::{Acquired, MAX_LINE, Message};
    use std::io::{self, BufRead, BufReader, Read, Write};
    use std::os::unix::net::{UnixListener, UnixStream};
    use std::path::{Path, PathBuf};
    use std::time::Duration;

    /// The running instance's end: accepts later launches' messages.
    pub struct Listener {
        listener: UnixListener,
        path: PathBuf,
    }

    /// Becomes the primary instance at `path`, or hands `message` to the one already there.
    /// A socket file left behind by a crashed instance (nobody accepts) is replaced.
    pub fn acquire(path: &Path, message: &Message) -> io::Result<Acquired> {
        // Two tries: bind; if the socket is in use, forward; if the peer is gone, take over.
        for _ in 0..2 {
            match UnixListener::bind(path) {
                Ok(listener) => {
                    // Only this user may hand the running instance a number to dial.
                    use std::os::unix::fs::PermissionsExt;
                    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
                    return Ok(Acquired::Primary(Listener { listener, path: path.to_owned() }));
                }
                Err(e) if e.kind() == io::ErrorKind::AddrInUse => match forward(path, message) {
                    Ok(()) => return Ok(Acquired::Forwarded),
                    Err(e) if matches!(e.kind(), io::ErrorKind::ConnectionRefused | io::ErrorKind::NotFound) => {
                        tracing::info!(path = %path.display(), "removing a stale instance socket");
                        let _ = std::fs::remove_file(path);
                    }
                    Err(e) => return Err(e),
                },
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    if let Some(dir) = path.parent() {
                        std::fs::create_dir_all(dir)?;
                    }
                }
                Err(e) => return Err(e),
            }
        }
        Err(io::Error::other(format!("cannot take the instance socket {}", path.display())))
    }

    fn forward(path: &Path, message: &Message) -> io::Result<()> {
        let mut s = UnixStream::connect(path)?;
        s.set_read_timeout(Some(Duration::from_secs(5)))?;
        s.set_write_timeout(Some(Duration::from_secs(5)))?;
        s.write_all(format!("{}\n", message.encode()).as_bytes())?;
        let mut answer = String::new();
        BufReader::new(s.take(16)).read_line(&mut answer)?;
        if answer.trim() == "ok" {
            Ok(())
        } else {
            Err(io::Error::other(format!("the running instance answered {answer:?}")))
        }
    }

    impl Listener {
        /// Where it listens.
        pub fn path(&self) -> &Path {
            &self.path
        }

        /// Waits for the next well-formed message (bad or silent peers are dropped after 5 s).
        pub fn accept(&self) -> io::Result<Message> {
            loop {
                let (s, _) = self.listener.accept()?;
                if let Some(m) = read_message(s) {
                    return Ok(m);
                }
            }
        }

        /// Hands every message to `on_message` on a thread of its own, for the life of the
        /// process.
        pub fn spawn(self, mut on_message: impl FnMut(Message) + Send + 'static) -> io::Result<()> {
            std::thread::Builder::new().name("instance".into()).spawn(move || {
                loop {
                    match self.accept() {
                        Ok(m) => on_message(m),
                        Err(e) => {
                            tracing::warn!(%e, "the instance socket failed; later launches open their own window");
                            break;
                        }
                    }
                }
            })?;
            Ok(())
        }
    }

    fn read_message(s: UnixStream) -> Option<Message> {
        s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
        s.set_write_timeout(Some(Duration::from_secs(5))).ok()?;
        let mut line = String::new();
        BufReader::new((&s).take(MAX_LINE as u64)).read_line(&mut line).ok()?;
        let m = Message::decode(&line)?;
        (&s).write_all(b"ok\n").ok()?;
        Some(m)
    }

    impl Drop for Listener {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

#[cfg(not(unix))]
pub use super::single_tcp::{Listener, acquire};

/// Convenience for `main`: the primary instance's listener, or `None` after the message was
/// forwarded to the running one. Errors of the socket itself are logged and the launch goes
/// on as its own instance without a guard.
pub fn claim(message: &Message) -> Option<Option<Listener>> {
    let path = socket_path();
    match acquire(&path, message) {
        Ok(Acquired::Primary(l)) => Some(Some(l)),
        Ok(Acquired::Forwarded) => None,
        Err(e) => {
            tracing::warn!(%e, path = %path.display(), "no single-instance guard");
            Some(None)
        }
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn messages_round_trip() {
        for m in [Message::Focus, Message::Dial("+4930123".into()), Message::Dial("sip:a@b;x=y".into())] {
            assert_eq!(Message::decode(&m.encode()), Some(m));
        }
        assert_eq!(Message::decode("dial "), None);
        assert_eq!(Message::decode("hello"), None);
    }

    #[test]
    fn second_claim_forwards_to_the_first() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("i.sock");
        let Ok(Acquired::Primary(first)) = acquire(&path, &Message::Focus) else { panic!("first is primary") };
        let (tx, rx) = std::sync::mpsc::channel();
        first.spawn(move |m| tx.send(m).unwrap()).unwrap();
        let second = acquire(&path, &Message::Dial("7001".into())).unwrap();
        assert!(matches!(second, Acquired::Forwarded));
        assert_eq!(rx.recv_timeout(std::time::Duration::from_secs(5)).unwrap(), Message::Dial("7001".into()));
    }

    #[test]
    fn stale_socket_is_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("i.sock");
        // A socket file with nobody listening: bind, then forget the listener without unlinking.
        drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
        assert!(path.exists());
        let Ok(Acquired::Primary(l)) = acquire(&path, &Message::Focus) else { panic!("takes over") };
        drop(l);
        assert!(!path.exists(), "the listener removes its socket");
    }
}
