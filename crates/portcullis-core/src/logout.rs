//! Logout: OpenID Connect RP-Initiated Logout 1.0 (`/oidc/logout`) and Auth0's `/v2/logout`.
//! The return URL is only ever one registered for the identified client; anything else ends on
//! a page of ours, never a redirect.

use crate::Provider;
use crate::error::{OAuthError, OAuthResult};
use crate::jwt;
use crate::params::{Params, printable};
use portcullis_store::{Client, Session};
use serde_json::Value;

/// What the web layer should do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoutPlan {
    /// Where to send the browser afterwards (registered, with `state` appended), if anywhere.
    pub redirect: Option<String>,
    /// The user and session a valid `id_token_hint` names (RP-Initiated Logout §2).
    pub hint: Option<HintedSession>,
    /// Which endpoint the request came to.
    pub endpoint: LogoutEndpoint,
    /// The application, for the confirmation page.
    pub client_name: Option<String>,
}

/// The endpoints that end a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogoutEndpoint {
    /// `/oidc/logout` (RP-Initiated Logout 1.0).
    Oidc,
    /// Auth0's `/v2/logout`, which takes no hint.
    V2,
}

/// The `sub` and `sid` claims of an `id_token_hint`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HintedSession {
    pub sub: String,
    pub sid: Option<String>,
}

impl LogoutPlan {
    /// Whether to ask the user before ending `session`, which the browser's cookie names.
    ///
    /// A logout request is a GET anyone can make a browser send, so the session ends without a
    /// question only when the request proves it comes from an application of this very session:
    /// on `/oidc/logout`, an `id_token_hint` whose `sub` (and `sid`, when present) match the
    /// session (RP-Initiated Logout §2: the OP "SHOULD" ask otherwise). `/v2/logout` keeps
    /// Auth0's behaviour (no question, no hint). On both, a request that the browser says is not
    /// a top-level navigation (`Sec-Fetch-Dest`/`Sec-Fetch-Mode` of an `<img>`, a script or a
    /// frame) is asked about: with `SameSite=None` cookies a cross-site image could otherwise
    /// end the session.
    pub fn needs_confirmation(&self, session: &Session, top_level_navigation: bool) -> bool {
        if !top_level_navigation {
            return true;
        }
        match self.endpoint {
            LogoutEndpoint::V2 => false,
            LogoutEndpoint::Oidc => !self.hint.as_ref().is_some_and(|hint| {
                hint.sub == session.user_id
                    && hint
                        .sid
                        .as_deref()
                        .is_none_or(|sid| sid == session.session_id)
            }),
        }
    }
}

/// RP-Initiated Logout §2–§4: validates `id_token_hint` (ours; expired is fine), `client_id`
/// (must be an audience of the hint), `post_logout_redirect_uri` (registered for that client,
/// exact match) and appends `state`.
pub async fn plan_oidc_logout(p: &Provider, params: &Params) -> OAuthResult<LogoutPlan> {
    let hint = match params.get("id_token_hint") {
        Some(hint) => Some(verify_hint(p, hint)?),
        None => None,
    };
    let client_id = match (params.get("client_id"), &hint) {
        (Some(id), Some(h)) if !h.audiences.iter().any(|a| a == id) => {
            return Err(page_error("client_id does not match the id_token_hint."));
        }
        (Some(id), _) => Some(id.to_owned()),
        (None, Some(h)) => h.audiences.first().cloned(),
        (None, None) => None,
    };
    let client = find_client(p, client_id.as_deref()).await?;
    let redirect = match params.get("post_logout_redirect_uri") {
        Some(uri) => Some(with_state(
            registered_return(client.as_ref(), uri)?,
            params.get("state"),
        )),
        None => None,
    };
    Ok(LogoutPlan {
        redirect,
        hint: hint.map(|h| h.session),
        endpoint: LogoutEndpoint::Oidc,
        client_name: client.map(|c| c.name),
    })
}

/// Auth0's `/v2/logout?client_id&returnTo`: `returnTo` must be an allowed logout URL of the
/// client. No hint, as on Auth0 (auth0-spa-js logs out this way).
pub async fn plan_v2_logout(p: &Provider, params: &Params) -> OAuthResult<LogoutPlan> {
    let client = find_client(p, params.get("client_id")).await?;
    let redirect = match params.get("returnTo") {
        Some(uri) => Some(registered_return(client.as_ref(), uri)?.to_owned()),
        None => None,
    };
    Ok(LogoutPlan {
        redirect,
        hint: None,
        endpoint: LogoutEndpoint::V2,
        client_name: client.map(|c| c.name),
    })
}

async fn find_client(p: &Provider, client_id: Option<&str>) -> OAuthResult<Option<Client>> {
    let Some(id) = client_id else {
        return Ok(None);
    };
    match p.store.get_client(id).await? {
        Some(c) => Ok(Some(c)),
        None => Err(page_error(format!("Unknown client: {}.", printable(id)))),
    }
}

fn registered_return<'a>(client: Option<&Client>, uri: &'a str) -> OAuthResult<&'a str> {
    let Some(client) = client else {
        return Err(page_error(
            "A return URL needs client_id or id_token_hint to say which application it belongs to.",
        ));
    };
    if client.post_logout_redirect_uris.iter().any(|r| r == uri) {
        Ok(uri)
    } else {
        Err(page_error(format!(
            "The return URL {} is not an allowed logout URL of {}.",
            printable(uri),
            printable(&client.name)
        )))
    }
}

fn with_state(uri: &str, state: Option<&str>) -> String {
    match (state, url::Url::parse(uri)) {
        (Some(state), Ok(mut url)) => {
            url.query_pairs_mut().append_pair("state", state);
            url.to_string()
        }
        _ => uri.to_owned(),
    }
}

/// What a verified `id_token_hint` says.
struct VerifiedHint {
    audiences: Vec<String>,
    session: HintedSession,
}

/// Verifies an ID token we signed. Expiry is deliberately not checked (RP-Initiated Logout §4:
/// an expired hint from this OP should be accepted).
fn verify_hint(p: &Provider, hint: &str) -> OAuthResult<VerifiedHint> {
    let invalid = || page_error("The id_token_hint is not a valid ID token from this provider.");
    let verified = jwt::verify(&p.keys.ring(), hint).map_err(|_| invalid())?;
    let claims = &verified.claims;
    if claims.get("iss").and_then(Value::as_str) != Some(p.config.issuer.as_str()) {
        return Err(invalid());
    }
    let audiences = match claims.get("aud") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => return Err(invalid()),
    };
    let Some(sub) = claims.get("sub").and_then(Value::as_str) else {
        return Err(invalid());
    };
    if audiences.is_empty() {
        return Err(invalid());
    }
    Ok(VerifiedHint {
        audiences,
        session: HintedSession {
            sub: sub.to_owned(),
            sid: claims.get("sid").and_then(Value::as_str).map(str::to_owned),
        },
    })
}

fn page_error(description: impl Into<std::borrow::Cow<'static, str>>) -> OAuthError {
    OAuthError::invalid_request(description).not_redirectable()
}
