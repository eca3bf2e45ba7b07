//! Start at login, the way each desktop expects it:
//! - Linux and other XDG desktops: `~/.config/autostart/lampboard.desktop` (XDG Autostart);
//! - macOS: a LaunchAgent `~/Library/LaunchAgents/invalid.lampboard.Lampboard.plist` with
//!   `RunAtLoad`;
//! - Windows: the `Lampboard` value under `HKCU\Software\Microsoft\Windows\CurrentVersion\Run`
//!   (through `reg.exe`, so no registry crate is needed).
//!
//! The file-based variants take their base directory as an argument ([`Autostart::in_dir`]),
//! so tests never touch the real one.

use std::path::{Path, PathBuf};

/// The bundle identifier (as in `packaging/macos/Info.plist` and the AppStream id).
pub const APP_ID: &str = "invalid.lampboard.Lampboard";

/// Where and how the login item is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Autostart {
    /// An XDG autostart desktop entry in this directory.
    Xdg(PathBuf),
    /// A LaunchAgent plist in this directory.
    LaunchAgent(PathBuf),
    /// The Windows `Run` registry key.
    WindowsRun,
}

/// What went wrong.
#[derive(Debug)]
pub enum AutostartError {
    /// No home / config directory is known for this user.
    NoHome,
    /// Reading or writing the login item failed.
    Io(PathBuf, std::io::Error),
    /// `reg.exe` failed (Windows).
    Registry(String),
}

impl std::fmt::Display for AutostartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AutostartError::NoHome => write!(f, "no home directory known for this user"),
            AutostartError::Io(p, e) => write!(f, "{}: {e}", p.display()),
            AutostartError::Registry(e) => write!(f, "registry: {e}"),
        }
    }
}

impl std::error::Error for AutostartError {}

impl Autostart {
    /// The platform's login-item mechanism for the current user.
    pub fn platform() -> Result<Autostart, AutostartError> {
        if cfg!(windows) {
            return Ok(Autostart::WindowsRun);
        }
        let base = directories::BaseDirs::new().ok_or(AutostartError::NoHome)?;
        if cfg!(target_os = "macos") {
            Ok(Autostart::LaunchAgent(base.home_dir().join("Library/LaunchAgents")))
        } else {
            Ok(Autostart::Xdg(base.config_dir().join("autostart")))
        }
    }

    /// The file-based variant of this platform in `dir` (tests; Windows uses the XDG form).
    pub fn in_dir(dir: &Path) -> Autostart {
        if cfg!(target_os = "macos") { Autostart::LaunchAgent(dir.into()) } else { Autostart::Xdg(dir.into()) }
    }

    /// Where the login item lives (a file, or the registry key and value).
    pub fn location(&self) -> String {
        match self {
            Autostart::Xdg(d) => d.join("lampboard.desktop").display().to_string(),
            Autostart::LaunchAgent(d) => d.join(format!("{APP_ID}.plist")).display().to_string(),
            Autostart::WindowsRun => format!("{RUN_KEY}\\{RUN_VALUE}"),
        }
    }

    /// Whether Lampboard starts at login now.
    pub fn is_enabled(&self) -> Result<bool, AutostartError> {
        match self {
            Autostart::Xdg(_) | Autostart::LaunchAgent(_) => {
                let path = PathBuf::from(self.location());
                match std::fs::read_to_string(&path) {
                    // A desktop entry switched off in the desktop's own settings still exists.
                    Ok(text) => Ok(!text.lines().any(|l| {
                        let l = l.trim();
                        l == "Hidden=true" || l == "X-GNOME-Autostart-enabled=false"
                    })),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
                    Err(e) => Err(AutostartError::Io(path, e)),
                }
            }
            Autostart::WindowsRun => reg(&["query", RUN_KEY, "/v", RUN_VALUE]).map(|_| true).or(Ok(false)),
        }
    }

    /// Starts `exe` at login (`enable`), or no longer. Idempotent.
    pub fn set(&self, enable: bool, exe: &Path) -> Result<(), AutostartError> {
        match self {
            Autostart::Xdg(dir) | Autostart::LaunchAgent(dir) => {
                let path = PathBuf::from(self.location());
                if !enable {
                    return match std::fs::remove_file(&path) {
                        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(AutostartError::Io(path, e)),
                        _ => Ok(()),
                    };
                }
                std::fs::create_dir_all(dir).map_err(|e| AutostartError::Io(dir.clone(), e))?;
                let text = match self {
                    Autostart::Xdg(_) => desktop_entry(exe),
                    _ => launch_agent(exe),
                };
                let tmp = path.with_extension("tmp");
                std::fs::write(&tmp, text).map_err(|e| AutostartError::Io(tmp.clone(), e))?;
                std::fs::rename(&tmp, &path).map_err(|e| AutostartError::Io(path, e))
            }
            Autostart::WindowsRun if enable => {
                let data = format!("\"{}\"", exe.display());
                reg(&["add", RUN_KEY, "/v", RUN_VALUE, "/t", "REG_SZ", "/d", &data, "/f"]).map(|_| ())
            }
            Autostart::WindowsRun => match self.is_enabled()? {
                true => reg(&["delete", RUN_KEY, "/v", RUN_VALUE, "/f"]).map(|_| ()),
                false => Ok(()),
            },
        }
    }
}

const RUN_KEY: &str = r"HKCU\Software\Microsoft\Windows\CurrentVersion\Run";
const RUN_VALUE: &str = "Lampboard";

fn reg(args: &[&str]) -> Result<String, AutostartError> {
    let out =
        std::process::Command::new("reg").args(args).output().map_err(|e| AutostartError::Registry(e.to_string()))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(AutostartError::Registry(String::from_utf8_lossy(&out.stderr).trim().to_string()))
    }
}

/// Quotes a path for a desktop entry's `Exec` (the spec's reserved characters inside quotes).
fn exec_quoted(exe: &Path) -> String {
    let s = exe.display().to_string();
    if s.chars().all(|c| c.is_ascii_alphanumeric() || "/._-+".contains(c)) {
        return s;
    }
    let mut q = String::from("\"");
    for c in s.chars() {
        if matches!(c, '"' | '`' | '$' | '\\') {
            q.push('\\');
        }
        q.push(c);
    }
    q.push('"');
    q
}

fn desktop_entry(exe: &Path) -> String {
    format!(
        "[Desktop Entry]\nType=Application\nName=Lampboard\nComment=Start Lampboard at login\n\
         Exec={}\nIcon=lampboard\nTerminal=false\nX-GNOME-Autostart-enabled=true\n",
        exec_quoted(exe)
    )
}

fn xml_escaped(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

fn launch_agent(exe: &Path) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n\
         <plist version=\"1.0\">\n<dict>\n\
         \t<key>Label</key>\n\t<string>{APP_ID}</string>\n\
         \t<key>ProgramArguments</key>\n\t<array>\n\t\t<string>{}</string>\n\t</array>\n\
         \t<key>RunAtLoad</key>\n\t<true/>\n\
         </dict>\n</plist>\n",
        xml_escaped(&exe.display().to_string())
    )
}
