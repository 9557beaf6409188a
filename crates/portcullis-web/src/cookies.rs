//! The provider's own cookies. Their names are Portcullis-specific so they never collide with
//! the SDKs' (`__session`, `appSession`, `auth0.*`…) when everything runs on `localhost`.

use axum::http::HeaderMap;
use axum::http::header::COOKIE;
use portcullis_core::Provider;

/// The IdP session cookie.
pub fn session_name(p: &Provider) -> &'static str {
    if p.config.issuer.is_https() {
        "__Host-portcullis_session"
    } else {
        "portcullis_session"
    }
}

/// The anti-CSRF cookie of the sign-in and logout forms.
pub fn csrf_name(p: &Provider) -> &'static str {
    if p.config.issuer.is_https() {
        "__Host-portcullis_csrf"
    } else {
        "portcullis_csrf"
    }
}

/// The value of cookie `name`, if sent (first one wins).
pub fn get<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim_matches('"'))
}

/// A `Set-Cookie` value. The session cookie must reach the silent-authentication iframe, which
/// is a third-party context when the application is on another site: on https it is
/// `SameSite=None; Secure`; on plain-http development hosts (where `None` is refused without
/// `Secure`) it is `Lax`, which still works because `localhost` ports are one site.
pub fn set(p: &Provider, name: &str, value: &str, max_age: Option<i64>) -> String {
    let mut cookie = format!("{name}={value}; Path=/; HttpOnly");
    if p.config.issuer.is_https() {
        cookie.push_str("; Secure; SameSite=None");
    } else {
        cookie.push_str("; SameSite=Lax");
    }
    if let Some(age) = max_age {
        cookie.push_str(&format!("; Max-Age={age}"));
    }
    cookie
}

/// A `Set-Cookie` value that deletes the cookie.
pub fn clear(p: &Provider, name: &str) -> String {
    set(p, name, "", Some(0))
}
