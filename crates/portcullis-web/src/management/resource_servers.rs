//! `/api/v2/resource-servers`: APIs, in Auth0's shape. The built-in Management API is listed
//! (`is_system: true`) and cannot be changed or deleted.
//! `enforce_policies` (Auth0's "Enable RBAC") and `token_dialect` are those of RBAC (`docs/rbac.md`).

use super::error::{ApiResult, ErrorBody};
use super::extract::{ApiJson, ApiPath, ApiQuery};
use super::paging::{Paging, listed};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use portcullis_core::admin::AdminError;
use portcullis_core::admin::apis::{self, ApiUpdate, NewApi};
use portcullis_core::management::builtin_api::is_management_api;
use portcullis_core::management::{Caller, ManagementError};
use portcullis_store::{Api, ApiScope, TokenDialect};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_resource_servers, create_resource_server))
        .routes(routes!(
            get_resource_server,
            update_resource_server,
            delete_resource_server
        ))
}

/// A permission an API defines.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScopeBody {
    pub value: String,
    #[serde(default)]
    pub description: String,
}

/// An API as Auth0 shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResourceServerBody {
    pub id: String,
    pub name: String,
    /// The audience clients ask for.
    pub identifier: String,
    pub scopes: Vec<ScopeBody>,
    pub signing_alg: String,
    /// Access-token lifetime in seconds.
    pub token_lifetime: i64,
    pub allow_offline_access: bool,
    pub skip_consent_for_verifiable_first_party_clients: bool,
    /// Auth0's "Enable RBAC": granted scopes limited to the user's permissions.
    pub enforce_policies: bool,
    /// `access_token`, or `access_token_authz` (a `permissions` array in access tokens).
    pub token_dialect: String,
    /// The built-in Management API.
    pub is_system: bool,
}

fn body(api: Api) -> ResourceServerBody {
    ResourceServerBody {
        is_system: is_management_api(&api),
        id: api.api_id,
        name: api.name,
        identifier: api.identifier,
        scopes: api
            .scopes
            .into_iter()
            .map(|s| ScopeBody {
                value: s.value,
                description: s.description,
            })
            .collect(),
        signing_alg: "RS256".to_owned(),
        token_lifetime: api.token_lifetime,
        allow_offline_access: api.allow_offline_access,
        skip_consent_for_verifiable_first_party_clients: true,
        enforce_policies: api.enforce_policies,
        token_dialect: api.token_dialect.as_str().to_owned(),
    }
}

/// Auth0's `token_dialect` values this provider knows (`access_token`,
/// `access_token_authz`); others are refused.
fn dialect(value: Option<String>) -> Result<Option<TokenDialect>, AdminError> {
    value
        .map(|v| {
            v.parse::<TokenDialect>().map_err(|_| {
                AdminError::invalid(
                    "token_dialect",
                    format!("{v:?}: use \"access_token\" or \"access_token_authz\""),
                )
            })
        })
        .transpose()
}

fn scopes(list: Vec<ScopeBody>) -> Vec<ApiScope> {
    list.into_iter()
        .map(|s| ApiScope {
            value: s.value,
            description: s.description,
        })
        .collect()
}

fn check_signing_alg(alg: Option<&str>) -> Result<(), AdminError> {
    match alg {
        None | Some("RS256") => Ok(()),
        Some(other) => Err(AdminError::invalid(
            "signing_alg",
            format!("{other:?} is not supported; tokens are signed with RS256"),
        )),
    }
}

/// Looks an API up by id or identifier, as Auth0 does.
async fn find(s: &AppState, id: &str) -> ApiResult<Api> {
    Ok(apis::get_api(s.provider.store.as_ref(), id).await?)
}

fn refuse_builtin(api: &Api) -> ApiResult<()> {
    if is_management_api(api) {
        return Err(ManagementError::forbidden(
            "The Management API is built in; it cannot be changed or deleted",
        )
        .into());
    }
    Ok(())
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListResourceServersQuery {
    /// Only APIs with these identifiers (comma-separated).
    pub identifiers: Option<String>,
}

/// List APIs.
#[utoipa::path(get, path = "/resource-servers", tag = "resource-servers",
    params(ListResourceServersQuery, Paging),
    responses((status = 200, description = "APIs (wrapped as {start, limit, length, total, resource_servers} with include_totals)", body = Vec<ResourceServerBody>),
        (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = ["read:resource_servers"])))]
async fn list_resource_servers(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiQuery(query): ApiQuery<ListResourceServersQuery>,
    ApiQuery(paging): ApiQuery<Paging>,
) -> ApiResult<Response> {
    caller.require(&["read:resource_servers"])?;
    let wanted: Option<Vec<&str>> = query
        .identifiers
        .as_deref()
        .map(|t| t.split(',').map(str::trim).collect());
    let all: Vec<Api> = apis::list_apis(s.provider.store.as_ref())
        .await?
        .into_iter()
        .filter(|a| {
            wanted
                .as_ref()
                .is_none_or(|w| w.contains(&a.identifier.as_str()))
        })
        .collect();
    listed(all, &paging, "resource_servers", body)
}

/// Get an API by id or identifier.
#[utoipa::path(get, path = "/resource-servers/{id}", tag = "resource-servers",
    params(("id" = String, Path, description = "The API's id or identifier")),
    responses((status = 200, body = ResourceServerBody), (status = 404, body = ErrorBody)),
    security(("bearer" = ["read:resource_servers"])))]
async fn get_resource_server(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<ResourceServerBody>> {
    caller.require(&["read:resource_servers"])?;
    Ok(Json(body(find(&s, &id).await?)))
}

/// `POST /resource-servers`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateResourceServerBody {
    pub identifier: String,
    /// Defaults to the identifier.
    pub name: Option<String>,
    pub scopes: Option<Vec<ScopeBody>>,
    /// Only `RS256`.
    pub signing_alg: Option<String>,
    /// Seconds, 1 to 2592000; default 86400.
    pub token_lifetime: Option<i64>,
    /// Default `false` (Auth0's default).
    pub allow_offline_access: Option<bool>,
    /// Accepted when `true` (first-party applications never see a consent page for APIs).
    pub skip_consent_for_verifiable_first_party_clients: Option<bool>,
    /// Auth0's "Enable RBAC" (default `false`).
    pub enforce_policies: Option<bool>,
    /// `access_token` (default) or `access_token_authz` (needs `enforce_policies`).
    pub token_dialect: Option<String>,
}

/// Create an API.
#[utoipa::path(post, path = "/resource-servers", tag = "resource-servers",
    request_body = CreateResourceServerBody,
    responses((status = 201, body = ResourceServerBody), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = ["create:resource_servers"])))]
async fn create_resource_server(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiJson(b): ApiJson<CreateResourceServerBody>,
) -> ApiResult<Response> {
    caller.require(&["create:resource_servers"])?;
    check_signing_alg(b.signing_alg.as_deref())?;
    if b.skip_consent_for_verifiable_first_party_clients == Some(false) {
        return Err(AdminError::invalid(
            "skip_consent_for_verifiable_first_party_clients",
            "must be true",
        )
        .into());
    }
    let p = &s.provider;
    let api = apis::create_api(
        p.store.as_ref(),
        NewApi {
            identifier: b.identifier,
            name: b.name,
            scopes: scopes(b.scopes.unwrap_or_default()),
            token_lifetime: b.token_lifetime,
            allow_offline_access: Some(b.allow_offline_access.unwrap_or(false)),
            introspection_clients: Vec::new(),
            enforce_policies: b.enforce_policies,
            token_dialect: dialect(b.token_dialect)?,
        },
        p.now(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(body(api))).into_response())
}

/// `PATCH /resource-servers/{id}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateResourceServerBody {
    pub name: Option<String>,
    /// Replaces the list; scopes dropped are removed from the API's client grants.
    pub scopes: Option<Vec<ScopeBody>>,
    pub signing_alg: Option<String>,
    pub token_lifetime: Option<i64>,
    pub allow_offline_access: Option<bool>,
    pub skip_consent_for_verifiable_first_party_clients: Option<bool>,
    /// Auth0's "Enable RBAC".
    pub enforce_policies: Option<bool>,
    /// `access_token` or `access_token_authz` (needs `enforce_policies`).
    pub token_dialect: Option<String>,
}

/// Update an API (its identifier cannot change).
#[utoipa::path(patch, path = "/resource-servers/{id}", tag = "resource-servers",
    request_body = UpdateResourceServerBody,
    params(("id" = String, Path, description = "The API's id or identifier")),
    responses((status = 200, body = ResourceServerBody), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = ["update:resource_servers"])))]
async fn update_resource_server(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<String>,
    ApiJson(b): ApiJson<UpdateResourceServerBody>,
) -> ApiResult<Json<ResourceServerBody>> {
    caller.require(&["update:resource_servers"])?;
    check_signing_alg(b.signing_alg.as_deref())?;
    if b.skip_consent_for_verifiable_first_party_clients == Some(false) {
        return Err(AdminError::invalid(
            "skip_consent_for_verifiable_first_party_clients",
            "must be true",
        )
        .into());
    }
    let api = find(&s, &id).await?;
    refuse_builtin(&api)?;
    let p = &s.provider;
    let updated = apis::update_api(
        p.store.as_ref(),
        &api.api_id,
        ApiUpdate {
            name: b.name,
            scopes: b.scopes.map(scopes),
            token_lifetime: b.token_lifetime,
            allow_offline_access: b.allow_offline_access,
            introspection_clients: None,
            enforce_policies: b.enforce_policies,
            token_dialect: dialect(b.token_dialect)?,
        },
        p.now(),
    )
    .await?;
    Ok(Json(body(updated.api)))
}

/// Delete an API with its client grants.
#[utoipa::path(delete, path = "/resource-servers/{id}", tag = "resource-servers",
    params(("id" = String, Path, description = "The API's id or identifier")),
    responses((status = 204, description = "Deleted"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = ["delete:resource_servers"])))]
async fn delete_resource_server(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    caller.require(&["delete:resource_servers"])?;
    let api = find(&s, &id).await?;
    refuse_builtin(&api)?;
    apis::delete_api(s.provider.store.as_ref(), &api.api_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
