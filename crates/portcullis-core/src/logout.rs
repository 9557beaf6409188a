//! Logout: OpenID Connect RP-Initiated Logout 1.0 (`/oidc/logout`) and Auth0's `/v2/logout`.
//! The return URL is only ever one registered for the identified client; anything else ends on
//! a page of ours, never a redirect.

use crate::Provider;
use crate::error::{OAuthError, OAuthResult};
use crate::jwt;
use crate::params::{Params, printable};
use portcullis_store::Client;
use serde_json::Value;

/// What the web layer should do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoutPlan {
    /// Where to send the browser afterwards (registered, with `state` appended), if anywhere.
    pub redirect: Option<String>,
    /// Ask the user before ending the session: the request could not prove it came from an
    /// application the user signed in to (no valid `id_token_hint`), so it may be forged.
    pub needs_confirmation: bool,
    /// The application, for the confirmation page.
    pub client_name: Option<String>,
}

/// RP-Initiated Logout §2–§4: validates `id_token_hint` (ours; expired is fine), `client_id`
/// (must be an audience of the hint), `post_logout_redirect_uri` (registered for that client,
/// exact match) and appends `state`.
pub async fn plan_oidc_logout(p: &Provider, params: &Params) -> OAuthResult<LogoutPlan> {
    let hint_client = match params.get("id_token_hint") {
        Some(hint) => Some(hint_audience(p, hint)?),
        None => None,
    };
    let client_id = match (params.get("client_id"), &hint_client) {
        (Some(id), Some(auds)) if !auds.iter().any(|a| a == id) => {
            return Err(page_error("client_id does not match the id_token_hint."));
        }
        (Some(id), _) => Some(id.to_owned()),
        (None, Some(auds)) => auds.first().cloned(),
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
        needs_confirmation: hint_client.is_none(),
        client_name: client.map(|c| c.name),
    })
}

/// Auth0's `/v2/logout?client_id&returnTo`: `returnTo` must be an allowed logout URL of the
/// client. No confirmation, as Auth0 (auth0-spa-js logs out this way).
pub async fn plan_v2_logout(p: &Provider, params: &Params) -> OAuthResult<LogoutPlan> {
    let client = find_client(p, params.get("client_id")).await?;
    let redirect = match params.get("returnTo") {
        Some(uri) => Some(registered_return(client.as_ref(), uri)?.to_owned()),
        None => None,
    };
    Ok(LogoutPlan {
        redirect,
        needs_confirmation: false,
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

/// The audiences of an ID token we signed. Expiry is deliberately not checked
/// (RP-Initiated Logout §4: an expired hint from this OP should be accepted).
fn hint_audience(p: &Provider, hint: &str) -> OAuthResult<Vec<String>> {
    let invalid = || page_error("The id_token_hint is not a valid ID token from this provider.");
    let verified = jwt::verify(&p.keys.ring(), hint).map_err(|_| invalid())?;
    if verified.claims.get("iss").and_then(Value::as_str) != Some(p.config.issuer.as_str()) {
        return Err(invalid());
    }
    let auds = match verified.claims.get("aud") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => return Err(invalid()),
    };
    if auds.is_empty() {
        return Err(invalid());
    }
    Ok(auds)
}

fn page_error(description: impl Into<std::borrow::Cow<'static, str>>) -> OAuthError {
    OAuthError::invalid_request(description).not_redirectable()
}
