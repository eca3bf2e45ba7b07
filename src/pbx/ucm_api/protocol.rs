//! The UCM HTTPS API exchange, sans-IO: request bodies, the login token, and the reading of
//! answers (PRESENCE.md §2).
//!
//! Every request is one `POST …/api` whose body is `{"request": {"action": …, …}}`; every answer
//! is `{"response": {…}, "status": N}` where `0` is success. The login is
//! `challenge` → `login` with `token = md5(challenge + password)` → `response.cookie`, which later
//! requests carry as `cookie`.

use super::error::{UcmError, status};
use md5::{Digest, Md5};
use serde_json::{Map, Value, json};

/// The API version the `challenge` request names.
pub const API_VERSION: &str = "1.0";

/// Largest answer body read from the UCM, in bytes (1 MiB).
pub const MAX_RESPONSE_LEN: usize = 1024 * 1024;

/// The API actions Lampboard uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// `challenge`: first step of the login.
    Challenge,
    /// `login`: second step, answers the cookie.
    Login,
    /// `getSIPAccount`: read one extension's settings.
    GetSipAccount,
    /// `updateSIPAccount`: change one extension's settings.
    UpdateSipAccount,
    /// `applyChanges`: make stored changes live.
    ApplyChanges,
}

impl Action {
    /// The action's name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Challenge => "challenge",
            Action::Login => "login",
            Action::GetSipAccount => "getSIPAccount",
            Action::UpdateSipAccount => "updateSIPAccount",
            Action::ApplyChanges => "applyChanges",
        }
    }
}

/// The login token: lower-case hex of `md5(challenge + password)`.
pub fn login_token(challenge: &str, password: &str) -> String {
    let mut h = Md5::new();
    h.update(challenge.as_bytes());
    h.update(password.as_bytes());
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

fn envelope(action: Action, fields: Map<String, Value>) -> Value {
    let mut req = Map::new();
    req.insert("action".into(), action.as_str().into());
    req.extend(fields);
    json!({ "request": Value::Object(req) })
}

/// `{"request":{"action":"challenge","user":U,"version":"1.0"}}`.
pub fn challenge_request(user: &str) -> Value {
    json!({"request": {"action": "challenge", "user": user, "version": API_VERSION}})
}

/// `{"request":{"action":"login","user":U,"token":T}}`.
pub fn login_request(user: &str, token: &str) -> Value {
    json!({"request": {"action": "login", "user": user, "token": token}})
}

/// `{"request":{"action":"getSIPAccount","cookie":C,"extension":E}}`.
pub fn get_account_request(cookie: &str, extension: &str) -> Value {
    json!({"request": {"action": "getSIPAccount", "cookie": cookie, "extension": extension}})
}

/// `{"request":{"action":"updateSIPAccount","cookie":C,"extension":E, …fields}}`; `fields`
/// come from `UcmAccountSettings::to_update_fields`.
pub fn update_account_request(cookie: &str, extension: &str, fields: &Map<String, Value>) -> Value {
    let mut m = Map::new();
    m.insert("cookie".into(), cookie.into());
    m.insert("extension".into(), extension.into());
    for (k, v) in fields {
        m.insert(k.clone(), v.clone());
    }
    envelope(Action::UpdateSipAccount, m)
}

/// `{"request":{"action":"applyChanges","cookie":C}}`.
pub fn apply_changes_request(cookie: &str) -> Value {
    json!({"request": {"action": "applyChanges", "cookie": cookie}})
}

/// Checks an extension number before it goes into a request: 1–18 characters, digits (the
/// UCM's extensions), nothing else.
pub fn check_extension(extension: &str) -> Result<(), UcmError> {
    if extension.is_empty() || extension.len() > 18 || !extension.bytes().all(|b| b.is_ascii_digit()) {
        return Err(UcmError::Config(format!("extension {extension:?} is not 1–18 digits")));
    }
    Ok(())
}

/// What a successful answer said.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// The `response` object (empty when the UCM sent none).
    pub response: Value,
}

/// Why the UCM refused a request, before it is turned into a [`UcmError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// `-6` (or `-5`): log in again and retry once.
    Cookie,
    /// Any other non-zero `status`.
    Status(i64),
}

impl Refusal {
    /// The error for `action` refused this way (a cookie refusal here means it was the second).
    pub fn into_error(self, action: Action) -> UcmError {
        match (self, action) {
            (Refusal::Cookie, _) => UcmError::CookieRejected,
            (Refusal::Status(status::WRONG_PASSWORD), _) => UcmError::WrongPassword,
            (Refusal::Status(code @ (status::LOGIN_RESTRICTED | status::LOGIN_FORBIDDEN)), _) => {
                UcmError::LoginRefused { code }
            }
            (Refusal::Status(status::NO_PERMISSION), a) => UcmError::PermissionDenied { action: a.as_str().into() },
            (Refusal::Status(code), Action::Login | Action::Challenge) if code != status::INVALID_PARAMETERS => {
                UcmError::LoginRefused { code }
            }
            (Refusal::Status(code), a) => UcmError::Api { action: a.as_str().into(), code },
        }
    }
}

/// Reads an answer body: `Ok(Ok(answer))` for `status: 0`, `Ok(Err(refusal))` for a UCM refusal,
/// `Err` when the body is not the UCM's envelope. `status` may be a number or a string of one.
pub fn parse_answer(body: &[u8]) -> Result<Result<Answer, Refusal>, UcmError> {
    if body.len() > MAX_RESPONSE_LEN {
        return Err(UcmError::BadResponse(format!("answer larger than {MAX_RESPONSE_LEN} bytes")));
    }
    let v: Value = serde_json::from_slice(body).map_err(|e| UcmError::BadResponse(format!("not JSON: {e}")))?;
    let obj = v.as_object().ok_or_else(|| UcmError::BadResponse("answer is not a JSON object".into()))?;
    let code = match obj.get("status") {
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    }
    .ok_or_else(|| UcmError::BadResponse("answer without a numeric status".into()))?;
    match code {
        status::OK => {
            let response = match obj.get("response") {
                None | Some(Value::Null) => Value::Object(Map::new()),
                Some(r @ Value::Object(_)) => r.clone(),
                Some(_) => return Err(UcmError::BadResponse("response is not an object".into())),
            };
            Ok(Ok(Answer { response }))
        }
        status::COOKIE_ERROR | status::NEED_AUTHENTICATION => Ok(Err(Refusal::Cookie)),
        other => Ok(Err(Refusal::Status(other))),
    }
}

fn response_text<'a>(answer: &'a Answer, field: &str) -> Result<&'a str, UcmError> {
    match answer.response.get(field) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s),
        _ => Err(UcmError::BadResponse(format!("answer without response.{field}"))),
    }
}

/// The challenge of a `challenge` answer.
pub fn challenge_of(answer: &Answer) -> Result<&str, UcmError> {
    response_text(answer, "challenge")
}

/// The session cookie of a `login` answer.
pub fn cookie_of(answer: &Answer) -> Result<&str, UcmError> {
    response_text(answer, "cookie")
}

/// True when an `updateSIPAccount` answer asks for `applyChanges` (`need_apply: "yes"`).
pub fn needs_apply(answer: &Answer) -> bool {
    match answer.response.get("need_apply") {
        Some(Value::String(s)) => s.eq_ignore_ascii_case("yes"),
        Some(Value::Bool(b)) => *b,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_is_md5_of_challenge_then_password() {
        // md5("abc") is the RFC 1321 test vector.
        assert_eq!(login_token("a", "bc"), "900150983cd24fb0d6963f7d28e17f72");
        assert_eq!(login_token("", ""), "d41d8cd98f00b204e9800998ecf8427e");
    }

    #[test]
    fn answers_and_refusals() {
        let a = parse_answer(br#"{"response":{"challenge":"0000001652"},"status":0}"#).unwrap().unwrap();
        assert_eq!(challenge_of(&a).unwrap(), "0000001652");
        assert!(cookie_of(&a).is_err());
        assert_eq!(parse_answer(br#"{"status":-6}"#).unwrap(), Err(Refusal::Cookie));
        assert_eq!(parse_answer(br#"{"status":"-37","response":{}}"#).unwrap(), Err(Refusal::Status(-37)));
        assert!(parse_answer(b"<html>").is_err());
        assert!(parse_answer(br#"{"response":{}}"#).is_err());
        let a = parse_answer(br#"{"response":{"need_apply":"yes"},"status":0}"#).unwrap().unwrap();
        assert!(needs_apply(&a));
        let a = parse_answer(br#"{"status":0}"#).unwrap().unwrap();
        assert!(!needs_apply(&a));
    }

    #[test]
    fn refusals_become_clear_errors() {
        assert_eq!(Refusal::Status(-37).into_error(Action::Login), UcmError::WrongPassword);
        assert_eq!(
            Refusal::Status(-47).into_error(Action::UpdateSipAccount),
            UcmError::PermissionDenied { action: "updateSIPAccount".into() }
        );
        let e = Refusal::Status(-15).into_error(Action::UpdateSipAccount);
        assert!(e.to_string().contains("invalid value"), "{e}");
        assert!(Refusal::Status(-999).into_error(Action::GetSipAccount).to_string().contains("-999"));
        assert_eq!(Refusal::Cookie.into_error(Action::GetSipAccount), UcmError::CookieRejected);
    }

    #[test]
    fn extension_numbers_are_checked() {
        assert!(check_extension("1001").is_ok());
        assert!(check_extension("").is_err());
        assert!(check_extension("10\"01").is_err());
    }
}
