//! The settings window's model, sans-IO except [`SettingsFile`]: codec order and enabling,
//! the theme choice, the feature-code draft of an account, and how each is kept in the config
//! file (`[audio]` devices and `codecs`, `[prefs]` `dark` and `start_minimised`,
//! `[[accounts]]` `feature_codes`). Every field is optional in the file, so older files load
//! unchanged and files without these settings are written as before.

use super::account::{Account, FeatureCodes};
use super::{Config, ConfigError};
use crate::sdp::Codec;
use std::path::{Path, PathBuf};

/// The codecs Lampboard runs, in the default order: (config name, label shown).
pub const CODECS: [(&str, &str); 4] =
    [("opus", "Opus"), ("G722", "G.722"), ("PCMU", "PCMU (G.711 µ-law)"), ("PCMA", "PCMA (G.711 A-law)")];

/// The config name of a codec name as the user or a file spells it (`OPUS` → `opus`,
/// `g722` → `G722`); `None` for a codec Lampboard does not run.
pub fn canonical_codec(name: &str) -> Option<&'static str> {
    let bare = name.trim().split('/').next().unwrap_or_default();
    CODECS.iter().map(|(n, _)| *n).find(|n| n.eq_ignore_ascii_case(bare))
}

/// The label shown for a codec name (the name itself when unknown).
pub fn codec_label(name: &str) -> &str {
    CODECS.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map_or(name, |(_, l)| l)
}

/// Checks a configured codec list: known names only, no duplicates, at least one.
pub fn validate_codecs(names: &[String]) -> Result<(), String> {
    if names.is_empty() {
        return Err("at least one codec is needed".into());
    }
    let mut seen = Vec::new();
    for n in names {
        let Some(c) = canonical_codec(n) else {
            return Err(format!("unknown codec {n:?} (want opus, G722, PCMU or PCMA)"));
        };
        if seen.contains(&c) {
            return Err(format!("codec {c} is listed twice"));
        }
        seen.push(c);
    }
    Ok(())
}

/// The SDP codecs for configured names, in order (unknown names and repeats are skipped).
pub fn codecs_from_names(names: &[String]) -> Vec<Codec> {
    let mut out: Vec<Codec> = Vec::new();
    for n in names {
        let codec = match canonical_codec(n) {
            Some("opus") => Codec::new("opus", 48000, 2),
            Some(name) => Codec::new(name, 8000, 1),
            None => continue,
        };
        if !out.iter().any(|c| c.matches(&codec)) {
            out.push(codec);
        }
    }
    out
}

/// One row of the codec list: a codec and whether it is used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodecChoice {
    /// Config name (`opus`, `G722`, `PCMU`, `PCMA`).
    pub name: &'static str,
    /// Offered and accepted in calls.
    pub enabled: bool,
}

/// The codec list edited in the settings window: enabled codecs first in their configured
/// order, then the others (disabled) in the default order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodecOrder {
    rows: Vec<CodecChoice>,
}

impl Default for CodecOrder {
    fn default() -> Self {
        Self::from_config(None)
    }
}

impl CodecOrder {
    /// The list for `configured` (`None`: all codecs, default order).
    pub fn from_config(configured: Option<&[String]>) -> Self {
        let mut rows: Vec<CodecChoice> = Vec::new();
        if let Some(list) = configured {
            for name in list.iter().filter_map(|n| canonical_codec(n)) {
                if !rows.iter().any(|r| r.name == name) {
                    rows.push(CodecChoice { name, enabled: true });
                }
            }
        }
        let all_default = rows.is_empty();
        for (name, _) in CODECS {
            if !rows.iter().any(|r| r.name == name) {
                rows.push(CodecChoice { name, enabled: all_default });
            }
        }
        CodecOrder { rows }
    }

    /// The rows, in order.
    pub fn rows(&self) -> &[CodecChoice] {
        &self.rows
    }

    /// The enabled codec names in order (what the file and [`crate::api::Command::SetCodecs`] take).
    pub fn enabled(&self) -> Vec<String> {
        self.rows.iter().filter(|r| r.enabled).map(|r| r.name.to_string()).collect()
    }

    /// The value for `[audio] codecs`: `None` when it is the default (all, default order).
    pub fn to_config(&self) -> Option<Vec<String>> {
        let default: Vec<String> = CODECS.iter().map(|(n, _)| n.to_string()).collect();
        let enabled = self.enabled();
        (enabled != default).then_some(enabled)
    }

    /// Moves row `index` one place up (`up`) or down; false when it cannot move.
    pub fn move_row(&mut self, index: usize, up: bool) -> bool {
        let other = if up { index.checked_sub(1) } else { index.checked_add(1) };
        match other {
            Some(o) if o < self.rows.len() && index < self.rows.len() => {
                self.rows.swap(index, o);
                true
            }
            _ => false,
        }
    }

    /// Enables or disables row `index`. The last enabled codec cannot be disabled (a call
    /// needs one): returns false then, and for an index out of range.
    pub fn set_enabled(&mut self, index: usize, enabled: bool) -> bool {
        let others_enabled = self.rows.iter().enumerate().filter(|(i, r)| *i != index && r.enabled).count();
        match self.rows.get_mut(index) {
            Some(row) if enabled || others_enabled > 0 => {
                row.enabled = enabled;
                true
            }
            _ => false,
        }
    }
}

/// The light/dark choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ThemeChoice {
    /// Follow the system's setting.
    System,
    /// Light.
    Light,
    /// Dark (the console's colours are made for it).
    #[default]
    Dark,
}

impl ThemeChoice {
    /// The choice `[prefs] dark` stands for (absent: follow the system).
    pub fn from_config(dark: Option<bool>) -> Self {
        match dark {
            None => ThemeChoice::System,
            Some(true) => ThemeChoice::Dark,
            Some(false) => ThemeChoice::Light,
        }
    }

    /// The value for `[prefs] dark`.
    pub fn to_config(self) -> Option<bool> {
        match self {
            ThemeChoice::System => None,
            ThemeChoice::Dark => Some(true),
            ThemeChoice::Light => Some(false),
        }
    }

    /// The label shown.
    pub fn label(self) -> &'static str {
        match self {
            ThemeChoice::System => "Follow system",
            ThemeChoice::Light => "Light",
            ThemeChoice::Dark => "Dark",
        }
    }
}

/// The feature codes of one account as the settings window edits them: one text per code,
/// filled with the codes in force (the profile's with the account's overrides).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeatureCodesDraft {
    /// The account's name.
    pub account: String,
    /// The profile's codes (what an empty field falls back to).
    pub profile: FeatureCodes,
    /// (code name, text) in [`FeatureCodes::entries`] order.
    pub fields: Vec<(&'static str, String)>,
}

impl FeatureCodesDraft {
    /// The draft for `account`.
    pub fn new(account: &Account) -> Self {
        let effective = account.effective_feature_codes();
        let fields = effective.entries().iter().map(|(n, v)| (*n, v.unwrap_or_default().to_string())).collect();
        FeatureCodesDraft { account: account.name.clone(), profile: account.profile.feature_codes(), fields }
    }

    /// The overrides to store: the fields that differ from the profile's code (an empty
    /// field means "the profile's"). `Err((code name, message))` for a field that is not
    /// made of digits, `*` and `#`.
    pub fn overrides(&self) -> Result<FeatureCodes, (&'static str, String)> {
        let mut out = FeatureCodes::default();
        let profile = self.profile.entries();
        for ((name, text), (_, default)) in self.fields.iter().zip(profile.iter()) {
            let t = text.trim();
            if t.is_empty() || Some(t) == *default {
                continue;
            }
            if t.len() > 16 || !t.chars().all(|c| c.is_ascii_digit() || c == '*' || c == '#') {
                return Err((name, format!("{name}: use only digits, '*' and '#' (at most 16)")));
            }
            if let Some(slot) = out.slot_mut(name) {
                *slot = Some(t.to_string());
            }
        }
        Ok(out)
    }
}

/// The label shown for a feature code name.
pub fn feature_code_label(name: &str) -> &str {
    match name {
        "pickup" => "Directed pickup",
        "group_pickup" => "Group pickup",
        "park" => "Park",
        "presence" => "Presence menu",
        "dnd_on" => "DND on",
        "dnd_off" => "DND off",
        "cfu_on" => "Forward always on",
        "cfu_off" => "Forward always off",
        "cfb_on" => "Forward on busy on",
        "cfb_off" => "Forward on busy off",
        "cfna_on" => "Forward on no answer on",
        "cfna_off" => "Forward on no answer off",
        other => other,
    }
}

/// The config file the settings are kept in. Each change reads the file, changes only its
/// own fields and saves it atomically, so accounts, the wall and anything else written by
/// other parts of the app are kept as they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsFile {
    path: PathBuf,
}

impl SettingsFile {
    /// Settings kept in the config file at `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        SettingsFile { path: path.into() }
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The config now in the file (the default when there is none yet).
    pub fn load(&self) -> Result<Config, ConfigError> {
        super::load_or_default(&self.path)
    }

    /// Loads the file, applies `change`, saves it. The file is untouched on any error.
    pub fn update(&self, change: impl FnOnce(&mut Config)) -> Result<(), ConfigError> {
        let mut cfg = self.load()?;
        change(&mut cfg);
        super::save(&cfg, &self.path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::PbxProfile;

    #[test]
    fn codec_order_round_trip() {
        let d = CodecOrder::default();
        assert_eq!(d.enabled(), vec!["opus", "G722", "PCMU", "PCMA"]);
        assert_eq!(d.to_config(), None);
        let mut o = CodecOrder::from_config(Some(&["pcma".to_string(), "OPUS".to_string()]));
        assert_eq!(o.enabled(), vec!["PCMA", "opus"]);
        assert_eq!(o.rows().iter().map(|r| r.enabled).collect::<Vec<_>>(), vec![true, true, false, false]);
        assert!(o.move_row(1, true));
        assert!(!o.move_row(0, true));
        assert!(!o.move_row(3, false));
        assert_eq!(o.enabled(), vec!["opus", "PCMA"]);
        assert!(o.set_enabled(1, false));
        assert!(!o.set_enabled(0, false), "the last enabled codec stays");
        assert_eq!(o.to_config(), Some(vec!["opus".to_string()]));
        assert!(!o.set_enabled(9, true));
    }

    #[test]
    fn codecs_validate_and_map() {
        assert!(validate_codecs(&["opus".into(), "G722".into()]).is_ok());
        assert!(validate_codecs(&[]).is_err());
        assert!(validate_codecs(&["GSM".into()]).unwrap_err().contains("GSM"));
        assert!(validate_codecs(&["PCMU".into(), "pcmu".into()]).unwrap_err().contains("twice"));
        let c = codecs_from_names(&["PCMA".into(), "opus/48000/2".into(), "x".into(), "pcma".into()]);
        assert_eq!(c, vec![Codec::new("PCMA", 8000, 1), Codec::new("opus", 48000, 2)]);
    }

    #[test]
    fn feature_code_overrides_only_differences() {
        let mut a = Account::new("office", "pbx.example", "1001");
        a.profile = PbxProfile::GrandstreamUcm;
        let mut d = FeatureCodesDraft::new(&a);
        assert_eq!(d.fields[2], ("park", "#72".to_string()));
        assert_eq!(d.overrides().unwrap(), FeatureCodes::default());
        d.fields[2].1 = "*85".into();
        d.fields[0].1 = String::new();
        assert_eq!(d.overrides().unwrap(), FeatureCodes { park: Some("*85".into()), ..Default::default() });
        d.fields[3].1 = "*4a".into();
        assert_eq!(d.overrides().unwrap_err().0, "presence");
    }

    #[test]
    fn theme_choice_maps_prefs() {
        for t in [ThemeChoice::System, ThemeChoice::Light, ThemeChoice::Dark] {
            assert_eq!(ThemeChoice::from_config(t.to_config()), t);
        }
    }
}
