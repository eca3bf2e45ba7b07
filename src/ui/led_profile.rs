//! Which LED a key shows (Settings → Appearance → Lamps): the seed's presence-watcher LED,
//! the line only (as a BLF key), or the presence LED kept dark while the line is idle.

use super::state::KeyKind;
use crate::api::LampEvent;

/// How the keys' LEDs are lit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LedProfile {
    /// Grandstream's presence watcher (the seed's tables): Available/Away/Custom green,
    /// Chat/DND red, Unavailable off, with the line overlaid; BLF keys show the line.
    #[default]
    Presence,
    /// Every key as a BLF key: the line only (idle green, ringing blinking red, busy red).
    LineOnly,
    /// As `Presence`, but a key whose line is idle keeps its LED dark: it lights only when
    /// something needs attention (a call, a red status).
    IdleDark,
}

/// Every profile, in the order Settings lists them.
pub const LED_PROFILES: [LedProfile; 3] = [LedProfile::Presence, LedProfile::LineOnly, LedProfile::IdleDark];

impl LedProfile {
    /// The word in the config file (`[prefs] led_profile`).
    pub fn as_str(self) -> &'static str {
        match self {
            LedProfile::Presence => "presence",
            LedProfile::LineOnly => "line",
            LedProfile::IdleDark => "idle-dark",
        }
    }

    /// Parses [`LedProfile::as_str`]; `None` for anything else.
    pub fn parse(s: &str) -> Option<LedProfile> {
        LED_PROFILES.into_iter().find(|p| p.as_str() == s.trim())
    }

    /// What Settings shows.
    pub fn label(self) -> &'static str {
        match self {
            LedProfile::Presence => "Presence (Grandstream)",
            LedProfile::LineOnly => "Line only (BLF)",
            LedProfile::IdleDark => "Dark when idle",
        }
    }

    /// The LED colour word (`green`, `red`, `off`) and whether it blinks, for a key of `kind`.
    pub fn led(self, kind: KeyKind, lamp: &LampEvent) -> (&str, bool) {
        let blf = (lamp.blf_led.as_str(), lamp.blf_blink);
        let presence = (lamp.led.as_str(), lamp.blink);
        match (self, kind) {
            (_, KeyKind::Blf) | (LedProfile::LineOnly, _) => blf,
            (LedProfile::IdleDark, _) if lamp.line == "idle" && presence.0 == "green" => ("off", false),
            _ => presence,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lamp(led: &str, line: &str, blf: &str) -> LampEvent {
        LampEvent {
            ext: "1002".into(),
            uri: "sip:1002@pbx".into(),
            status: String::new(),
            note: None,
            label: String::new(),
            line: line.into(),
            led: led.into(),
            blink: line == "ringing",
            fresh: true,
            freshness: "fresh".into(),
            caller: None,
            peer: None,
            reason: None,
            blf_led: blf.into(),
            blf_blink: line == "ringing",
        }
    }

    #[test]
    fn each_profile_picks_its_led() {
        let away_idle = lamp("green", "idle", "green");
        let dnd_idle = lamp("red", "idle", "green");
        let ringing = lamp("red", "ringing", "red");
        let p = KeyKind::Presence;
        assert_eq!(LedProfile::Presence.led(p, &dnd_idle), ("red", false));
        assert_eq!(LedProfile::LineOnly.led(p, &dnd_idle), ("green", false));
        assert_eq!(LedProfile::IdleDark.led(p, &away_idle), ("off", false));
        assert_eq!(LedProfile::IdleDark.led(p, &dnd_idle), ("red", false));
        assert_eq!(LedProfile::IdleDark.led(p, &ringing), ("red", true));
        assert_eq!(LedProfile::Presence.led(KeyKind::Blf, &dnd_idle), ("green", false), "BLF keys show the line");
        for q in LED_PROFILES {
            assert_eq!(LedProfile::parse(q.as_str()), Some(q));
        }
        assert_eq!(LedProfile::parse("rainbow"), None);
    }
}
