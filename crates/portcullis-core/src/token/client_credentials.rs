//! `grant_type=client_credentials` (RFC 6749 §4.4) for M2M applications: only for APIs the
//! application was granted, only the granted scopes, and never a refresh token (§4.4.3). Only
//! confidential clients get here (see [`super::GRANTS`]).

use super::issue::{self, AccessTokenSpec, TokenResponse};
use super::rbac;
use crate::Provider;
use crate::claims::CustomClaims;
use crate::claims::access::GTY_CLIENT_CREDENTIALS;
use crate::error::{OAuthError, OAuthResult};
use crate::params::{Params, printable};
use crate::scope::Scopes;
use portcullis_store::Client;

pub(super) async fn exchange(
    p: &Provider,
    client: &Client,
    params: &Params,
) -> OAuthResult<TokenResponse> {
    let audience = params.get("audience").ok_or_else(|| {
        OAuthError::invalid_request("Missing required parameter: audience (the API identifier).")
    })?;
    let Some(api) = p.catalog.api(p.store.as_ref(), audience).await? else {
        return Err(OAuthError::invalid_request(format!(
            "Service not found: {}",
            printable(audience)
        )));
    };
    let Some(client_grant) = p
        .catalog
        .client_grant(p.store.as_ref(), &client.client_id, &api.identifier)
        .await?
    else {
        return Err(OAuthError::unauthorized_client(format!(
            "This application is not authorized to access {}.",
            printable(&api.identifier)
        )));
    };
    let allowed = Scopes::from_vec(client_grant.scopes.clone());
    let scopes = match params.get("scope") {
        Some(text) => {
            let asked = Scopes::parse(text)?;
            if let Some(extra) = asked.first_not_in(&allowed) {
                return Err(OAuthError::invalid_scope(format!(
                    "Scope {extra} is not granted to this application."
                )));
            }
            asked
        }
        None => allowed,
    };
    let subject = format!("{}@clients", client.client_id);
    let access_token = issue::access_token(
        p,
        AccessTokenSpec {
            subject: &subject,
            client_id: &client.client_id,
            audience: Some(&api.identifier),
            scopes: &scopes,
            lifetime: api.token_lifetime,
            grant_id: None,
            gty: Some(GTY_CLIENT_CREDENTIALS),
            permissions: rbac::for_client(&api, &scopes),
            custom: CustomClaims::new(),
        },
    )?;
    Ok(TokenResponse {
        access_token,
        token_type: "Bearer",
        expires_in: api.token_lifetime,
        refresh_token: None,
        id_token: None,
        scope: scopes.to_string(),
    })
}
