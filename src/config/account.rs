//! One SIP account in the config file: where the server is, who we are, which PBX it is
//! (the profile fills in feature codes and how our own status is applied). Never a password:
//! those live in the OS keyring ([`crate::secrets`]).

use crate::sip::TransportKind;
use serde::{Deserialize, Serialize};

/// The kind of PBX behind an account; chooses default feature codes and presence backends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PbxProfile {
    /// Grandstream UCM (6xxx): feature codes of PRESENCE.md §5, status via the HTTPS API.
    GrandstreamUcm,
    /// Asterisk / FreePBX: FreePBX default feature codes, no PUBLISH for presence.
    Asterisk,
    /// Kamailio / OpenSIPS: presence by PUBLISH, no feature codes.
    Kamailio,
    /// Anything else: PUBLISH, no feature codes.
    #[default]
    Generic,
}

impl PbxProfile {
    /// All profiles, in the order a wizard lists them.
    pub const ALL: [PbxProfile; 4] =
        [PbxProfile::GrandstreamUcm, PbxProfile::Asterisk, PbxProfile::Kamailio, PbxProfile::Generic];

    /// The name used in the config file and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            PbxProfile::GrandstreamUcm => "grandstream_ucm",
            PbxProfile::Asterisk => "asterisk",
            PbxProfile::Kamailio => "kamailio",
            PbxProfile::Generic => "generic",
        }
    }

    /// Parses a profile name (`grandstream_ucm|asterisk|kamailio|generic`, `-` taken for `_`).
    pub fn parse(s: &str) -> Option<PbxProfile> {
        let s = s.trim().to_ascii_lowercase().replace('-', "_");
        PbxProfile::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// The feature codes this PBX uses out of the box.
    pub fn feature_codes(self) -> FeatureCodes {
        let c = |s: &str| Some(s.to_string());
        match self {
            // PRESENCE.md §5, "Feature codes" (UCM defaults).
            PbxProfile::GrandstreamUcm => FeatureCodes {
                pickup: c("**"),
                group_pickup: c("*8"),
                park: c("#72"),
                presence: c("*48"),
                dnd_on: c("*77"),
                dnd_off: c("*78"),
                cfu_on: c("*72"),
                cfu_off: c("*73"),
                cfb_on: c("*90"),
                cfb_off: c("*91"),
                cfna_on: c("*92"),
                cfna_off: c("*93"),
            },
            // FreePBX defaults (Feature Codes module); a plain Asterisk dial plan may differ,
            // hence overridable per account.
            PbxProfile::Asterisk => FeatureCodes {
                pickup: c("**"),
                group_pickup: c("*8"),
                park: None,
                presence: None,
                dnd_on: c("*78"),
                dnd_off: c("*79"),
                cfu_on: c("*72"),
                cfu_off: c("*73"),
                cfb_on: c("*90"),
                cfb_off: c("*91"),
                cfna_on: c("*52"),
                cfna_off: c("*53"),
            },
            PbxProfile::Kamailio | PbxProfile::Generic => FeatureCodes::default(),
        }
    }

    /// How our own status is applied on this PBX, in the order they are tried.
    pub fn presence_backends(self) -> Vec<PresenceBackend> {
        match self {
            // Stock Asterisk answers PUBLISH with 489 (PRESENCE.md §1.2); the UCM API is the way.
            PbxProfile::GrandstreamUcm => vec![PresenceBackend::UcmApi, PresenceBackend::FeatureCodes],
            PbxProfile::Asterisk => vec![PresenceBackend::FeatureCodes],
            PbxProfile::Kamailio | PbxProfile::Generic => vec![PresenceBackend::Publish],
        }
    }
}

/// How our own status gets to the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PresenceBackend {
    /// SIP PUBLISH (RFC 3903) with a PIDF body.
    Publish,
    /// The Grandstream UCM HTTPS API (`updateSIPAccount`).
    UcmApi,
    /// Dialling feature codes (`*48`, `*77`/`*78`…).
    FeatureCodes,
}

/// Feature codes (star codes) of a PBX. `None` means the PBX has no such code (or it is unknown).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeatureCodes {
    /// Directed pickup prefix (followed by the extension).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pickup: Option<String>,
    /// Group pickup.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_pickup: Option<String>,
    /// Call park (in-call code or park extension).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub park: Option<String>,
    /// Presence status menu (UCM `*48`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub presence: Option<String>,
    /// Do-not-disturb on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dnd_on: Option<String>,
    /// Do-not-disturb off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dnd_off: Option<String>,
    /// Call forward unconditional on (followed by the target).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cfu_on: Option<String>,
    /// Call forward unconditional off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cfu_off: Option<String>,
    /// Call forward on busy on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cfb_on: Option<String>,
    /// Call forward on busy off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cfb_off: Option<String>,
    /// Call forward on no answer on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cfna_on: Option<String>,
    /// Call forward on no answer off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cfna_off: Option<String>,
}

impl FeatureCodes {
    /// `self` with every code set in `over` replaced by it.
    pub fn overlaid(&self, over: &FeatureCodes) -> FeatureCodes {
        let pick = |a: &Option<String>, b: &Option<String>| b.clone().or_else(|| a.clone());
        FeatureCodes {
            pickup: pick(&self.pickup, &over.pickup),
            group_pickup: pick(&self.group_pickup, &over.group_pickup),
            park: pick(&self.park, &over.park),
            presence: pick(&self.presence, &over.presence),
            dnd_on: pick(&self.dnd_on, &over.dnd_on),
            dnd_off: pick(&self.dnd_off, &over.dnd_off),
            cfu_on: pick(&self.cfu_on, &over.cfu_on),
            cfu_off: pick(&self.cfu_off, &over.cfu_off),
            cfb_on: pick(&self.cfb_on, &over.cfb_on),
            cfb_off: pick(&self.cfb_off, &over.cfb_off),
            cfna_on: pick(&self.cfna_on, &over.cfna_on),
            cfna_off: pick(&self.cfna_off, &over.cfna_off),
        }
    }

    /// The code called `name` (one of [`FeatureCodes::entries`]' names), to set it; `None` for
    /// an unknown name.
    pub fn slot_mut(&mut self, name: &str) -> Option<&mut Option<String>> {
        Some(match name {
            "pickup" => &mut self.pickup,
            "group_pickup" => &mut self.group_pickup,
            "park" => &mut self.park,
            "presence" => &mut self.presence,
            "dnd_on" => &mut self.dnd_on,
            "dnd_off" => &mut self.dnd_off,
            "cfu_on" => &mut self.cfu_on,
            "cfu_off" => &mut self.cfu_off,
            "cfb_on" => &mut self.cfb_on,
            "cfb_off" => &mut self.cfb_off,
            "cfna_on" => &mut self.cfna_on,
            "cfna_off" => &mut self.cfna_off,
            _ => return None,
        })
    }

    /// Every code with its name, for validation and display.
    pub fn entries(&self) -> [(&'static str, Option<&str>); 12] {
        [
            ("pickup", self.pickup.as_deref()),
            ("group_pickup", self.group_pickup.as_deref()),
            ("park", self.park.as_deref()),
            ("presence", self.presence.as_deref()),
            ("dnd_on", self.dnd_on.as_deref()),
            ("dnd_off", self.dnd_off.as_deref()),
            ("cfu_on", self.cfu_on.as_deref()),
            ("cfu_off", self.cfu_off.as_deref()),
            ("cfb_on", self.cfb_on.as_deref()),
            ("cfb_off", self.cfb_off.as_deref()),
            ("cfna_on", self.cfna_on.as_deref()),
            ("cfna_off", self.cfna_off.as_deref()),
        ]
    }
}

/// Where the Grandstream UCM HTTPS API is (its password is in the keyring, see
/// [`crate::secrets::ucm_api_key`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UcmApi {
    /// Base URL, e.g. `https://ucm.example.com:8089/api`.
    pub url: String,
    /// API user name.
    pub user: String,
}

/// One SIP account. The password is not here: it is in the OS keyring under
/// service `lampboard`, user = [`Account::name`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Account {
    /// The account's name (unique in the file; the keyring entry is named after it).
    pub name: String,
    /// Registrar / proxy host name or IP address (no port; see `port`).
    pub server: String,
    /// Server port; none = the transport's default, or DNS SRV for a domain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// Transport.
    #[serde(default = "default_transport")]
    pub transport: TransportKind,
    /// SIP domain of the address of record (default: the server's host).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// Outbound proxy (`HOST[:PORT]`), if requests must go through one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outbound_proxy: Option<String>,
    /// The extension (user part of the address of record).
    pub extension: String,
    /// Authentication user name, if it differs from the extension.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_user: Option<String>,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Which PBX this is.
    #[serde(default)]
    pub profile: PbxProfile,
    /// How our status is applied, in order; none = the profile's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub presence_backends: Option<Vec<PresenceBackend>>,
    /// Feature codes that differ from the profile's.
    #[serde(default, skip_serializing_if = "is_default_codes")]
    pub feature_codes: FeatureCodes,
    /// The UCM HTTPS API, for the `ucm_api` presence backend.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ucm_api: Option<UcmApi>,
}

fn default_transport() -> TransportKind {
    TransportKind::Udp
}

fn is_default_codes(c: &FeatureCodes) -> bool {
    *c == FeatureCodes::default()
}

impl Account {
    /// A new account with the given name, server and extension; the rest at defaults.
    pub fn new(name: &str, server: &str, extension: &str) -> Account {
        Account {
            name: name.to_string(),
            server: server.to_string(),
            port: None,
            transport: TransportKind::Udp,
            domain: None,
            outbound_proxy: None,
            extension: extension.to_string(),
            auth_user: None,
            display_name: None,
            profile: PbxProfile::Generic,
            presence_backends: None,
            feature_codes: FeatureCodes::default(),
            ucm_api: None,
        }
    }

    /// The feature codes in force: the profile's, with this account's overrides.
    pub fn effective_feature_codes(&self) -> FeatureCodes {
        self.profile.feature_codes().overlaid(&self.feature_codes)
    }

    /// The presence backends in force: this account's list, or the profile's without the
    /// UCM API when no `[accounts.ucm_api]` is configured.
    pub fn effective_presence_backends(&self) -> Vec<PresenceBackend> {
        match &self.presence_backends {
            Some(list) => list.clone(),
            None => {
                let mut list = self.profile.presence_backends();
                if self.ucm_api.is_none() {
                    list.retain(|b| *b != PresenceBackend::UcmApi);
                }
                list
            }
        }
    }

    /// The server as the engine and `--server` take it: `HOST`, `HOST:PORT`, `[V6]:PORT`.
    pub fn server_spec(&self) -> String {
        let host = self.server.trim();
        let bare_v6 = host.contains(':') && !host.starts_with('[');
        match (self.port, bare_v6) {
            (Some(p), true) => format!("[{host}]:{p}"),
            (Some(p), false) => format!("{host}:{p}"),
            (None, _) => host.to_string(),
        }
    }

    /// Checks the fields that serde cannot; `Err((field, message))`, the field relative to
    /// the account.
    pub fn validate(&self) -> Result<(), (String, String)> {
        let bad = |f: &str, m: &str| Err((f.to_string(), m.to_string()));
        if !valid_name(&self.name) {
            return bad("name", "must be 1-64 characters: letters, digits, '.', '-', '_'");
        }
        let host = self.server.trim();
        if host.is_empty() || host.contains(char::is_whitespace) || host.contains('/') {
            return bad("server", "must be a host name or IP address");
        }
        if host.starts_with('[') || (host.matches(':').count() == 1) {
            return bad("server", "the port goes into `port`, not `server`");
        }
        if self.port == Some(0) {
            return bad("port", "must be 1-65535");
        }
        if self.extension.trim().is_empty() || self.extension.contains(char::is_whitespace) {
            return bad("extension", "must be a non-empty extension without spaces");
        }
        for (name, code) in self.feature_codes.entries() {
            if let Some(code) = code
                && (code.is_empty() || !code.chars().all(|c| c.is_ascii_digit() || c == '*' || c == '#'))
            {
                return Err((format!("feature_codes.{name}"), "may hold only digits, '*' and '#'".into()));
            }
        }
        if self.effective_presence_backends().contains(&PresenceBackend::UcmApi) && self.ucm_api.is_none() {
            return bad("presence_backends", "the ucm_api backend needs [accounts.ucm_api] with url and user");
        }
        Ok(())
    }
}

/// Whether `s` can name an account (and so a keyring entry): 1-64 of `[A-Za-z0-9._-]`.
pub fn valid_name(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
}
