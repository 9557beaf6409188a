//! What one event says, before it gets its id, time and request context.

use super::RequestContext;
use portcullis_store::{LogEvent, User};
use serde_json::{Map, Value};

/// An Auth0 log event type code (`s`, `fp`, `seccft`…). The constants are the codes
/// Portcullis records; a module with an event Auth0 names otherwise uses [`EventType::code`]
/// with Auth0's code (e.g. `gd_auth_succeed` for an MFA success).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EventType(&'static str);

impl EventType {
    /// Success Login.
    pub const SUCCESS_LOGIN: EventType = EventType("s");
    /// Failed Login (for a reason other than the password or the username: a blocked user…).
    pub const FAILED_LOGIN: EventType = EventType("f");
    /// Failed Login (Incorrect Password).
    pub const WRONG_PASSWORD: EventType = EventType("fp");
    /// Failed Login (Invalid Email/Username).
    pub const WRONG_USERNAME: EventType = EventType("fu");
    /// Success Signup.
    pub const SUCCESS_SIGNUP: EventType = EventType("ss");
    /// Failed Signup.
    pub const FAILED_SIGNUP: EventType = EventType("fs");
    /// Success Exchange: authorization code for access token.
    pub const SUCCESS_CODE_EXCHANGE: EventType = EventType("seacft");
    /// Failed Exchange: authorization code for access token.
    pub const FAILED_CODE_EXCHANGE: EventType = EventType("feacft");
    /// Success Exchange: client credentials for access token.
    pub const SUCCESS_CLIENT_CREDENTIALS: EventType = EventType("seccft");
    /// Failed Exchange: client credentials for access token.
    pub const FAILED_CLIENT_CREDENTIALS: EventType = EventType("feccft");
    /// Success Exchange: refresh token for access token.
    pub const SUCCESS_REFRESH: EventType = EventType("sertft");
    /// Failed Exchange: refresh token for access token.
    pub const FAILED_REFRESH: EventType = EventType("fertft");
    /// Success Logout.
    pub const SUCCESS_LOGOUT: EventType = EventType("slo");
    /// Failed Logout.
    pub const FAILED_LOGOUT: EventType = EventType("flo");
    /// Blocked Account: an IP address reached the limit of failed sign-ins into one account.
    pub const BLOCKED_ACCOUNT: EventType = EventType("limit_wc");
    /// Blocked IP Address: too many attempts (unknown applications, sign-ups, resets) from one
    /// address.
    pub const BLOCKED_IP: EventType = EventType("limit_mu");
    /// Success Change Password.
    pub const SUCCESS_CHANGE_PASSWORD: EventType = EventType("scp");
    /// Failed Change Password.
    pub const FAILED_CHANGE_PASSWORD: EventType = EventType("fcp");
    /// Success Change Password Request (a reset mail sent).
    pub const SUCCESS_CHANGE_PASSWORD_REQUEST: EventType = EventType("scpr");
    /// Failed Change Password Request.
    pub const FAILED_CHANGE_PASSWORD_REQUEST: EventType = EventType("fcpr");
    /// Success Verification Email (an address confirmed).
    pub const SUCCESS_VERIFICATION: EventType = EventType("sv");
    /// Failed Verification Email.
    pub const FAILED_VERIFICATION: EventType = EventType("fv");
    /// Success Verification Email Request (a verification mail sent).
    pub const SUCCESS_VERIFICATION_REQUEST: EventType = EventType("svr");
    /// Success Revocation: a refresh token revoked (RFC 7009).
    pub const SUCCESS_REVOCATION: EventType = EventType("srrt");
    /// Deleted User.
    pub const DELETED_USER: EventType = EventType("du");
    /// Success API Operation (Management API).
    pub const SUCCESS_API_OPERATION: EventType = EventType("sapi");
    /// Failed API Operation (Management API).
    pub const FAILED_API_OPERATION: EventType = EventType("fapi");

    /// Another Auth0 event type code.
    pub const fn code(code: &'static str) -> EventType {
        EventType(code)
    }

    /// The code, as stored and shown.
    pub fn as_str(self) -> &'static str {
        self.0
    }
}

/// Detail keys that name secrets: their values are replaced, whoever passes them.
const SECRET_KEYS: &[&str] = &[
    "password",
    "secret",
    "token",
    "access_token",
    "refresh_token",
    "id_token",
    "code",
    "code_verifier",
    "cookie",
    "authorization",
    "otp",
];

/// Longest description and field kept, in characters.
const MAX_TEXT: usize = 512;

/// One security event, built by the caller and completed by [`super::record`].
#[derive(Debug, Clone)]
#[must_use = "pass the event to audit::record"]
pub struct Event {
    event_type: EventType,
    description: Option<String>,
    client_id: Option<String>,
    user_id: Option<String>,
    user_name: Option<String>,
    details: Map<String, Value>,
}

impl Event {
    pub fn new(event_type: EventType) -> Self {
        Event {
            event_type,
            description: None,
            client_id: None,
            user_id: None,
            user_name: None,
            details: Map::new(),
        }
    }

    /// A readable sentence (Auth0's `description`): what happened or why it failed.
    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.description = Some(text.into());
        self
    }

    /// The application (its name is filled in when the event is written).
    pub fn client_id(mut self, client_id: impl Into<String>) -> Self {
        self.client_id = Some(client_id.into());
        self
    }

    /// The user: `user_id` and, as `user_name`, the email.
    pub fn user(mut self, user: &User) -> Self {
        self.user_id = Some(user.user_id.clone());
        self.user_name = Some(user.email.clone());
        self
    }

    /// The user by id only.
    pub fn user_id(mut self, user_id: impl Into<String>) -> Self {
        self.user_id = Some(user_id.into());
        self
    }

    /// The name the user typed (an email that may not exist, for `fu`).
    pub fn user_name(mut self, user_name: impl Into<String>) -> Self {
        self.user_name = Some(user_name.into());
        self
    }

    /// One entry of `details`. Keys naming secrets get `"[redacted]"` instead of their value.
    pub fn detail(mut self, key: &str, value: impl Into<Value>) -> Self {
        let value = if is_secret_key(key) {
            Value::from("[redacted]")
        } else {
            value.into()
        };
        self.details.insert(key.to_owned(), value);
        self
    }

    pub fn event_type(&self) -> EventType {
        self.event_type
    }

    pub(super) fn into_log_event(
        self,
        log_id: String,
        date_ms: i64,
        context: RequestContext,
    ) -> LogEvent {
        LogEvent {
            log_id,
            date_ms,
            event_type: self.event_type.as_str().to_owned(),
            description: self.description.map(clean),
            client_id: self.client_id.or(context.client_id).map(clean),
            client_name: None,
            user_id: self.user_id.map(clean),
            user_name: self.user_name.map(clean),
            ip: context.ip.map(clean),
            user_agent: context.user_agent.map(clean),
            details: (!self.details.is_empty()).then(|| Value::Object(self.details).to_string()),
        }
    }
}

fn is_secret_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    SECRET_KEYS.contains(&key.as_str()) || key.contains("password") || key.contains("secret")
}

/// Without NUL and other control characters (no backend can be fed a NUL, no terminal a
/// control sequence), and at most [`MAX_TEXT`] characters. (Details are JSON text: its escapes
/// already keep control characters out.)
fn clean(text: String) -> String {
    if text.chars().all(|c| !c.is_control()) && text.len() <= MAX_TEXT {
        return text;
    }
    text.chars()
        .filter(|c| !c.is_control())
        .take(MAX_TEXT)
        .collect()
}
