//! Redirect URI rules: exact matching at request time (RFC 9700 §4.1.3) and what may be
//! registered in the first place (RFC 9700 §2.6, RFC 6749 §3.1.2, RFC 8252 §7).

use portcullis_store::{ApplicationType, Client};
use url::{Host, Url};

/// Whether `uri` may receive responses for `client`: an exact, byte-for-byte match with a
/// registered URI; for native apps a loopback IP redirect may differ only in its port
/// (RFC 8252 §7.3); for `web_message`, an exact allowed web origin also qualifies (spa-js
/// defaults its silent-authentication `redirect_uri` to `window.location.origin`).
pub fn is_registered(client: &Client, uri: &str, web_message: bool) -> bool {
    if client.redirect_uris.iter().any(|r| r == uri) {
        return true;
    }
    if web_message && client.web_origins.iter().any(|o| o == uri) {
        return true;
    }
    client.app_type == ApplicationType::Native
        && client
            .redirect_uris
            .iter()
            .any(|registered| same_but_loopback_port(registered, uri))
}

fn same_but_loopback_port(registered: &str, requested: &str) -> bool {
    let (Ok(mut a), Ok(mut b)) = (Url::parse(registered), Url::parse(requested)) else {
        return false;
    };
    let loopback_ip = |u: &Url| match u.host() {
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        _ => false,
    };
    if a.scheme() != "http" || !loopback_ip(&a) || !loopback_ip(&b) {
        return false;
    }
    if a.set_port(None).is_err() || b.set_port(None).is_err() {
        return false;
    }
    a.as_str() == b.as_str() && requested.starts_with("http://")
}

/// Why a URI cannot be registered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistrationError {
    #[error("{0:?} is not an absolute URL")]
    NotAbsolute(String),
    #[error("{0:?} has a fragment; redirect URIs must not (RFC 6749 section 3.1.2)")]
    Fragment(String),
    #[error("{0:?} uses http on a host that is not loopback; use https (RFC 9700 section 2.6)")]
    InsecureHttp(String),
    #[error("{0:?} is not an origin (scheme://host[:port], no path)")]
    NotAnOrigin(String),
    #[error("{0:?} uses a scheme that is not allowed for this application type")]
    Scheme(String),
}

/// Checks a callback or logout URL before it is registered: absolute, no fragment, https unless
/// the host is loopback (`localhost`, 127.0.0.0/8, `[::1]`); native apps may also use a private
/// scheme such as `com.example.app:/callback` (RFC 8252 §7.1).
pub fn check_registrable(uri: &str, app_type: ApplicationType) -> Result<(), RegistrationError> {
    let url = Url::parse(uri).map_err(|_| RegistrationError::NotAbsolute(uri.to_owned()))?;
    if url.fragment().is_some() || uri.contains('#') {
        return Err(RegistrationError::Fragment(uri.to_owned()));
    }
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback_host(&url) => Ok(()),
        "http" => Err(RegistrationError::InsecureHttp(uri.to_owned())),
        scheme if app_type == ApplicationType::Native && scheme.contains('.') => Ok(()),
        _ => Err(RegistrationError::Scheme(uri.to_owned())),
    }
}

/// Checks an allowed web origin: `scheme://host[:port]` exactly, https unless loopback.
pub fn check_web_origin(origin: &str) -> Result<(), RegistrationError> {
    let url = Url::parse(origin).map_err(|_| RegistrationError::NotAbsolute(origin.to_owned()))?;
    if url.origin().ascii_serialization() != origin {
        return Err(RegistrationError::NotAnOrigin(origin.to_owned()));
    }
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback_host(&url) => Ok(()),
        _ => Err(RegistrationError::InsecureHttp(origin.to_owned())),
    }
}

fn is_loopback_host(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(d)) => d == "localhost" || d.ends_with(".localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use portcullis_store::{GrantType, TokenEndpointAuthMethod};

    fn client(app_type: ApplicationType, uris: &[&str]) -> Client {
        Client {
            client_id: "c".into(),
            name: "c".into(),
            app_type,
            secret_hash: None,
            token_endpoint_auth_method: TokenEndpointAuthMethod::None,
            redirect_uris: uris.iter().map(|s| s.to_string()).collect(),
            post_logout_redirect_uris: vec![],
            web_origins: vec!["http://localhost:3000".into()],
            grant_types: vec![GrantType::AuthorizationCode],
            backchannel_logout_uri: None,
            first_party: true,
            created_at: 0,
            updated_at: 0,
        }
    }

    #[test]
    fn matching_is_exact_rfc9700_4_1_3() {
        let c = client(
            ApplicationType::RegularWeb,
            &["https://app.example.com/callback"],
        );
        assert!(is_registered(&c, "https://app.example.com/callback", false));
        for bad in [
            "https://app.example.com/callback?x=1",
            "https://app.example.com/callback/",
            "https://app.example.com/Callback",
            "https://APP.example.com/callback",
            "https://app.example.com:444/callback",
            "https://app.example.com/callback#f",
            "http://app.example.com/callback",
        ] {
            assert!(!is_registered(&c, bad, false), "{bad}");
        }
    }

    #[test]
    fn native_loopback_may_change_port_only_rfc8252_7_3() {
        let c = client(ApplicationType::Native, &["http://127.0.0.1/cb"]);
        assert!(is_registered(&c, "http://127.0.0.1:53121/cb", false));
        assert!(!is_registered(&c, "http://127.0.0.1:53121/other", false));
        let web = client(ApplicationType::RegularWeb, &["http://127.0.0.1/cb"]);
        assert!(!is_registered(&web, "http://127.0.0.1:53121/cb", false));
    }

    #[test]
    fn web_origin_counts_only_for_web_message() {
        let c = client(ApplicationType::Spa, &["http://localhost:3000/callback"]);
        assert!(is_registered(&c, "http://localhost:3000", true));
        assert!(!is_registered(&c, "http://localhost:3000", false));
    }

    #[test]
    fn registration_refuses_fragments_and_plain_http() {
        let t = ApplicationType::RegularWeb;
        assert!(check_registrable("https://a.example/cb", t).is_ok());
        assert!(check_registrable("http://localhost:3000/cb", t).is_ok());
        assert!(check_registrable("http://a.example/cb", t).is_err());
        assert!(check_registrable("https://a.example/cb#x", t).is_err());
        assert!(check_registrable("/cb", t).is_err());
        assert!(check_registrable("com.example.app:/cb", t).is_err());
        assert!(check_registrable("com.example.app:/cb", ApplicationType::Native).is_ok());
        assert!(check_web_origin("http://localhost:3000").is_ok());
        assert!(check_web_origin("http://localhost:3000/").is_err());
        assert!(check_web_origin("http://evil.example").is_err());
    }
}
