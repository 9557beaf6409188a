//! Client authentication at the token, revocation and introspection endpoints (RFC 6749 §2.3).

use crate::Provider;
use crate::error::{ErrorCode, OAuthError, OAuthResult};
use crate::params::Params;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use portcullis_store::{Client, TokenEndpointAuthMethod};

/// How the client presented itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    Basic,
    Post,
    None,
}

/// Parses `Authorization: Basic …` (RFC 6749 §2.3.1): the client id and secret are
/// form-urlencoded before base64, so each half is percent-decoded after splitting at the first
/// colon. `None` when the header is not Basic.
pub fn parse_basic(header: &str) -> Option<OAuthResult<(String, String)>> {
    let (scheme, rest) = header.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let malformed = || OAuthError::invalid_client("Malformed HTTP Basic credentials.");
    let decoded = match STANDARD.decode(rest.trim()) {
        Ok(d) => d,
        Err(_) => return Some(Err(malformed())),
    };
    let Ok(text) = String::from_utf8(decoded) else {
        return Some(Err(malformed()));
    };
    let Some((id, secret)) = text.split_once(':') else {
        return Some(Err(malformed()));
    };
    let decode = |s: &str| -> String {
        url::form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    Some(Ok((decode(id), decode(secret))))
}

/// Authenticates the client of a back-channel request. `authorization` is the raw
/// `Authorization` header, if any. Both secret methods are accepted for any confidential client
/// (they are equally strong, and Auth0's SDKs differ in which they use); public clients send only
/// `client_id` and never a secret. More than one method at once is `invalid_request`
/// (RFC 6749 §2.3). Repeated failures are throttled per client and caller address (RFC 6749
/// §2.3.1), so a stranger guessing cannot lock the real application out.
pub async fn authenticate(
    p: &Provider,
    authorization: Option<&str>,
    client_ip: &str,
    params: &Params,
) -> OAuthResult<(Client, AuthMethod)> {
    let basic = match authorization.and_then(parse_basic) {
        Some(Ok(pair)) => Some(pair),
        Some(Err(mut e)) => {
            e.basic_auth_failed = true;
            return Err(e);
        }
        None => None,
    };
    let post_secret = params.get("client_secret");
    let (client_id, secret, method) = match (basic, post_secret) {
        (Some(_), Some(_)) => {
            return Err(OAuthError::invalid_request(
                "Use only one client authentication method.",
            ));
        }
        (Some((id, secret)), None) => {
            if params.get("client_id").is_some_and(|body_id| body_id != id) {
                return Err(OAuthError::invalid_request(
                    "client_id in the body differs from the HTTP Basic credentials.",
                ));
            }
            (id, Some(secret), AuthMethod::Basic)
        }
        (None, Some(secret)) => (
            params.require("client_id")?.to_owned(),
            Some(secret.to_owned()),
            AuthMethod::Post,
        ),
        (None, None) => (
            params
                .get("client_id")
                .ok_or_else(|| OAuthError::invalid_client("Client authentication is required."))?
                .to_owned(),
            None,
            AuthMethod::None,
        ),
    };
    let fail = |description: &'static str| {
        let mut e = OAuthError::invalid_client(description);
        e.basic_auth_failed = method == AuthMethod::Basic;
        e
    };
    let throttle_key = format!("client_auth:{client_ip}:{client_id}");
    let now = p.now();
    let window = p.config.failed_login_window;
    if p.store.peek(&throttle_key, window, now).await? >= p.config.max_failed_client_auth {
        return Err(OAuthError::new(
            ErrorCode::TooManyAttempts,
            "Too many failed client authentications; try again later.",
        ));
    }
    let Some(client) = p.store.get_client(&client_id).await? else {
        p.store.hit(&throttle_key, window, now).await?;
        return Err(fail("Client authentication failed."));
    };
    match (
        &client.secret_hash,
        client.token_endpoint_auth_method,
        secret,
    ) {
        (Some(hash), registered, Some(secret)) if registered != TokenEndpointAuthMethod::None => {
            if p.hasher.verify(&secret, hash) {
                Ok((client, method))
            } else {
                p.store.hit(&throttle_key, window, now).await?;
                Err(fail("Client authentication failed."))
            }
        }
        (_, TokenEndpointAuthMethod::None, None) => Ok((client, AuthMethod::None)),
        (_, TokenEndpointAuthMethod::None, Some(_)) => Err(fail(
            "This application is public: it has no client secret to send.",
        )),
        _ => Err(fail("Client authentication failed.")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_percent_decoded_rfc6749_2_3_1() {
        let header = format!("Basic {}", STANDARD.encode("my%3Aclient:s%2Bcr%25t+x"));
        let (id, secret) = parse_basic(&header).unwrap().unwrap();
        assert_eq!(id, "my:client");
        assert_eq!(secret, "s+cr%t x");
    }

    #[test]
    fn non_basic_schemes_are_ignored_and_garbage_is_refused() {
        assert!(parse_basic("Bearer abc").is_none());
        assert!(parse_basic("Basic !!!").unwrap().is_err());
        assert!(
            parse_basic(&format!("Basic {}", STANDARD.encode("nocolon")))
                .unwrap()
                .is_err()
        );
    }
}
