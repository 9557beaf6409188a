//! Hosted pages: askama templates (auto-escaped) served with a strict Content-Security-Policy,
//! no framing, no referrer, and no caching.

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use portcullis_core::crypto::random_token;

/// Renders a page with the default security headers.
pub fn render(status: StatusCode, page: &impl Template) -> Response {
    render_with(status, page, "'none'", None)
}

/// Renders with the given `frame-ancestors` and an optional script nonce.
pub fn render_with(
    status: StatusCode,
    page: &impl Template,
    frame_ancestors: &str,
    script_nonce: Option<&str>,
) -> Response {
    let body = match page.render() {
        Ok(body) => body,
        Err(e) => {
            tracing::error!(error = %e, "template rendering failed");
            return (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response();
        }
    };
    let script = script_nonce.map_or_else(|| "'none'".to_owned(), |n| format!("'nonce-{n}'"));
    let logo = crate::ui::brand()
        .logo_url
        .as_deref()
        .and_then(|u| url::Url::parse(u).ok())
        .map(|u| format!(" {}", u.origin().ascii_serialization()))
        .unwrap_or_default();
    let csp = format!(
        "default-src 'none'; style-src 'self'; img-src 'self' data:{logo}; script-src {script}; \
         frame-ancestors {frame_ancestors}; base-uri 'none'"
    );
    let mut response = (status, Html(body)).into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_LANGUAGE,
        HeaderValue::from_static(crate::ui::lang().code()),
    );
    if let Ok(v) = HeaderValue::from_str(&csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    if frame_ancestors == "'none'" {
        h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// A fresh nonce for an inline script.
pub fn nonce() -> String {
    random_token(16)
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage<'a> {
    pub title: &'a str,
    pub code: &'a str,
    pub description: &'a str,
    /// For the script that shows the "Go back" button (only when there is history to go to).
    pub nonce: &'a str,
}

pub fn error_page(status: StatusCode, code: &str, description: &str) -> Response {
    let title = match status {
        StatusCode::TOO_MANY_REQUESTS => "error.slow_down",
        StatusCode::NOT_FOUND => "error.not_found",
        s if s.is_server_error() => "error.server",
        _ => "error.generic",
    };
    let title = crate::ui::t(title);
    let nonce = nonce();
    let response = render_with(
        status,
        &ErrorPage {
            title,
            code,
            description,
            nonce: &nonce,
        },
        "'none'",
        Some(&nonce),
    );
    if status == StatusCode::NOT_FOUND {
        return response;
    }
    let error = if code == "invalid_request" {
        "invalid_request"
    } else {
        "access_denied"
    };
    crate::rejections::Rejection::new(error, description).attach(response)
}

#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage<'a> {
    pub app_name: &'a str,
    pub state: &'a str,
    pub csrf: &'a str,
    pub email: &'a str,
    pub error: Option<&'a str>,
    /// Whether to offer the sign-up page.
    pub signup: bool,
    /// The upstream connections enabled for the application: (name, button label).
    pub connections: &'a [(String, String)],
    /// "Sign in with a passkey" and passkey autofill, when passkeys are available.
    pub passkey: Option<&'a PasskeyCeremony>,
    /// A passkey just refused as not registered here (base64url credential id).
    pub unknown_credential: Option<&'a str>,
    /// For the passkey script.
    pub nonce: &'a str,
}

/// A WebAuthn ceremony a page starts in the browser (`/assets/passkeys.js`).
pub struct PasskeyCeremony {
    /// The id of the server-side state, posted back.
    pub id: String,
    /// The options for `navigator.credentials.create()` / `.get()`, as JSON.
    pub options: String,
}

impl PasskeyCeremony {
    pub fn new(challenge: portcullis_core::mfa::passkey::Challenge) -> Self {
        PasskeyCeremony {
            id: challenge.id,
            options: challenge.options.to_string(),
        }
    }
}

#[derive(Template)]
#[template(path = "form_post.html")]
pub struct FormPostPage<'a> {
    pub action: &'a str,
    pub params: &'a [(String, String)],
    pub nonce: &'a str,
}

#[derive(Template)]
#[template(path = "web_message.html")]
pub struct WebMessagePage<'a> {
    /// JSON, already made safe for a `<script>` element.
    pub message_json: &'a str,
    pub target_origin_json: &'a str,
    pub nonce: &'a str,
}

#[derive(Template)]
#[template(path = "signed_out.html")]
pub struct SignedOutPage;

#[derive(Template)]
#[template(path = "logout_confirm.html")]
pub struct LogoutConfirmPage<'a> {
    pub app_name: Option<&'a str>,
    /// Where "Stay signed in" leads: back to the application (its registered logout URL), or
    /// our start page when the request named none.
    pub back: &'a str,
    pub plan: &'a str,
    pub csrf: &'a str,
}

#[derive(Template)]
#[template(path = "home.html")]
pub struct HomePage<'a> {
    pub issuer: &'a str,
    pub user: Option<&'a str>,
}

/// JSON that is safe inside `<script>`: `<`, `>`, `&` and the JS line separators escaped.
pub fn script_json(value: &serde_json::Value) -> String {
    value
        .to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

#[derive(Template)]
#[template(path = "signup.html")]
pub struct SignupPage<'a> {
    pub app_name: &'a str,
    pub state: &'a str,
    pub csrf: &'a str,
    pub email: &'a str,
    pub name: &'a str,
    pub error: Option<&'a str>,
    pub email_error: Option<&'a str>,
    pub name_error: Option<&'a str>,
    pub password_error: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "signup_check.html")]
pub struct SignupCheckPage<'a> {
    pub email: &'a str,
    pub state: &'a str,
    pub csrf: &'a str,
    pub error: Option<&'a str>,
    /// Where to sign up again.
    pub back: &'a str,
}

#[derive(Template)]
#[template(path = "confirm_email.html")]
pub struct ConfirmEmailPage<'a> {
    pub token: &'a str,
    pub csrf: &'a str,
}

/// A page that only says something, with an optional link.
#[derive(Template)]
#[template(path = "message.html")]
pub struct MessagePage<'a> {
    pub title: &'a str,
    pub text: &'a str,
    pub link: Option<(&'a str, &'a str)>,
}

#[derive(Template)]
#[template(path = "reset_request.html")]
pub struct ResetRequestPage<'a> {
    pub state: &'a str,
    pub csrf: &'a str,
    pub email: &'a str,
    pub error: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "reset_password.html")]
pub struct ResetPasswordPage<'a> {
    pub token: &'a str,
    pub csrf: &'a str,
    pub email: &'a str,
    pub error: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "consent.html")]
pub struct ConsentPage<'a> {
    pub app_name: &'a str,
    pub email: &'a str,
    pub scopes: &'a [portcullis_core::consent::ScopeLine],
    pub state: &'a str,
    pub csrf: &'a str,
}

/// One session on the account page.
pub struct SessionLine {
    pub id: String,
    /// When it started, as UTC text.
    pub started: String,
    pub current: bool,
}

/// One approved application on the account page.
pub struct AppLine {
    pub client_id: String,
    pub name: String,
    pub scopes: String,
}

#[derive(Template)]
#[template(path = "account.html")]
pub struct AccountPage<'a> {
    pub email: &'a str,
    pub verified: bool,
    pub name: &'a str,
    pub csrf: &'a str,
    pub sessions: &'a [SessionLine],
    pub apps: &'a [AppLine],
    /// The upstream connections, linked or not.
    pub connections: &'a [ConnectionLine],
    pub notice: Option<&'a str>,
    pub error: Option<&'a str>,
    pub current_error: Option<&'a str>,
    pub new_error: Option<&'a str>,
    /// Second factors; `None` when the tenant's policy is `off` and nothing is enrolled.
    pub mfa: Option<&'a MfaSection>,
    /// Whether the user signs in with a password (else the page offers to add one).
    pub has_password: bool,
}

/// A connection on the account page.
pub struct ConnectionLine {
    pub name: String,
    pub label: String,
    /// The upstream account's email when linked.
    pub linked: Option<String>,
}

#[derive(Template)]
#[template(path = "verify_email.html")]
pub struct VerifyEmailPage<'a> {
    pub token: &'a str,
    pub csrf: &'a str,
}

/// The mailed link that finishes adding a password: one button, in the signed-in browser.
#[derive(Template)]
#[template(path = "add_password_confirm.html")]
pub struct AddPasswordConfirmPage<'a> {
    pub email: &'a str,
    pub token: &'a str,
    pub csrf: &'a str,
}

#[derive(Template)]
#[template(path = "unblock.html")]
pub struct UnblockPage<'a> {
    pub email: &'a str,
    pub token: &'a str,
    pub csrf: &'a str,
}

/// A Unix time as `2026-12-07 14:05 UTC` (civil-from-days, proleptic Gregorian).
pub fn utc(ts: i64) -> String {
    let days = ts.div_euclid(86_400);
    let secs = ts.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        secs / 3600,
        (secs % 3600) / 60
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn utc_formats_civil_dates() {
        assert_eq!(super::utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(super::utc(951_782_400), "2000-02-29 00:00 UTC");
        assert_eq!(super::utc(1_796_610_628), "2026-12-07 02:30 UTC");
    }
}

/// The passwordless page's first step: the email to send a code to.
#[derive(Template)]
#[template(path = "passwordless_email.html")]
pub struct PasswordlessEmailPage<'a> {
    pub app_name: &'a str,
    pub state: &'a str,
    pub csrf: &'a str,
    pub email: &'a str,
    pub error: Option<&'a str>,
}

/// The passwordless page's second step: the mailed code.
#[derive(Template)]
#[template(path = "passwordless_code.html")]
pub struct PasswordlessCodePage<'a> {
    pub email: &'a str,
    pub state: &'a str,
    pub csrf: &'a str,
    pub error: Option<&'a str>,
    /// Where to ask for a new code.
    pub back: &'a str,
}

/// A mailed magic link: a page with a button (a GET must not use the token).
#[derive(Template)]
#[template(path = "passwordless_link.html")]
pub struct PasswordlessLinkPage<'a> {
    pub token: &'a str,
    pub csrf: &'a str,
}

#[derive(Template)]
#[template(path = "mfa_challenge.html")]
pub struct MfaChallengePage<'a> {
    /// The sealed transaction, or empty on the account page.
    pub state: &'a str,
    pub csrf: &'a str,
    pub email: &'a str,
    /// Ask for a recovery code instead of an app code.
    pub recovery: bool,
    pub has_totp: bool,
    pub recovery_left: u32,
    pub error: Option<&'a str>,
    /// The user's passkeys can be used: the ceremony the page starts.
    pub passkey: Option<&'a PasskeyCeremony>,
    /// Whether the user has passkeys (the link back from the recovery-code form).
    pub has_passkeys: bool,
    pub nonce: &'a str,
}

/// Registration of a passkey (`/u/mfa/passkey`).
#[derive(Template)]
#[template(path = "mfa_passkey.html")]
pub struct MfaPasskeyPage<'a> {
    pub state: &'a str,
    pub csrf: &'a str,
    pub ceremony: &'a PasskeyCeremony,
    pub name: &'a str,
    /// Whether enrolment is required to go on (inside a sign-in).
    pub required: bool,
    pub error: Option<&'a str>,
    pub nonce: &'a str,
}

#[derive(Template)]
#[template(path = "mfa_enroll.html")]
pub struct MfaEnrolPage<'a> {
    pub state: &'a str,
    pub csrf: &'a str,
    pub factor_id: &'a str,
    /// The QR code as a `data:image/svg+xml` URL.
    pub qr: &'a str,
    /// The base32 secret, in groups of four.
    pub secret: &'a str,
    pub uri: &'a str,
    /// Whether enrolment is required to go on (inside a sign-in).
    pub required: bool,
    pub error: Option<&'a str>,
    /// Whether a passkey can be registered instead.
    pub passkeys: bool,
}

#[derive(Template)]
#[template(path = "mfa_recovery_codes.html")]
pub struct RecoveryCodesPage<'a> {
    pub codes: &'a [String],
    pub continue_href: &'a str,
}

/// One second factor on the account page.
pub struct FactorLine {
    pub id: String,
    pub name: String,
    pub added: String,
    /// A passkey (named by the user), as opposed to the authenticator app.
    pub passkey: bool,
}

/// The account page's second-factor section.
pub struct MfaSection {
    pub factors: Vec<FactorLine>,
    pub has_totp: bool,
    pub recovery_left: u32,
    /// Whether passkeys can be added (the issuer is a domain).
    pub passkeys: bool,
}
