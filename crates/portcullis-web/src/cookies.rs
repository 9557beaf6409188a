//! The provider's own cookies. Their names are Portcullis-specific so they never collide with
//! the SDKs' (`__session`, `appSession`, `auth0.*`…) when everything runs on `localhost`.

use axum::http::HeaderMap;
use axum::http::header::COOKIE;
use portcullis_core::Issuer;

/// The IdP session cookie.
pub fn session_name(issuer: &Issuer) -> &'static str {
    if issuer.is_https() {
        "__Host-portcullis_session"
    } else {
        "portcullis_session"
    }
}

/// The anti-CSRF cookie of the sign-in and logout forms.
pub fn csrf_name(issuer: &Issuer) -> &'static str {
    if issuer.is_https() {
        "__Host-portcullis_csrf"
    } else {
        "portcullis_csrf"
    }
}

/// The cross-origin authentication verifier (`/co/authenticate`): binds a login ticket to the
/// browser that asked for it.
pub fn co_verifier_name(issuer: &Issuer) -> &'static str {
    if issuer.is_https() {
        "__Host-portcullis_co"
    } else {
        "portcullis_co"
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
pub fn set(issuer: &Issuer, name: &str, value: &str, max_age: Option<i64>) -> String {
    let mut cookie = format!("{name}={value}; Path=/; HttpOnly");
    if issuer.is_https() {
        cookie.push_str("; Secure; SameSite=None");
    } else {
        cookie.push_str("; SameSite=Lax");
    }
    if let Some(age) = max_age {
        cookie.push_str(&format!("; Max-Age={age}"));
    }
    cookie
}

/// The anti-CSRF cookie: only our own forms need it, so it is `SameSite=Lax` (never sent with a
/// cross-site POST), `Secure` on https, for the browser session.
pub fn set_csrf(issuer: &Issuer, value: &str) -> String {
    let mut cookie = format!(
        "{}={value}; Path=/; HttpOnly; SameSite=Lax",
        csrf_name(issuer)
    );
    if issuer.is_https() {
        cookie.push_str("; Secure");
    }
    cookie
}

/// A `Set-Cookie` value that deletes the cookie.
pub fn clear(issuer: &Issuer, name: &str) -> String {
    set(issuer, name, "", Some(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_cookies_are_host_prefixed_secure_and_cross_site_only_for_the_session() {
        let https = Issuer::parse("https://id.example.com").unwrap();
        assert_eq!(session_name(&https), "__Host-portcullis_session");
        let session = set(&https, session_name(&https), "v", Some(60));
        assert_eq!(
            session,
            "__Host-portcullis_session=v; Path=/; HttpOnly; Secure; SameSite=None; Max-Age=60"
        );
        let csrf = set_csrf(&https, "t");
        assert_eq!(
            csrf,
            "__Host-portcullis_csrf=t; Path=/; HttpOnly; SameSite=Lax; Secure"
        );
        assert!(clear(&https, session_name(&https)).contains("Max-Age=0"));
    }

    #[test]
    fn plain_http_development_cookies_are_lax_and_not_secure() {
        let http = Issuer::parse("http://localhost:4000").unwrap();
        assert_eq!(session_name(&http), "portcullis_session");
        let session = set(&http, session_name(&http), "v", None);
        assert_eq!(
            session,
            "portcullis_session=v; Path=/; HttpOnly; SameSite=Lax"
        );
    }
}
