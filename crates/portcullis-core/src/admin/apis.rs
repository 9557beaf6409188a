//! APIs (resource servers): the `audience` clients ask for, with the scopes it defines.

use super::apps::dedup;
use super::error::{AdminError, AdminResult};
use super::validate::check_name;
use crate::crypto::new_id;
use portcullis_store::{Api, ApiScope, ClientGrant, Store, TokenDialect, UnixTime};

/// Default access-token lifetime for an API (Auth0: 86400 s).
pub const DEFAULT_TOKEN_LIFETIME: i64 = 86_400;
/// Longest access-token lifetime an API may set: 30 days (Auth0's maximum).
pub const MAX_TOKEN_LIFETIME: i64 = 30 * 86_400;
/// Scope values an API may not define: they belong to OpenID Connect.
const OIDC_SCOPES: &[&str] = &[
    "openid",
    "profile",
    "email",
    "offline_access",
    "address",
    "phone",
];

/// A new API. Unset fields take their defaults.
#[derive(Debug, Clone, Default)]
pub struct NewApi {
    /// The audience: an absolute URI (`https://api.example.com`) or URN (`urn:example:api`).
    pub identifier: String,
    /// Defaults to the identifier.
    pub name: Option<String>,
    pub scopes: Vec<ApiScope>,
    /// Seconds; default [`DEFAULT_TOKEN_LIFETIME`], at most [`MAX_TOKEN_LIFETIME`].
    pub token_lifetime: Option<i64>,
    /// Default `true`.
    pub allow_offline_access: Option<bool>,
    /// Applications allowed to introspect this API's tokens (RFC 7662 §4). Default none.
    pub introspection_clients: Vec<String>,
    /// Auth0's "Enable RBAC". Default `false`.
    pub enforce_policies: Option<bool>,
    /// Default `access_token`; `access_token_authz` needs `enforce_policies`.
    pub token_dialect: Option<TokenDialect>,
}

/// Changes to an API; `None` leaves a field as it is. `scopes` replaces the list.
#[derive(Debug, Clone, Default)]
pub struct ApiUpdate {
    pub name: Option<String>,
    pub scopes: Option<Vec<ApiScope>>,
    pub token_lifetime: Option<i64>,
    pub allow_offline_access: Option<bool>,
    /// Replaces the list.
    pub introspection_clients: Option<Vec<String>>,
    pub enforce_policies: Option<bool>,
    pub token_dialect: Option<TokenDialect>,
}

/// Checks an API identifier: an absolute URI or URN, no whitespace, at most 600 characters.
pub fn check_identifier(identifier: &str) -> AdminResult<()> {
    let bad = |why: &str| AdminError::invalid("identifier", format!("{identifier:?} {why}"));
    if identifier.is_empty() {
        return Err(AdminError::invalid("identifier", "must not be empty"));
    }
    if identifier.len() > 600 {
        return Err(bad("is longer than 600 characters"));
    }
    if identifier
        .chars()
        .any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(bad("contains whitespace"));
    }
    if url::Url::parse(identifier).is_err() {
        return Err(bad(
            "is not an absolute URI; use e.g. https://api.example.com or urn:example:api",
        ));
    }
    if identifier.contains('#') {
        return Err(bad("has a fragment"));
    }
    Ok(())
}

/// Checks a scope value: a non-empty scope-token (RFC 6749 §3.3: printable ASCII without
/// space, `"` or `\`) that is not an OpenID Connect scope.
pub fn check_scope_value(value: &str) -> AdminResult<()> {
    if value.is_empty()
        || !value
            .bytes()
            .all(|b| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b))
    {
        return Err(AdminError::invalid(
            "scopes",
            format!(
                "{value:?} is not a valid scope: use printable ASCII without spaces, quotes or backslashes (e.g. read:shows)"
            ),
        ));
    }
    if OIDC_SCOPES.contains(&value) {
        return Err(AdminError::invalid(
            "scopes",
            format!("{value:?} is an OpenID Connect scope; an API cannot define it"),
        ));
    }
    Ok(())
}

/// Checks everything an API must satisfy.
pub fn check_api(api: &Api) -> AdminResult<()> {
    check_identifier(&api.identifier)?;
    check_name("name", &api.name)?;
    let mut seen = Vec::new();
    for scope in &api.scopes {
        check_scope_value(&scope.value)?;
        if seen.contains(&scope.value.as_str()) {
            return Err(AdminError::invalid(
                "scopes",
                format!("{:?} is defined twice", scope.value),
            ));
        }
        seen.push(&scope.value);
    }
    for client_id in &api.introspection_clients {
        super::validate::check_identifier("introspection_clients", client_id, &[])?;
    }
    if api.token_dialect == TokenDialect::AccessTokenAuthz && !api.enforce_policies {
        return Err(AdminError::invalid(
            "token_dialect",
            "access_token_authz puts the user's permissions in access tokens, which needs RBAC: set enforce_policies too",
        ));
    }
    if !(1..=MAX_TOKEN_LIFETIME).contains(&api.token_lifetime) {
        return Err(AdminError::invalid(
            "token_lifetime",
            format!(
                "{} is out of range: use 1 to {MAX_TOKEN_LIFETIME} seconds (30 days)",
                api.token_lifetime
            ),
        ));
    }
    Ok(())
}

/// Builds (without storing) the API a [`NewApi`] describes.
pub(crate) fn build_api(new: NewApi, now: UnixTime) -> AdminResult<Api> {
    let api = Api {
        api_id: new_id("api"),
        name: new
            .name
            .unwrap_or_else(|| new.identifier.clone())
            .trim()
            .to_owned(),
        identifier: new.identifier,
        scopes: new.scopes,
        token_lifetime: new.token_lifetime.unwrap_or(DEFAULT_TOKEN_LIFETIME),
        allow_offline_access: new.allow_offline_access.unwrap_or(true),
        introspection_clients: dedup(new.introspection_clients),
        enforce_policies: new.enforce_policies.unwrap_or(false),
        token_dialect: new.token_dialect.unwrap_or_default(),
        created_at: now,
        updated_at: now,
    };
    check_api(&api)?;
    Ok(api)
}

/// Creates an API.
pub async fn create_api(store: &dyn Store, new: NewApi, now: UnixTime) -> AdminResult<Api> {
    let api = build_api(new, now)?;
    if store
        .get_api_by_identifier(&api.identifier)
        .await?
        .is_some()
    {
        return Err(AdminError::exists("API", api.identifier));
    }
    store
        .create_api(&api)
        .await
        .map_err(|e| AdminError::from_store(e, "API", &api.identifier))?;
    Ok(api)
}

/// Every API, oldest first.
pub async fn list_apis(store: &dyn Store) -> AdminResult<Vec<Api>> {
    Ok(store.list_apis().await?)
}

/// An API by identifier (audience) or by id.
pub async fn get_api(store: &dyn Store, key: &str) -> AdminResult<Api> {
    if let Some(api) = store.get_api_by_identifier(key).await? {
        return Ok(api);
    }
    store
        .get_api(key)
        .await?
        .ok_or_else(|| AdminError::not_found("API", key))
}

/// An updated API, and the M2M grants from which scopes the API no longer defines were removed.
#[derive(Debug, Clone)]
pub struct UpdatedApi {
    pub api: Api,
    /// `(client_id, removed scopes)` for each grant that lost scopes.
    pub pruned_grants: Vec<(String, Vec<String>)>,
}

/// Applies `update`. Scopes dropped from the API are also removed from its M2M grants and from
/// the roles' permissions.
pub async fn update_api(
    store: &dyn Store,
    key: &str,
    update: ApiUpdate,
    now: UnixTime,
) -> AdminResult<UpdatedApi> {
    let mut api = get_api(store, key).await?;
    crate::management::builtin_api::refuse_if_builtin(&api)?;
    if let Some(name) = update.name {
        api.name = name.trim().to_owned();
    }
    if let Some(scopes) = update.scopes {
        api.scopes = dedup(scopes);
    }
    if let Some(t) = update.token_lifetime {
        api.token_lifetime = t;
    }
    if let Some(clients) = update.introspection_clients {
        api.introspection_clients = dedup(clients);
    }
    if let Some(o) = update.allow_offline_access {
        api.allow_offline_access = o;
    }
    if let Some(e) = update.enforce_policies {
        api.enforce_policies = e;
    }
    if let Some(d) = update.token_dialect {
        api.token_dialect = d;
    }
    check_api(&api)?;
    api.updated_at = now;
    save(store, &api).await?;
    let pruned_grants = prune_grants(store, &api).await?;
    Ok(UpdatedApi { api, pruned_grants })
}

/// Removes from the API's grants, and from the roles' permissions, the scopes it no longer
/// defines.
pub(crate) async fn prune_grants(
    store: &dyn Store,
    api: &Api,
) -> AdminResult<Vec<(String, Vec<String>)>> {
    let defined: Vec<String> = api.scopes.iter().map(|s| s.value.clone()).collect();
    store
        .prune_api_permissions(&api.identifier, &defined)
        .await?;
    let mut pruned = Vec::new();
    for (grant, gone) in pruned_grants(store, api).await? {
        store.update_client_grant(&grant).await?;
        pruned.push((grant.client_id, gone));
    }
    Ok(pruned)
}

/// The M2M grants to `api` that hold scopes `api` no longer defines, each with those scopes
/// removed, and the scopes removed. Changes nothing.
pub(crate) async fn pruned_grants(
    store: &dyn Store,
    api: &Api,
) -> AdminResult<Vec<(ClientGrant, Vec<String>)>> {
    let mut pruned = Vec::new();
    for mut grant in store.list_client_grants().await? {
        if grant.audience != api.identifier {
            continue;
        }
        let (keep, gone): (Vec<String>, Vec<String>) = grant
            .scopes
            .iter()
            .cloned()
            .partition(|s| api.scopes.iter().any(|d| &d.value == s));
        if !gone.is_empty() {
            grant.scopes = keep;
            pruned.push((grant, gone));
        }
    }
    Ok(pruned)
}

/// Deletes an API (by identifier or id) with its M2M grants.
pub async fn delete_api(store: &dyn Store, key: &str) -> AdminResult<Api> {
    let api = get_api(store, key).await?;
    crate::management::builtin_api::refuse_if_builtin(&api)?;
    store
        .delete_api(&api.api_id)
        .await
        .map_err(|e| AdminError::from_store(e, "API", key))?;
    Ok(api)
}

/// Writes a changed API back.
pub(crate) async fn save(store: &dyn Store, api: &Api) -> AdminResult<()> {
    store
        .update_api(api)
        .await
        .map_err(|e| AdminError::from_store(e, "API", &api.identifier))
}
