//! The async UCM API client on `reqwest` (rustls, certificate verification always on).
//!
//! It logs in on first use, keeps the session cookie, logs in again once when the UCM refuses
//! the cookie (status -6) and retries the request, and calls `applyChanges` when an update asks
//! for it. A wrong password fails at once, without a loop. Neither the password, the login token
//! nor the cookie is ever logged or put into an error.

use super::config::UcmConfig;
use super::error::UcmError;
use super::model::{PresenceListField, UcmAccountSettings};
use super::protocol::{self, Action, Answer, MAX_RESPONSE_LEN, Refusal};
use super::tls;
use crate::presence::status::UserStatus;
use serde_json::Value;
use std::fmt;

/// What an update did on the UCM.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UpdateOutcome {
    /// The UCM asked for `applyChanges` (`need_apply: "yes"`), and it was called successfully.
    pub applied_changes: bool,
    /// A fresh login was needed on the way (the cookie had expired).
    pub relogged_in: bool,
}

/// A session with one UCM's HTTPS API.
pub struct UcmClient {
    http: reqwest::Client,
    url: reqwest::Url,
    user: String,
    password: String,
    list_field: PresenceListField,
    cookie: Option<String>,
    logins: u32,
}

impl fmt::Debug for UcmClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UcmClient")
            .field("url", &self.url.as_str())
            .field("user", &self.user)
            .field("password", &"<redacted>")
            .field("logged_in", &self.cookie.is_some())
            .finish()
    }
}

impl UcmClient {
    /// A client for `cfg`; checks the URL and the CA file, does not connect yet.
    pub fn new(cfg: &UcmConfig) -> Result<UcmClient, UcmError> {
        let url = cfg.checked_url()?;
        if cfg.user.trim().is_empty() {
            return Err(UcmError::Config("no API user name".into()));
        }
        if cfg.password.is_empty() {
            return Err(UcmError::Config(format!("no API password (set {})", UcmConfig::PASSWORD_ENV)));
        }
        let tls = tls::client_config(cfg.ca_file.as_deref())?;
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .https_only(true)
            .connect_timeout(cfg.timeout)
            .timeout(cfg.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("Lampboard/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| UcmError::Config(format!("HTTP client: {e}")))?;
        Ok(UcmClient {
            http,
            url,
            user: cfg.user.trim().to_owned(),
            password: cfg.password.clone(),
            list_field: cfg.presence_list_field,
            cookie: None,
            logins: 0,
        })
    }

    /// How many logins this client has done (for tests and the log).
    pub fn login_count(&self) -> u32 {
        self.logins
    }

    /// True while a session cookie is held.
    pub fn is_logged_in(&self) -> bool {
        self.cookie.is_some()
    }

    /// Logs in: `challenge`, then `login` with `md5(challenge + password)`; keeps the cookie.
    pub async fn login(&mut self) -> Result<(), UcmError> {
        self.cookie = None;
        self.logins += 1;
        let challenge = match self.post(Action::Challenge, &protocol::challenge_request(&self.user)).await? {
            Ok(a) => protocol::challenge_of(&a)?.to_owned(),
            Err(r) => return Err(login_refusal(r, Action::Challenge)),
        };
        let token = protocol::login_token(&challenge, &self.password);
        let answer = match self.post(Action::Login, &protocol::login_request(&self.user, &token)).await? {
            Ok(a) => a,
            Err(r) => return Err(login_refusal(r, Action::Login)),
        };
        self.cookie = Some(protocol::cookie_of(&answer)?.to_owned());
        tracing::debug!(user = %self.user, "logged in to the UCM API");
        Ok(())
    }

    /// Reads the presence and forwarding settings of `extension` (`getSIPAccount`).
    pub async fn get_account(&mut self, extension: &str) -> Result<UcmAccountSettings, UcmError> {
        protocol::check_extension(extension)?;
        let (answer, _) =
            self.call(Action::GetSipAccount, |cookie| protocol::get_account_request(cookie, extension)).await?;
        UcmAccountSettings::from_get_response(&answer.response)
    }

    /// Writes `settings` to `extension` (`updateSIPAccount`), then `applyChanges` when the UCM
    /// answers `need_apply: "yes"`.
    pub async fn update_account(
        &mut self,
        extension: &str,
        settings: &UcmAccountSettings,
    ) -> Result<UpdateOutcome, UcmError> {
        protocol::check_extension(extension)?;
        let fields = settings.to_update_fields(self.list_field)?;
        let (answer, relogged_in) = self
            .call(Action::UpdateSipAccount, |cookie| protocol::update_account_request(cookie, extension, &fields))
            .await?;
        let mut applied_changes = false;
        if protocol::needs_apply(&answer) {
            let (_, again) = self.call(Action::ApplyChanges, protocol::apply_changes_request).await?;
            applied_changes = true;
            tracing::debug!(extension, relogged_in = again, "UCM applyChanges done");
        }
        Ok(UpdateOutcome { applied_changes, relogged_in })
    }

    /// Sets the own status of `extension`: `presence_status` (+ `presence_def_script` for the
    /// custom status, + `dnd` coupled as in the UCM GUI). `custom_text`, when given, replaces
    /// the text of [`UserStatus::Custom`]; other statuses ignore it.
    pub async fn set_presence(
        &mut self,
        extension: &str,
        status: &UserStatus,
        custom_text: Option<&str>,
    ) -> Result<UpdateOutcome, UcmError> {
        let status = match (status, custom_text) {
            (UserStatus::Custom(_), Some(t)) => UserStatus::Custom(t.to_owned()),
            (s, _) => s.clone(),
        };
        let settings = UcmAccountSettings::presence_only(&status)
            .ok_or_else(|| UcmError::InvalidSettings("\"unknown\" is not a status that can be set".into()))?;
        self.update_account(extension, &settings).await
    }

    /// Sends a request that needs the session: logs in first if needed, and once more if the
    /// UCM refuses the cookie. Returns the answer and whether a re-login happened.
    async fn call(&mut self, action: Action, build: impl Fn(&str) -> Value) -> Result<(Answer, bool), UcmError> {
        let mut relogged_in = false;
        if self.cookie.is_none() {
            self.login().await?;
        }
        // At most two attempts: the second only after a fresh login for a refused cookie.
        for attempt in 0..2 {
            let body = match &self.cookie {
                Some(cookie) => build(cookie),
                None => return Err(UcmError::CookieRejected),
            };
            match self.post(action, &body).await? {
                Ok(answer) => return Ok((answer, relogged_in)),
                Err(Refusal::Cookie) if attempt == 0 => {
                    tracing::info!(action = action.as_str(), "UCM session expired; logging in again");
                    self.login().await?;
                    relogged_in = true;
                }
                Err(r) => {
                    if r == Refusal::Cookie {
                        self.cookie = None;
                    }
                    return Err(r.into_error(action));
                }
            }
        }
        Err(UcmError::CookieRejected)
    }

    /// One POST: checks the HTTP status, reads at most [`MAX_RESPONSE_LEN`] bytes, reads the
    /// envelope.
    async fn post(&self, action: Action, body: &Value) -> Result<Result<Answer, Refusal>, UcmError> {
        // The body holds the token or the cookie: never logged.
        tracing::debug!(action = action.as_str(), url = %self.url, "UCM API request");
        let bytes = serde_json::to_vec(body).map_err(|e| UcmError::Config(format!("request: {e}")))?;
        let mut resp = self
            .http
            .post(self.url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json;charset=UTF-8")
            .body(bytes)
            .send()
            .await
            .map_err(transport_error)?;
        if resp.status() != reqwest::StatusCode::OK {
            return Err(UcmError::Http(resp.status().as_u16()));
        }
        if resp.content_length().is_some_and(|n| n > MAX_RESPONSE_LEN as u64) {
            return Err(UcmError::BadResponse(format!("answer larger than {MAX_RESPONSE_LEN} bytes")));
        }
        let mut buf = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(transport_error)? {
            if buf.len() + chunk.len() > MAX_RESPONSE_LEN {
                return Err(UcmError::BadResponse(format!("answer larger than {MAX_RESPONSE_LEN} bytes")));
            }
            buf.extend_from_slice(&chunk);
        }
        let answer = protocol::parse_answer(&buf)?;
        if let Err(r) = &answer {
            tracing::debug!(action = action.as_str(), refusal = ?r, "UCM API refusal");
        }
        Ok(answer)
    }
}

/// A refusal of `challenge`/`login`: a cookie error there makes no sense, so it is a refused login.
fn login_refusal(r: Refusal, action: Action) -> UcmError {
    match r {
        Refusal::Cookie => UcmError::LoginRefused { code: super::error::status::NEED_AUTHENTICATION },
        r => r.into_error(action),
    }
}

fn transport_error(e: reqwest::Error) -> UcmError {
    if let Some(why) = tls::certificate_problem(&e) {
        return UcmError::Certificate(why);
    }
    if e.is_timeout() {
        return UcmError::Timeout;
    }
    // reqwest's Display names the URL only (no body, no headers); add the innermost cause.
    let mut why = e.to_string();
    let mut src = std::error::Error::source(&e);
    let mut depth = 0;
    while let Some(s) = src {
        if depth > 8 {
            break;
        }
        why = format!("{why}: {s}");
        src = s.source();
        depth += 1;
    }
    if why.contains("certificate") {
        return UcmError::Certificate(why);
    }
    UcmError::Connect(why)
}
