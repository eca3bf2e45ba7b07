//! The account wizard's form, without egui: the fields as typed, their validation with one
//! message per field, and the result — a [`config::Account`] plus the passwords that go to
//! the secret store (never into the account).

use crate::accounts::NewSecrets;
use crate::config::{self, Account, PbxProfile, PresenceBackend, UcmApi};
use crate::sip::TransportKind;
use std::collections::BTreeMap;
use std::fmt;

/// One input of the form; its [`Field::label`] is the accessible name of the widget.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Field {
    /// The account's name (names its keyring entry).
    Name,
    /// Server host name or IP address.
    Server,
    /// Server port.
    Port,
    /// UDP / TCP / TLS.
    Transport,
    /// SIP domain of the address of record.
    Domain,
    /// Outbound proxy `HOST[:PORT]`.
    OutboundProxy,
    /// The extension.
    Extension,
    /// Authentication name.
    AuthName,
    /// The SIP password.
    Password,
    /// Display name.
    DisplayName,
    /// PBX profile.
    Profile,
    /// UCM API base URL.
    UcmApiUrl,
    /// UCM API user.
    UcmApiUser,
    /// UCM API password.
    UcmApiPassword,
}

impl Field {
    /// Every field in the order the form shows them.
    pub const ALL: [Field; 14] = [
        Field::Name,
        Field::Server,
        Field::Port,
        Field::Transport,
        Field::Domain,
        Field::OutboundProxy,
        Field::Extension,
        Field::AuthName,
        Field::Password,
        Field::DisplayName,
        Field::Profile,
        Field::UcmApiUrl,
        Field::UcmApiUser,
        Field::UcmApiPassword,
    ];

    /// The label shown next to the input, which is also its accessible name.
    pub fn label(self) -> &'static str {
        match self {
            Field::Name => "Account name",
            Field::Server => "Server host",
            Field::Port => "Server port",
            Field::Transport => "Transport",
            Field::Domain => "SIP domain",
            Field::OutboundProxy => "Outbound proxy",
            Field::Extension => "Extension",
            Field::AuthName => "Auth name",
            Field::Password => "Password",
            Field::DisplayName => "Display name",
            Field::Profile => "PBX profile",
            Field::UcmApiUrl => "UCM API URL",
            Field::UcmApiUser => "UCM API user",
            Field::UcmApiPassword => "UCM API password",
        }
    }

    /// The placeholder: an example or what an empty field means.
    pub fn hint(self) -> &'static str {
        match self {
            Field::Name => "e.g. office",
            Field::Server => "pbx.example.com or 192.0.2.10",
            Field::Port => "default: 5060 (TLS 5061)",
            Field::Domain => "default: the server host",
            Field::OutboundProxy => "none, or host[:port]",
            Field::Extension => "e.g. 1001",
            Field::AuthName => "default: the extension",
            Field::Password => "the SIP password",
            Field::DisplayName => "e.g. Front Desk",
            Field::UcmApiUrl => "https://ucm.example.com:8089/api",
            Field::UcmApiUser => "API user",
            Field::UcmApiPassword => "API password",
            Field::Transport | Field::Profile => "",
        }
    }

    /// The field of the form behind a path of [`Account::validate`].
    fn of_account_path(path: &str) -> Field {
        match path {
            "name" => Field::Name,
            "server" => Field::Server,
            "port" => Field::Port,
            "extension" => Field::Extension,
            p if p.starts_with("presence_backends") => Field::UcmApiUrl,
            _ => Field::Profile,
        }
    }
}

/// The messages of the fields that are wrong, at most one per field.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FormErrors(BTreeMap<Field, String>);

impl FormErrors {
    /// The message of `field`, if it is wrong.
    pub fn get(&self, field: Field) -> Option<&str> {
        self.0.get(&field).map(String::as_str)
    }

    /// Whether every field is fine.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The wrong fields and their messages, in form order.
    pub fn iter(&self) -> impl Iterator<Item = (Field, &str)> {
        self.0.iter().map(|(f, m)| (*f, m.as_str()))
    }

    /// Forgets the message of `field` (the user changed it).
    pub fn clear(&mut self, field: Field) {
        self.0.remove(&field);
    }

    fn add(&mut self, field: Field, message: impl Into<String>) {
        self.0.entry(field).or_insert_with(|| message.into());
    }
}

/// A form that passed validation: what to save.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// The account for the config file (no password in it).
    pub account: Account,
    /// The passwords for the secret store (`None`: keep the stored one).
    pub secrets: NewSecrets,
    /// Make it the default account.
    pub make_default: bool,
}

/// The wizard's inputs, as typed.
#[derive(Clone, PartialEq, Eq)]
pub struct AccountForm {
    /// Account name.
    pub name: String,
    /// Server host.
    pub server: String,
    /// Server port (empty: the transport's default).
    pub port: String,
    /// Transport.
    pub transport: TransportKind,
    /// SIP domain (empty: the server host).
    pub domain: String,
    /// Outbound proxy (empty: none).
    pub outbound_proxy: String,
    /// Extension.
    pub extension: String,
    /// Auth name (empty: the extension).
    pub auth_name: String,
    /// SIP password (empty while editing: keep the stored one).
    pub password: String,
    /// Display name.
    pub display_name: String,
    /// PBX profile.
    pub profile: PbxProfile,
    /// UCM API URL (UCM profile only; empty: no API).
    pub ucm_api_url: String,
    /// UCM API user.
    pub ucm_api_user: String,
    /// UCM API password (empty while editing: keep the stored one).
    pub ucm_api_password: String,
    /// Make it the default account.
    pub make_default: bool,
    /// The account being edited (its name cannot change), `None` for a new one.
    pub editing: Option<Account>,
}

impl fmt::Debug for AccountForm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The passwords are never printed.
        f.debug_struct("AccountForm")
            .field("name", &self.name)
            .field("server", &self.server)
            .field("port", &self.port)
            .field("transport", &self.transport)
            .field("extension", &self.extension)
            .field("profile", &self.profile)
            .field("editing", &self.editing.as_ref().map(|a| &a.name))
            .finish_non_exhaustive()
    }
}

impl Default for AccountForm {
    fn default() -> Self {
        AccountForm {
            name: String::new(),
            server: String::new(),
            port: String::new(),
            transport: TransportKind::Udp,
            domain: String::new(),
            outbound_proxy: String::new(),
            extension: String::new(),
            auth_name: String::new(),
            password: String::new(),
            display_name: String::new(),
            profile: PbxProfile::Generic,
            ucm_api_url: String::new(),
            ucm_api_user: String::new(),
            ucm_api_password: String::new(),
            make_default: false,
            editing: None,
        }
    }
}

impl AccountForm {
    /// An empty form for a new account (made the default when `first` is the first one).
    pub fn new(first: bool) -> AccountForm {
        AccountForm { make_default: first, ..AccountForm::default() }
    }

    /// The form for editing `a` (passwords empty: typing one replaces the stored one).
    pub fn edit(a: &Account, is_default: bool) -> AccountForm {
        let opt = |o: &Option<String>| o.clone().unwrap_or_default();
        AccountForm {
            name: a.name.clone(),
            server: a.server.clone(),
            port: a.port.map(|p| p.to_string()).unwrap_or_default(),
            transport: a.transport,
            domain: opt(&a.domain),
            outbound_proxy: opt(&a.outbound_proxy),
            extension: a.extension.clone(),
            auth_name: opt(&a.auth_user),
            password: String::new(),
            display_name: opt(&a.display_name),
            profile: a.profile,
            ucm_api_url: a.ucm_api.as_ref().map(|u| u.url.clone()).unwrap_or_default(),
            ucm_api_user: a.ucm_api.as_ref().map(|u| u.user.clone()).unwrap_or_default(),
            ucm_api_password: String::new(),
            make_default: is_default,
            editing: Some(a.clone()),
        }
    }

    /// Checks every field against `existing` (the names of the configured accounts) and
    /// builds what to save; otherwise one message per wrong field.
    pub fn check(&self, existing: &[String]) -> Result<Checked, FormErrors> {
        let mut errors = FormErrors::default();
        let account = self.account(&mut errors);
        let name = self.name.trim();
        if self.editing.is_none() && existing.iter().any(|n| n == name) {
            errors.add(Field::Name, format!("an account called {name:?} exists: choose another name, or edit it"));
        }
        let password = self.password.as_str();
        if password.is_empty() && self.editing.is_none() {
            errors.add(Field::Password, "needed: the SIP password of the extension");
        }
        if password.chars().any(char::is_control) {
            errors.add(Field::Password, "must not contain line breaks or control characters");
        }
        let ucm_password = self.ucm_api_password.as_str();
        let with_api = account.as_ref().is_some_and(|a| a.ucm_api.is_some());
        let had_api = self.editing.as_ref().is_some_and(|a| a.ucm_api.is_some());
        if with_api && ucm_password.is_empty() && !had_api {
            errors.add(Field::UcmApiPassword, "needed for the UCM API (or leave the API fields empty)");
        }
        match account {
            Some(account) if errors.is_empty() => Ok(Checked {
                account,
                secrets: NewSecrets {
                    sip: (!password.is_empty()).then(|| password.to_string()),
                    ucm_api: (with_api && !ucm_password.is_empty()).then(|| ucm_password.to_string()),
                },
                make_default: self.make_default,
            }),
            _ => Err(errors),
        }
    }

    /// The account and password to try a registration with; the password must be typed
    /// (a stored one is not read for a test).
    pub fn check_for_test(&self) -> Result<(Account, String), FormErrors> {
        let mut errors = FormErrors::default();
        let account = self.account(&mut errors);
        if self.password.is_empty() {
            errors.add(Field::Password, "type the password to test the registration");
        }
        match account {
            Some(a) if errors.is_empty() => Ok((a, self.password.clone())),
            _ => Err(errors),
        }
    }

    /// The account of the form (passwords aside); `None` with the messages in `errors`.
    fn account(&self, errors: &mut FormErrors) -> Option<Account> {
        let name = self.name.trim();
        if name.is_empty() {
            errors.add(Field::Name, "needed: a short name such as office");
        } else if !config::account::valid_name(name) {
            errors.add(Field::Name, "use 1-64 letters, digits, '.', '-' or '_' (no spaces)");
        }
        if let Some(e) = &self.editing
            && e.name != name
        {
            errors.add(Field::Name, "the name of an existing account cannot change");
        }
        let host = check_host(self.server.trim()).map_err(|m| errors.add(Field::Server, m)).ok();
        let port = match self.port.trim() {
            "" => None,
            p => match p.parse::<u16>() {
                Ok(n) if n > 0 => Some(n),
                _ => {
                    errors.add(Field::Port, "must be a number from 1 to 65535 (or empty for the default)");
                    None
                }
            },
        };
        let domain = optional(&self.domain);
        if let Some(d) = &domain
            && (d.contains(char::is_whitespace) || d.contains(['@', '/']))
        {
            errors.add(Field::Domain, "must be a domain such as example.com (no '@', no spaces)");
        }
        let proxy = optional(&self.outbound_proxy);
        if let Some(p) = &proxy
            && let Err(m) = crate::engine::dns::ServerSpec::parse(p).and_then(|s| check_host(&s.host).map(|_| ()))
        {
            errors.add(Field::OutboundProxy, format!("must be host or host:port ({m})"));
        }
        let ext = self.extension.trim();
        if ext.is_empty() {
            errors.add(Field::Extension, "needed: your extension or SIP user, e.g. 1001");
        } else if ext.contains(char::is_whitespace) || ext.contains(['@', ':', '/']) {
            errors.add(Field::Extension, "only the user part, e.g. 1001 (no spaces, '@' or ':')");
        }
        let auth = optional(&self.auth_name);
        if auth.as_deref().is_some_and(|a| a.contains(char::is_whitespace)) {
            errors.add(Field::AuthName, "must not contain spaces");
        }
        let display = optional(&self.display_name);
        if let Some(d) = &display
            && (d.chars().count() > 64 || d.contains(['"', '\\']) || d.chars().any(char::is_control))
        {
            errors.add(Field::DisplayName, "up to 64 characters, without quotes or backslashes");
        }
        let ucm_api = self.ucm_api(errors);
        let host = host?;
        let mut a = self.editing.clone().unwrap_or_else(|| Account::new(name, &host, ext));
        a.name = name.to_string();
        a.server = host;
        a.port = port;
        a.transport = self.transport;
        a.domain = domain;
        a.outbound_proxy = proxy;
        a.extension = ext.to_string();
        a.auth_user = auth;
        a.display_name = display;
        if a.profile != self.profile {
            // A new profile brings its own backends and codes; old overrides would hide them.
            a.presence_backends = None;
            a.feature_codes = Default::default();
        }
        a.profile = self.profile;
        a.ucm_api = ucm_api;
        if let Err((field, message)) = a.validate() {
            errors.add(Field::of_account_path(&field), message);
        }
        errors.is_empty().then_some(a)
    }

    /// The UCM API settings (UCM profile with a URL or user given).
    fn ucm_api(&self, errors: &mut FormErrors) -> Option<UcmApi> {
        let (url, user) = (self.ucm_api_url.trim(), self.ucm_api_user.trim());
        if self.profile != PbxProfile::GrandstreamUcm || (url.is_empty() && user.is_empty()) {
            return None;
        }
        let mut ok = true;
        if !(url.starts_with("https://") || url.starts_with("http://")) || url.contains(char::is_whitespace) {
            errors.add(Field::UcmApiUrl, "must start with https:// (e.g. https://ucm.example.com:8089/api)");
            ok = false;
        }
        if user.is_empty() || user.contains(char::is_whitespace) {
            errors.add(Field::UcmApiUser, "needed with the API URL (no spaces)");
            ok = false;
        }
        ok.then(|| UcmApi { url: url.to_string(), user: user.to_string() })
    }
}

/// The trimmed text, `None` when empty.
fn optional(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// A host name or IP literal (IPv6 with or without brackets); the host as stored.
fn check_host(s: &str) -> Result<String, String> {
    let s = s.strip_prefix("sip:").unwrap_or(s);
    if s.is_empty() {
        return Err("needed: the PBX's host name or IP address".into());
    }
    let inner = s.strip_prefix('[').and_then(|r| r.strip_suffix(']')).unwrap_or(s);
    if inner.parse::<std::net::Ipv6Addr>().is_ok() {
        return Ok(inner.to_string());
    }
    if s.contains(char::is_whitespace) || s.contains(['/', '@']) {
        return Err("only a host name or IP address (no spaces, '/' or '@')".into());
    }
    if s.contains(':') {
        return Err("put the port into the Server port field".into());
    }
    let ok = s.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
    if !ok || s.starts_with(['.', '-']) || s.ends_with('-') {
        return Err("not a valid host name or IP address".into());
    }
    Ok(s.to_string())
}

/// What `profile` fills in, for the form: the presence backends and the feature codes.
pub fn profile_summary(profile: PbxProfile) -> Vec<String> {
    let backends: Vec<&str> = profile
        .presence_backends()
        .iter()
        .map(|b| match b {
            PresenceBackend::Publish => "SIP PUBLISH",
            PresenceBackend::UcmApi => "UCM HTTPS API (when configured)",
            PresenceBackend::FeatureCodes => "feature codes",
        })
        .collect();
    let codes: Vec<String> =
        profile.feature_codes().entries().iter().filter_map(|(k, v)| v.map(|v| format!("{k} {v}"))).collect();
    vec![
        format!("Own status via: {}", backends.join(", then ")),
        if codes.is_empty() {
            "Feature codes: none".to_string()
        } else {
            format!("Feature codes: {}", codes.join(", "))
        },
    ]
}

/// The name of a profile as the form lists it.
pub fn profile_label(profile: PbxProfile) -> &'static str {
    match profile {
        PbxProfile::GrandstreamUcm => "Grandstream UCM",
        PbxProfile::Asterisk => "Asterisk / FreePBX",
        PbxProfile::Kamailio => "Kamailio / OpenSIPS",
        PbxProfile::Generic => "Generic SIP",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filled() -> AccountForm {
        AccountForm {
            name: "office".into(),
            server: "pbx.example.com".into(),
            port: "5070".into(),
            extension: "1001".into(),
            password: "s3cret".into(),
            ..AccountForm::new(true)
        }
    }

    #[test]
    fn a_filled_form_gives_the_account_and_keeps_the_password_apart() {
        let c = filled().check(&[]).expect("valid");
        assert_eq!(c.account.server, "pbx.example.com");
        assert_eq!(c.account.port, Some(5070));
        assert_eq!(c.secrets.sip.as_deref(), Some("s3cret"));
        let toml = config::to_toml(&config::Config { accounts: vec![c.account], ..Default::default() }).unwrap();
        assert!(!toml.contains("s3cret"), "{toml}");
    }

    #[test]
    fn each_bad_field_gets_its_own_message() {
        let f = AccountForm {
            name: "my office".into(),
            server: "pbx.example.com:5060".into(),
            port: "70000".into(),
            extension: String::new(),
            password: String::new(),
            ..AccountForm::new(false)
        };
        let e = f.check(&[]).unwrap_err();
        for field in [Field::Name, Field::Server, Field::Port, Field::Extension, Field::Password] {
            assert!(e.get(field).is_some(), "{field:?} in {e:?}");
        }
        assert!(e.get(Field::Server).unwrap().contains("port"), "{e:?}");
        assert!(e.get(Field::Domain).is_none());
    }

    #[test]
    fn duplicate_names_and_ucm_api_without_password_are_refused() {
        let e = filled().check(&["office".into()]).unwrap_err();
        assert!(e.get(Field::Name).unwrap().contains("exists"));
        let f = AccountForm { profile: PbxProfile::GrandstreamUcm, ucm_api_url: "ucm.example.com".into(), ..filled() };
        let e = f.check(&[]).unwrap_err();
        assert!(e.get(Field::UcmApiUrl).is_some() && e.get(Field::UcmApiUser).is_some(), "{e:?}");
    }

    #[test]
    fn editing_keeps_the_stored_password_and_the_name() {
        let a = filled().check(&[]).unwrap().account;
        let mut f = AccountForm::edit(&a, true);
        assert!(f.password.is_empty());
        let c = f.check(&["office".into()]).expect("valid without a new password");
        assert_eq!(c.secrets.sip, None);
        f.name = "other".into();
        assert!(f.check(&[]).unwrap_err().get(Field::Name).is_some());
    }

    #[test]
    fn ipv6_servers_and_profiles() {
        let f = AccountForm { server: "[::1]".into(), ..filled() };
        assert_eq!(f.check(&[]).unwrap().account.server, "::1");
        let s = profile_summary(PbxProfile::GrandstreamUcm).join("\n");
        assert!(s.contains("*48") && s.contains("UCM HTTPS API"), "{s}");
        assert!(profile_summary(PbxProfile::Kamailio)[0].contains("PUBLISH"));
    }
}
