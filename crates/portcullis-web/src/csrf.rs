//! One CSRF defence for every hosted form (RFC 6749 §10.12, OWASP's double-submit pattern with
//! a keyed token): a random cookie per browser, a form token that is the keyed hash of that
//! cookie and of what the form acts on (a transaction, a plan, a link token), and a check that
//! the POST came from our own pages.

use crate::cookies;
use crate::html;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use portcullis_core::Provider;
use portcullis_core::crypto::random_token;

/// A form's anti-CSRF pair: the browser's cookie (new or existing) and the token for the form.
pub struct FormToken {
    pub token: String,
    /// `Some(cookie)` when the cookie is new and must be set on the response.
    new_cookie: Option<String>,
}

impl FormToken {
    /// The token for a form acting on `bound_to`, creating the browser's cookie if missing.
    pub fn issue(p: &Provider, headers: &HeaderMap, bound_to: &str) -> Self {
        let existing = cookies::get(headers, cookies::csrf_name(&p.config.issuer))
            .filter(|c| c.len() == 43)
            .map(str::to_owned);
        let (cookie, new_cookie) = match existing {
            Some(c) => (c, None),
            None => {
                let c = random_token(32);
                (c.clone(), Some(c))
            }
        };
        FormToken {
            token: token(p, &cookie, bound_to),
            new_cookie,
        }
    }

    /// Sets the cookie on the page's response when it is new.
    pub fn set_cookie_on(&self, p: &Provider, response: &mut Response) {
        if let Some(cookie) = &self.new_cookie {
            set_cookie(response, &cookies::set_csrf(&p.config.issuer, cookie));
        }
    }
}

fn token(p: &Provider, cookie: &str, bound_to: &str) -> String {
    p.hasher.hash(&format!("csrf:{cookie}:{bound_to}"))
}

/// A form POST that failed the check; answers 403 with a page that says what to do.
#[derive(Debug)]
pub struct Refused;

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        forbidden()
    }
}

/// Checks a form POST: from our own pages, with the browser's cookie and the token issued for
/// `bound_to`.
pub fn check(
    p: &Provider,
    headers: &HeaderMap,
    bound_to: &str,
    submitted: &str,
) -> Result<(), Refused> {
    if !same_origin(p, headers) {
        return Err(Refused);
    }
    let Some(cookie) = cookies::get(headers, cookies::csrf_name(&p.config.issuer)) else {
        return Err(Refused);
    };
    if !p
        .hasher
        .verify(&format!("csrf:{cookie}:{bound_to}"), submitted)
    {
        return Err(Refused);
    }
    Ok(())
}

/// `Sec-Fetch-Site`, when the browser sends it, must say the form came from our own pages; an
/// `Origin` must be ours. `Origin: null` is let through: our pages are served with
/// `Referrer-Policy: no-referrer`, under which browsers send `null` even for same-origin POSTs
/// (Fetch, "serializing a request origin"). The cookie-bound token is checked in every case.
fn same_origin(p: &Provider, headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok())
        && !matches!(site, "same-origin" | "none")
    {
        return false;
    }
    match headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        Some("null") | None => true,
        Some(origin) => origin == p.config.issuer.origin(),
    }
}

/// Appends a `Set-Cookie` header.
pub fn set_cookie(r: &mut Response, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
}

fn forbidden() -> Response {
    html::error_page(
        StatusCode::FORBIDDEN,
        "invalid_request",
        "This form was submitted from another site or its security token is missing. Go back to the application and sign in again.",
    )
}
