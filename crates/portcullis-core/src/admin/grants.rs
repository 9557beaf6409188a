//! M2M client grants: which APIs (and scopes) an application may get tokens for with
//! `client_credentials`.

use super::apis::get_api;
use super::apps::{dedup, get_app};
use super::error::{AdminError, AdminResult};
use crate::crypto::new_id;
use portcullis_store::{Api, Client, ClientGrant, GrantType, Store, UnixTime};

/// Checks that `client` may hold a grant for `api` with `scopes`: the client is allowed
/// `client_credentials` and every scope is defined by the API.
pub fn check_grant(client: &Client, api: &Api, scopes: &[String]) -> AdminResult<()> {
    if !client.grant_types.contains(&GrantType::ClientCredentials) {
        return Err(AdminError::invalid(
            "client_id",
            format!(
                "application {:?} is not allowed the client_credentials grant type",
                client.client_id
            ),
        ));
    }
    for scope in scopes {
        if !api.scopes.iter().any(|s| &s.value == scope) {
            let defined: Vec<&str> = api.scopes.iter().map(|s| s.value.as_str()).collect();
            return Err(AdminError::invalid(
                "scopes",
                format!(
                    "API {:?} does not define scope {scope:?} (it defines: {})",
                    api.identifier,
                    if defined.is_empty() {
                        "none".to_owned()
                    } else {
                        defined.join(", ")
                    }
                ),
            ));
        }
    }
    Ok(())
}

/// Grants `client_id` access to the API `audience` with `scopes`.
pub async fn create_grant(
    store: &dyn Store,
    client_id: &str,
    audience: &str,
    scopes: Vec<String>,
    now: UnixTime,
) -> AdminResult<ClientGrant> {
    let client = get_app(store, client_id).await?;
    let api = get_api(store, audience).await?;
    let scopes = dedup(scopes);
    check_grant(&client, &api, &scopes)?;
    let key = format!("{client_id} → {}", api.identifier);
    if store
        .find_client_grant(client_id, &api.identifier)
        .await?
        .is_some()
    {
        return Err(AdminError::exists("grant", key));
    }
    let grant = ClientGrant {
        grant_id: new_id("cgr"),
        client_id: client.client_id,
        audience: api.identifier,
        scopes,
        created_at: now,
    };
    store
        .create_client_grant(&grant)
        .await
        .map_err(|e| AdminError::from_store(e, "grant", &key))?;
    Ok(grant)
}

/// Every grant, oldest first.
pub async fn list_grants(store: &dyn Store) -> AdminResult<Vec<ClientGrant>> {
    Ok(store.list_client_grants().await?)
}

/// The grant of `client_id` for `audience` (identifier or API id).
pub async fn get_grant(
    store: &dyn Store,
    client_id: &str,
    audience: &str,
) -> AdminResult<ClientGrant> {
    let api = get_api(store, audience).await?;
    store
        .find_client_grant(client_id, &api.identifier)
        .await?
        .ok_or_else(|| AdminError::not_found("grant", format!("{client_id} → {}", api.identifier)))
}

/// Replaces the scopes of a grant.
pub async fn update_grant(
    store: &dyn Store,
    client_id: &str,
    audience: &str,
    scopes: Vec<String>,
) -> AdminResult<ClientGrant> {
    let mut grant = get_grant(store, client_id, audience).await?;
    let client = get_app(store, client_id).await?;
    let api = get_api(store, &grant.audience).await?;
    let scopes = dedup(scopes);
    check_grant(&client, &api, &scopes)?;
    grant.scopes = scopes;
    store
        .update_client_grant(&grant)
        .await
        .map_err(|e| AdminError::from_store(e, "grant", client_id))?;
    Ok(grant)
}

/// Deletes the grant of `client_id` for `audience`. Tokens already issued stay valid until they
/// expire.
pub async fn delete_grant(
    store: &dyn Store,
    client_id: &str,
    audience: &str,
) -> AdminResult<ClientGrant> {
    let grant = get_grant(store, client_id, audience).await?;
    store
        .delete_client_grant(&grant.grant_id)
        .await
        .map_err(|e| AdminError::from_store(e, "grant", client_id))?;
    Ok(grant)
}
