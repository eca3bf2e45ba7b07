//! The six user statuses of the Grandstream UCM presence feature, the line (device) state
//! shown by a busy lamp, and the three LED colours of the seed's tables.

/// A colleague's self-set presence status: the UCM's six, plus [`UserStatus::Unknown`]
/// for "no usable evidence yet".
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum UserStatus {
    /// Online and reachable (UCM default).
    Available,
    /// Away from the desk (includes Asterisk `xa`).
    Away,
    /// Reachable only by chat.
    Chat,
    /// Do Not Disturb.
    Dnd,
    /// Unreachable (includes "not registered" when nothing better is known).
    Unavailable,
    /// A user-defined status text (UCM "Custom Presence Status", up to 64 characters).
    Custom(String),
    /// Nothing known (no NOTIFY yet, or a body that says nothing about the user).
    Unknown,
}

impl UserStatus {
    /// The stable lower-case word: `available|away|chat|dnd|unavailable|custom|unknown`.
    pub fn as_str(&self) -> &'static str {
        match self {
            UserStatus::Available => "available",
            UserStatus::Away => "away",
            UserStatus::Chat => "chat",
            UserStatus::Dnd => "dnd",
            UserStatus::Unavailable => "unavailable",
            UserStatus::Custom(_) => "custom",
            UserStatus::Unknown => "unknown",
        }
    }

    /// A human label: "Available", "Away", "Chat", "Do Not Disturb", "Unavailable", the
    /// custom text itself, or "Unknown".
    pub fn label(&self) -> &str {
        match self {
            UserStatus::Available => "Available",
            UserStatus::Away => "Away",
            UserStatus::Chat => "Chat",
            UserStatus::Dnd => "Do Not Disturb",
            UserStatus::Unavailable => "Unavailable",
            UserStatus::Custom(text) => text,
            UserStatus::Unknown => "Unknown",
        }
    }

    /// Parses a status word as typed on the command line (ASCII case-insensitive).
    ///
    /// Accepted: `available` (`avail`, `online`), `away` (`xa`), `chat`, `dnd`
    /// (`do-not-disturb`, `busy`), `unavailable` (`offline`), and `custom` (or the UCM API's
    /// `userdef`) which needs `custom_text`. A non-custom word ignores `custom_text`.
    /// Returns `None` for anything else, for `custom` without a text, and for `unknown`
    /// (not a status a user can set).
    pub fn parse(s: &str, custom_text: Option<&str>) -> Option<UserStatus> {
        let word = s.trim();
        let is = |w: &str| word.eq_ignore_ascii_case(w);
        if is("available") || is("avail") || is("online") {
            Some(UserStatus::Available)
        } else if is("away") || is("xa") {
            Some(UserStatus::Away)
        } else if is("chat") {
            Some(UserStatus::Chat)
        } else if is("dnd") || is("do-not-disturb") || is("busy") {
            Some(UserStatus::Dnd)
        } else if is("unavailable") || is("offline") {
            Some(UserStatus::Unavailable)
        } else if is("custom") || is("userdef") {
            custom_text.map(|t| UserStatus::Custom(t.to_owned()))
        } else {
            None
        }
    }

    /// The exact word of Lampboard's private `<lb:status>` element (the same words as
    /// [`UserStatus::as_str`], lower case only); `custom` takes `text` (empty if absent).
    pub(crate) fn from_wire(word: &str, text: Option<&str>) -> Option<UserStatus> {
        Some(match word {
            "available" => UserStatus::Available,
            "away" => UserStatus::Away,
            "chat" => UserStatus::Chat,
            "dnd" => UserStatus::Dnd,
            "unavailable" => UserStatus::Unavailable,
            "custom" => UserStatus::Custom(text.unwrap_or_default().to_owned()),
            "unknown" => UserStatus::Unknown,
            _ => return None,
        })
    }

    /// The LED colour of the seed's presence-watcher tables: Available, Away and Custom
    /// green; Chat and DND red; Unavailable (and Unknown) off.
    pub fn led(&self) -> Led {
        match self {
            UserStatus::Available | UserStatus::Away | UserStatus::Custom(_) => Led::Green,
            UserStatus::Chat | UserStatus::Dnd => Led::Red,
            UserStatus::Unavailable | UserStatus::Unknown => Led::Off,
        }
    }
}

/// What a colleague's phone line is doing (the busy-lamp-field part of a tile).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineState {
    /// Registered and not in a call.
    Idle,
    /// An incoming call is ringing; `caller` is "Display (user)" when the PBX says.
    Ringing {
        /// Who is calling, e.g. `"Bob (2002)"`, when known.
        caller: Option<String>,
    },
    /// In a call or dialling out; `peer` is the other party when known.
    Busy {
        /// The other party, e.g. `"Bob (2002)"`, when known.
        peer: Option<String>,
    },
    /// A call is on hold.
    Held,
    /// Not registered / unreachable.
    Offline,
    /// Nothing known.
    Unknown,
}

impl LineState {
    /// The stable lower-case word: `idle|ringing|busy|held|offline|unknown`.
    pub fn as_str(&self) -> &'static str {
        match self {
            LineState::Idle => "idle",
            LineState::Ringing { .. } => "ringing",
            LineState::Busy { .. } => "busy",
            LineState::Held => "held",
            LineState::Offline => "offline",
            LineState::Unknown => "unknown",
        }
    }

    /// Severity used when several sources or dialogs disagree ("worst wins"):
    /// ringing > busy > held > offline > idle > unknown.
    pub fn severity(&self) -> u8 {
        match self {
            LineState::Unknown => 0,
            LineState::Idle => 1,
            LineState::Offline => 2,
            LineState::Held => 3,
            LineState::Busy { .. } => 4,
            LineState::Ringing { .. } => 5,
        }
    }

    /// The more severe of `self` and `other` (ties keep `self`).
    pub fn worst(self, other: LineState) -> LineState {
        if other.severity() > self.severity() { other } else { self }
    }
}

/// A lamp colour, as in the seed's LED tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Led {
    /// Green.
    Green,
    /// Red.
    Red,
    /// Dark.
    Off,
}

impl Led {
    /// `green|red|off`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Led::Green => "green",
            Led::Red => "red",
            Led::Off => "off",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_words_parse() {
        assert_eq!(UserStatus::parse("DND", None), Some(UserStatus::Dnd));
        assert_eq!(UserStatus::parse("xa", None), Some(UserStatus::Away));
        assert_eq!(UserStatus::parse("custom", Some("In a meeting")), Some(UserStatus::Custom("In a meeting".into())));
        assert_eq!(UserStatus::parse("custom", None), None);
        assert_eq!(UserStatus::parse("unknown", None), None);
        assert_eq!(UserStatus::parse("away", Some("ignored")), Some(UserStatus::Away));
    }

    #[test]
    fn words_round_trip_through_the_wire_form() {
        for s in [
            UserStatus::Available,
            UserStatus::Away,
            UserStatus::Chat,
            UserStatus::Dnd,
            UserStatus::Unavailable,
            UserStatus::Unknown,
        ] {
            assert_eq!(UserStatus::from_wire(s.as_str(), None), Some(s));
        }
    }

    #[test]
    fn worst_line_wins() {
        let l = LineState::Idle.worst(LineState::Held);
        assert_eq!(l, LineState::Held);
        let l = l.worst(LineState::Ringing { caller: None });
        assert_eq!(l.as_str(), "ringing");
        assert_eq!(LineState::Offline.worst(LineState::Idle), LineState::Offline);
    }
}
