//! Client authentication at the token, revocation and introspection endpoints (RFC 6749 §2.3).

use crate::Provider;
use crate::error::{OAuthError, OAuthResult};
use crate::params::Params;
use crate::throttle::Throttle;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use portcullis_store::{Client, TokenEndpointAuthMethod};

/// The private detail of a failure naming no registered application.
const UNKNOWN_CLIENT: &str = "unknown client_id";
/// The private detail of a failure whose `client_id` is too long to be one.
const OVERLONG_CLIENT: &str = "client_id longer than 128 characters";

/// Whether `error` refused a request that named no registered application (unknown or
/// over-long `client_id`): such requests belong to no tenant resource, so the audit log leaves
/// them out (anyone could otherwise grow it at will); the throttle still counts them.
pub fn names_no_application(error: &OAuthError) -> bool {
    matches!(
        error.detail.as_deref(),
        Some(UNKNOWN_CLIENT | OVERLONG_CLIENT)
    )
}

/// How the client presented itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    Basic,
    Post,
    None,
}

impl AuthMethod {
    /// Every method, in the order discovery lists them.
    pub const ALL: [AuthMethod; 3] = [AuthMethod::Basic, AuthMethod::Post, AuthMethod::None];

    /// The registered name (RFC 7591 §2 `token_endpoint_auth_method`).
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMethod::Basic => "client_secret_basic",
            AuthMethod::Post => "client_secret_post",
            AuthMethod::None => "none",
        }
    }

    /// The methods that authenticate with a secret (required where only confidential clients
    /// may ask, e.g. introspection).
    pub fn with_secret() -> impl Iterator<Item = AuthMethod> {
        Self::ALL.into_iter().filter(|m| *m != AuthMethod::None)
    }
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

/// The longest `client_id` looked up at all. Longer ones are refused before any storage is
/// touched (ours are at most 128 characters; Auth0's are 32).
pub const MAX_CLIENT_ID_LEN: usize = 128;

/// The credentials a back-channel request presented (RFC 6749 §2.3.1), extracted once from the
/// `Authorization` header and the body, already decoded. `Debug` never prints a secret.
#[derive(Clone, PartialEq, Eq)]
pub enum ClientCredentials {
    /// `Authorization: Basic` (`client_secret_basic`).
    Basic { client_id: String, secret: String },
    /// `client_id` and `client_secret` in the body (`client_secret_post`).
    Post { client_id: String, secret: String },
    /// Only a `client_id`: a public client (`none`).
    ClientIdOnly { client_id: String },
    /// Nothing identified the client.
    Missing,
}

impl std::fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "ClientCredentials::{:?}({:?})",
            self.method(),
            self.client_id()
        )
    }
}

impl ClientCredentials {
    /// Extracts the credentials from the raw `Authorization` header and the body parameters.
    /// Malformed Basic credentials are `invalid_client` (answered with a Basic challenge); more
    /// than one method at once, or a body `client_id` that contradicts the Basic one, is
    /// `invalid_request` (RFC 6749 §2.3).
    pub fn extract(authorization: Option<&str>, params: &Params) -> OAuthResult<Self> {
        let basic = match authorization.and_then(parse_basic) {
            Some(Ok(pair)) => Some(pair),
            Some(Err(mut e)) => {
                e.basic_auth_failed = true;
                return Err(e);
            }
            None => None,
        };
        let body_id = params.get("client_id");
        match (basic, params.get("client_secret")) {
            (Some(_), Some(_)) => Err(OAuthError::invalid_request(
                "Use only one client authentication method.",
            )),
            (Some((client_id, secret)), None) => {
                if body_id.is_some_and(|body_id| body_id != client_id) {
                    return Err(OAuthError::invalid_request(
                        "client_id in the body differs from the HTTP Basic credentials.",
                    ));
                }
                Ok(ClientCredentials::Basic { client_id, secret })
            }
            (None, Some(secret)) => Ok(ClientCredentials::Post {
                client_id: params.require("client_id")?.to_owned(),
                secret: secret.to_owned(),
            }),
            (None, None) => Ok(match body_id {
                Some(id) => ClientCredentials::ClientIdOnly {
                    client_id: id.to_owned(),
                },
                None => ClientCredentials::Missing,
            }),
        }
    }

    /// The client the request names, if any.
    pub fn client_id(&self) -> Option<&str> {
        match self {
            ClientCredentials::Basic { client_id, .. }
            | ClientCredentials::Post { client_id, .. }
            | ClientCredentials::ClientIdOnly { client_id } => Some(client_id),
            ClientCredentials::Missing => None,
        }
    }

    /// How the client presented itself.
    pub fn method(&self) -> AuthMethod {
        match self {
            ClientCredentials::Basic { .. } => AuthMethod::Basic,
            ClientCredentials::Post { .. } => AuthMethod::Post,
            ClientCredentials::ClientIdOnly { .. } | ClientCredentials::Missing => AuthMethod::None,
        }
    }

    fn secret(&self) -> Option<&str> {
        match self {
            ClientCredentials::Basic { secret, .. } | ClientCredentials::Post { secret, .. } => {
                Some(secret)
            }
            _ => None,
        }
    }
}

/// A client that proved who it is (or, for a public client, named itself).
#[derive(Debug, Clone)]
pub struct AuthenticatedClient {
    pub client: Client,
    pub method: AuthMethod,
}

impl AuthenticatedClient {
    /// Whether the client proved possession of a secret (a confidential client).
    pub fn is_confidential(&self) -> bool {
        self.method != AuthMethod::None
    }
}

/// Authenticates the client of a back-channel request. Both secret methods are accepted for
/// any confidential client (they are equally strong, and Auth0's SDKs differ in which they use);
/// public clients send only `client_id` and never a secret.
///
/// RFC 6749 §2.3.1 asks for protection against brute force: every wrong secret reserves an
/// attempt for (client, caller address) ([`Throttle::ClientSecret`]), atomically, and a right
/// one is accepted only while the counter is under the limit ([`Throttle::passed`]), so no burst
/// of parallel guesses gets more answers than the limit, and a stranger's guesses cannot lock
/// the real application out. Unknown client ids cost the caller's address budget
/// ([`Throttle::UnknownClient`]) and create no state of their own; over-long ones are refused
/// before any lookup.
pub async fn authenticate(
    p: &Provider,
    credentials: &ClientCredentials,
    client_ip: &str,
) -> OAuthResult<AuthenticatedClient> {
    let method = credentials.method();
    let fail = |description: &'static str| {
        let mut e = OAuthError::invalid_client(description);
        e.basic_auth_failed = method == AuthMethod::Basic;
        e
    };
    let Some(client_id) = credentials.client_id() else {
        return Err(fail("Client authentication is required."));
    };
    if client_id.len() > MAX_CLIENT_ID_LEN {
        return Err(fail("Client authentication failed.").with_detail(OVERLONG_CLIENT));
    }
    let Some(client) = p.catalog.client(p.store.as_ref(), client_id).await? else {
        // Counted against the caller's address (the attempt is kept: it failed).
        let _failed = Throttle::UnknownClient { ip: client_ip }.reserve(p).await?;
        return Err(fail("Client authentication failed.").with_detail(UNKNOWN_CLIENT));
    };
    let secret = credentials.secret();
    match (
        &client.secret_hash,
        client.token_endpoint_auth_method,
        secret,
    ) {
        (Some(hash), registered, Some(secret)) if registered != TokenEndpointAuthMethod::None => {
            let throttle = Throttle::ClientSecret {
                client_id: &client.client_id,
                ip: client_ip,
            };
            // A keyed hash compared in constant time: cheap enough to check before touching the
            // counter, so a right secret costs one read of it instead of two writes. A wrong one
            // reserves its attempt (refused once the limit is reached), as before.
            if p.hasher.verify(secret, hash) {
                throttle.passed(p).await?;
                Ok(AuthenticatedClient { client, method })
            } else {
                let _failed = throttle.reserve(p).await?;
                Err(fail("Client authentication failed.").with_detail("wrong client secret"))
            }
        }
        (_, TokenEndpointAuthMethod::None, None) => Ok(AuthenticatedClient {
            client,
            method: AuthMethod::None,
        }),
        (_, TokenEndpointAuthMethod::None, Some(_)) => Err(fail(
            "This application is public: it has no client secret to send.",
        )),
        _ => Err(fail("Client authentication failed.")
            .with_detail("a confidential client sent no secret, or has none stored")),
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
