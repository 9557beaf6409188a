//! The authorization code flow towards an upstream (RFC 6749 §4.1 with PKCE, RFC 7636, and
//! OpenID Connect Core §3.1): [`begin`] builds the redirect to the upstream and the sealed
//! [`Pending`] sign-in the browser keeps in a cookie; [`callback`] checks the answer that comes
//! back to `{issuer}login/callback` and returns who signed in upstream.
//!
//! Defences: `state` is random and must match the sealed cookie of this browser (login CSRF,
//! RFC 9700 §4.7); the callback is single-use across replicas (a replayed URL is refused); the
//! code is bound to a PKCE verifier; the ID token must carry this sign-in's `nonce` and pass
//! [`super::id_token::verify`].

use super::connection::{Connection, Strategy};
use super::http::HttpError;
use super::id_token::{self, Expected, IdTokenError};
use super::metadata::{MetadataError, Resolved};
use crate::Provider;
use crate::crypto::random_token;
use crate::error::{ErrorCode, OAuthError};
use crate::interaction::Transaction;
use crate::throttle::Throttle;
use aws_lc_rs::digest;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// How long the user may take at the upstream.
pub const LIFETIME: i64 = 15 * 60;
/// The sealing purpose of pending upstream sign-ins.
const PURPOSE: &str = "upstream-sign-in";
/// The path upstreams redirect back to, under the issuer.
pub const CALLBACK_PATH: &str = "login/callback";

/// An upstream sign-in in progress, sealed into a cookie of the browser that started it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    pub connection: String,
    pub state: String,
    pub nonce: String,
    pub verifier: String,
    pub exp: i64,
    /// The authorization request this sign-in continues.
    pub tx: Option<Transaction>,
    /// Set when a signed-in user adds this connection from the account page.
    pub link_user: Option<String>,
}

impl Pending {
    /// Opens the sealed cookie; `None` when forged, damaged or expired.
    pub fn open(p: &Provider, sealed: &str) -> Option<Self> {
        if sealed.is_empty() || sealed.len() > 16 * 1024 {
            return None;
        }
        p.sealer
            .unseal::<Pending>(sealed, PURPOSE)
            .filter(|pending| pending.exp > p.now())
    }
}

/// What the upstream said about the user, mapped to Auth0's profile claims.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub subject: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub name: Option<String>,
    pub nickname: Option<String>,
    pub picture: Option<String>,
}

/// Where to send the browser, and the cookie that remembers the sign-in.
#[derive(Debug)]
pub struct Started {
    pub location: String,
    pub sealed: String,
}

/// Why an upstream sign-in did not complete.
#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    /// No sign-in of this browser matches (forged, expired, other browser, no cookie).
    #[error(
        "This sign-in is not valid or has expired. Go back to the application and start again."
    )]
    BadState,
    /// The callback was already used.
    #[error("This sign-in was already completed. Go back to the application and start again.")]
    Replayed,
    /// The upstream answered with an error (RFC 6749 §4.1.2.1), e.g. the user refused.
    #[error("{connection} did not sign you in: {error}")]
    Denied {
        pending: Box<Pending>,
        connection: String,
        error: String,
        description: Option<String>,
    },
    /// The upstream's answer failed a check or could not be fetched.
    #[error("Signing in with {connection} failed: {reason}")]
    Failed { connection: String, reason: String },
    #[error(transparent)]
    Internal(#[from] OAuthError),
}

/// Starts a sign-in at `c`: a fresh `state`, `nonce` and PKCE verifier, sealed with `tx` (or the
/// user to link) into the cookie, and the upstream's authorization URL.
pub async fn begin(
    p: &Provider,
    c: &Connection,
    tx: Option<Transaction>,
    link_user: Option<String>,
) -> Result<Started, UpstreamError> {
    let endpoints = resolve(p, c).await?;
    let pending = Pending {
        connection: c.name.clone(),
        state: random_token(32),
        nonce: random_token(32),
        verifier: random_token(32),
        exp: p.now() + LIFETIME,
        tx,
        link_user,
    };
    let sealed = p
        .sealer
        .seal(&pending, PURPOSE)
        .map_err(OAuthError::server_error)?;
    let challenge =
        URL_SAFE_NO_PAD.encode(digest::digest(&digest::SHA256, pending.verifier.as_bytes()));
    let mut url = url::Url::parse(&endpoints.authorization_endpoint)
        .map_err(|_| failed(c, "its authorization endpoint is not a URL".to_owned()))?;
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("response_type", "code")
            .append_pair("client_id", &c.client_id)
            .append_pair("redirect_uri", &callback_uri(p))
            .append_pair("scope", &c.scopes.join(" "))
            .append_pair("state", &pending.state)
            .append_pair("code_challenge", &challenge)
            .append_pair("code_challenge_method", "S256");
        if c.strategy != Strategy::Github {
            q.append_pair("nonce", &pending.nonce);
        }
    }
    Ok(Started {
        location: url.into(),
        sealed,
    })
}

/// `{issuer}login/callback`, the redirect URI registered at every upstream.
pub fn callback_uri(p: &Provider) -> String {
    p.config.issuer.endpoint(CALLBACK_PATH)
}

/// Checks the upstream's answer (`query`: the callback's parameters) against the sealed sign-in
/// of this browser (`sealed`: its cookie), redeems the code and returns the profile.
pub async fn callback(
    p: &Provider,
    sealed: Option<&str>,
    query: &crate::Params,
) -> Result<(Pending, std::sync::Arc<Connection>, Profile), UpstreamError> {
    let pending = sealed
        .and_then(|s| Pending::open(p, s))
        .ok_or(UpstreamError::BadState)?;
    let state = query.get("state").unwrap_or("");
    if !crate::crypto::constant_time_eq(state.as_bytes(), pending.state.as_bytes()) {
        return Err(UpstreamError::BadState);
    }
    // Single use, across replicas: the first callback with this state reserves it.
    match (Throttle::UpstreamCallback { state }).reserve(p).await {
        // The reservation stays counted: that is the single use.
        Ok(_used) => {}
        Err(e) if e.code == ErrorCode::TooManyAttempts => return Err(UpstreamError::Replayed),
        Err(e) => return Err(UpstreamError::Internal(e)),
    }
    let c = super::find(p, &pending.connection)
        .await?
        .ok_or_else(|| UpstreamError::Failed {
            connection: pending.connection.clone(),
            reason: "the connection no longer exists".to_owned(),
        })?;
    if let Some(error) = query.get("error") {
        return Err(UpstreamError::Denied {
            connection: c.display_name.clone(),
            error: printable(error, 64),
            description: query.get("error_description").map(|d| printable(d, 256)),
            pending: Box::new(pending),
        });
    }
    let endpoints = resolve(p, &c).await?;
    // RFC 9207 §2.4: an `iss` in the answer must be the upstream's (mix-up defence).
    if let (Some(iss), Some(expected)) = (query.get("iss"), &endpoints.issuer)
        && iss.trim_end_matches('/') != expected.trim_end_matches('/')
    {
        return Err(failed(&c, "the answer names another issuer".to_owned()));
    }
    let code = query
        .get("code")
        .filter(|c| c.len() <= 2048)
        .ok_or_else(|| failed(&c, "it sent no authorization code".to_owned()))?;
    let tokens = exchange(p, &c, &endpoints, code, &pending.verifier).await?;
    let profile = match c.strategy {
        Strategy::Github => github_profile(p, &c, &endpoints, &tokens).await?,
        Strategy::Oidc | Strategy::Google => {
            oidc_profile(p, &c, &endpoints, &tokens, &pending.nonce).await?
        }
    };
    Ok((pending, c, profile))
}

async fn resolve(p: &Provider, c: &Connection) -> Result<Resolved, UpstreamError> {
    p.upstream
        .resolve(c, p.now())
        .await
        .map_err(|e: MetadataError| failed(c, e.to_string()))
}

/// RFC 6749 §4.1.3 with the PKCE verifier (RFC 7636 §4.5). The client authenticates with HTTP
/// Basic (RFC 6749 §2.3.1), except at GitHub, which takes the secret in the form.
async fn exchange(
    p: &Provider,
    c: &Connection,
    endpoints: &Resolved,
    code: &str,
    verifier: &str,
) -> Result<Value, UpstreamError> {
    let redirect_uri = callback_uri(p);
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", redirect_uri.as_str()),
        ("code_verifier", verifier),
    ];
    let basic = match c.strategy {
        Strategy::Github => {
            form.push(("client_id", &c.client_id));
            form.push(("client_secret", &c.client_secret.0));
            None
        }
        _ => Some((c.client_id.as_str(), c.client_secret.0.as_str())),
    };
    let tokens = p
        .upstream
        .http
        .post_form(&endpoints.token_endpoint, &form, basic)
        .await
        .map_err(|e| http_failed(c, "the code exchange", e))?;
    // GitHub answers errors with status 200 and an `error` member.
    if let Some(error) = tokens.get("error").and_then(Value::as_str) {
        return Err(failed(
            c,
            format!(
                "its token endpoint refused the code ({})",
                printable(error, 64)
            ),
        ));
    }
    Ok(tokens)
}

async fn oidc_profile(
    p: &Provider,
    c: &Connection,
    endpoints: &Resolved,
    tokens: &Value,
    nonce: &str,
) -> Result<Profile, UpstreamError> {
    let token = tokens
        .get("id_token")
        .and_then(Value::as_str)
        .ok_or_else(|| failed(c, "it returned no ID token".to_owned()))?;
    let (Some(issuer), Some(jwks_uri)) = (&endpoints.issuer, &endpoints.jwks_uri) else {
        return Err(failed(c, "its issuer or JWKS is unknown".to_owned()));
    };
    let jwks = p
        .upstream
        .jwks(jwks_uri, id_token::kid(token).as_deref(), p.now())
        .await
        .map_err(|e| http_failed(c, "fetching its keys", e))?;
    let expected = Expected {
        issuer,
        client_id: &c.client_id,
        nonce,
        now: p.now(),
    };
    let claims = id_token::verify(token, &jwks, &expected)
        .map_err(|e: IdTokenError| failed(c, e.to_string()))?;
    let mut profile = profile_of(&claims);
    if profile.email.is_none() || profile.name.is_none() || profile.picture.is_none() {
        fill_from_userinfo(p, c, endpoints, tokens, &mut profile).await;
    }
    Ok(profile)
}

/// The profile claims of an ID token or a UserInfo response (OpenID Connect Core §5.1).
fn profile_of(claims: &serde_json::Map<String, Value>) -> Profile {
    let text = |name: &str| {
        claims
            .get(name)
            .and_then(Value::as_str)
            .filter(|v| !v.is_empty())
            .map(|v| printable(v, 512))
    };
    Profile {
        subject: text("sub").unwrap_or_default(),
        email: text("email").map(|e| crate::email::canonical(&e)),
        // Google sends a boolean; some providers send "true".
        email_verified: matches!(claims.get("email_verified"), Some(Value::Bool(true)))
            || claims.get("email_verified").and_then(Value::as_str) == Some("true"),
        name: text("name"),
        nickname: text("nickname").or_else(|| text("preferred_username")),
        picture: text("picture").filter(|u| u.starts_with("https://")),
    }
}

/// Fills the profile claims the ID token lacks from the upstream's UserInfo endpoint, with the
/// access token (OpenID Connect Core §5.3: providers may release the claims of `profile` and
/// `email` there only). Its `sub` must be the ID token's, else nothing of it is used (§5.3.2).
/// The ID token's values win; a UserInfo failure leaves the profile as the ID token gave it
/// (the sign-in itself is proven by the ID token).
async fn fill_from_userinfo(
    p: &Provider,
    c: &Connection,
    endpoints: &Resolved,
    tokens: &Value,
    profile: &mut Profile,
) {
    let (Some(url), Some(access_token)) = (
        endpoints.userinfo_endpoint.as_deref(),
        tokens.get("access_token").and_then(Value::as_str),
    ) else {
        return;
    };
    let claims = match p.upstream.http.get_json(url, Some(access_token)).await {
        Ok(claims) => claims,
        Err(e) => {
            tracing::warn!(connection = %c.name, error = %e, "the upstream UserInfo request failed; using the ID token's claims only");
            return;
        }
    };
    let Some(claims) = claims.as_object() else {
        tracing::warn!(connection = %c.name, "the upstream UserInfo response is not a JSON object; ignored");
        return;
    };
    let info = profile_of(claims);
    if info.subject != profile.subject {
        tracing::warn!(connection = %c.name, "the upstream UserInfo response is for another subject; ignored");
        return;
    }
    if profile.email.is_none() {
        profile.email = info.email;
        profile.email_verified = info.email_verified;
    }
    profile.name = profile.name.take().or(info.name);
    profile.nickname = profile.nickname.take().or(info.nickname);
    profile.picture = profile.picture.take().or(info.picture);
}

/// GitHub has no ID token: the user comes from `GET /user`, and a verified primary email from
/// `GET /user/emails` (the public `email` of `/user` is not proven).
async fn github_profile(
    p: &Provider,
    c: &Connection,
    endpoints: &Resolved,
    tokens: &Value,
) -> Result<Profile, UpstreamError> {
    let access_token = tokens
        .get("access_token")
        .and_then(Value::as_str)
        .ok_or_else(|| failed(c, "it returned no access token".to_owned()))?;
    let (Some(user_url), Some(emails_url)) = (&endpoints.user_endpoint, &endpoints.emails_endpoint)
    else {
        return Err(failed(c, "its user API is unknown".to_owned()));
    };
    let user = p
        .upstream
        .http
        .get_json(user_url, Some(access_token))
        .await
        .map_err(|e| http_failed(c, "fetching the user", e))?;
    let id = user
        .get("id")
        .and_then(Value::as_u64)
        .ok_or_else(|| failed(c, "its user has no numeric id".to_owned()))?;
    let emails = p
        .upstream
        .http
        .get_json(emails_url, Some(access_token))
        .await
        .map_err(|e| http_failed(c, "fetching the user's emails", e))?;
    let primary = emails.as_array().and_then(|list| {
        list.iter().find(|e| {
            e.get("primary").and_then(Value::as_bool) == Some(true)
                && e.get("verified").and_then(Value::as_bool) == Some(true)
        })
    });
    let text = |v: &Value, name: &str| {
        v.get(name)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(|s| printable(s, 512))
    };
    let login = text(&user, "login");
    Ok(Profile {
        subject: id.to_string(),
        email: primary
            .and_then(|e| text(e, "email"))
            .map(|e| crate::email::canonical(&e)),
        email_verified: primary.is_some(),
        name: text(&user, "name").or_else(|| login.clone()),
        nickname: login,
        picture: text(&user, "avatar_url").filter(|u| u.starts_with("https://")),
    })
}

fn failed(c: &Connection, reason: String) -> UpstreamError {
    UpstreamError::Failed {
        connection: c.display_name.clone(),
        reason,
    }
}

fn http_failed(c: &Connection, what: &str, e: HttpError) -> UpstreamError {
    tracing::warn!(connection = %c.name, error = %e, "{what} failed");
    failed(c, format!("{what} failed ({e})"))
}

/// At most `max` characters, without control characters (text from the upstream is shown on
/// pages and sent to applications).
fn printable(text: &str, max: usize) -> String {
    text.chars().filter(|c| !c.is_control()).take(max).collect()
}
