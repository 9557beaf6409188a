//! `/api/v2/clients`: applications, in Auth0's shape. Secrets are stored only as keyed hashes,
//! so `client_secret` appears only in the answers that create one (creation of a confidential
//! application and `rotate-secret`).

use super::error::{ApiResult, ErrorBody};
use super::extract::{ApiJson, ApiPath, ApiQuery};
use super::paging::{Paging, listed};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use portcullis_core::admin::apps::{self, AppUpdate, NewApp};
use portcullis_core::admin::{AdminError, Secret};
use portcullis_core::management::Caller;
use portcullis_store::{ApplicationType, Client, GrantType, TokenEndpointAuthMethod};
use serde::{Deserialize, Serialize};
use std::str::FromStr;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_clients, create_client))
        .routes(routes!(get_client, update_client, delete_client))
        .routes(routes!(rotate_secret))
}

/// An application as Auth0 shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClientBody {
    pub client_id: String,
    pub name: String,
    /// `regular_web`, `spa`, `native` or `non_interactive`.
    pub app_type: String,
    pub is_first_party: bool,
    pub callbacks: Vec<String>,
    pub allowed_logout_urls: Vec<String>,
    pub web_origins: Vec<String>,
    pub grant_types: Vec<String>,
    /// `client_secret_post`, `client_secret_basic` or `none`.
    pub token_endpoint_auth_method: String,
    pub oidc_conformant: bool,
    pub jwt_configuration: JwtConfiguration,
    pub oidc_logout: OidcLogout,
    /// Only when this answer created it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct JwtConfiguration {
    pub alg: String,
}

/// Back-channel logout (OpenID Connect Back-Channel Logout 1.0).
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
pub struct OidcLogout {
    #[serde(default)]
    pub backchannel_logout_urls: Vec<String>,
}

fn body(client: Client, secret: Option<Secret>) -> ClientBody {
    ClientBody {
        client_id: client.client_id,
        name: client.name,
        app_type: client.app_type.as_str().to_owned(),
        is_first_party: client.first_party,
        callbacks: client.redirect_uris,
        allowed_logout_urls: client.post_logout_redirect_uris,
        web_origins: client.web_origins,
        grant_types: client
            .grant_types
            .iter()
            .map(|g| g.as_str().to_owned())
            .collect(),
        token_endpoint_auth_method: client.token_endpoint_auth_method.as_str().to_owned(),
        oidc_conformant: true,
        jwt_configuration: JwtConfiguration {
            alg: "RS256".to_owned(),
        },
        oidc_logout: OidcLogout {
            backchannel_logout_urls: client.backchannel_logout_uri.into_iter().collect(),
        },
        client_secret: secret.map(|s| s.expose().to_owned()),
    }
}

fn parse<T: FromStr>(field: &'static str, value: &str, allowed: &str) -> Result<T, AdminError> {
    T::from_str(value).map_err(|_| {
        AdminError::invalid(field, format!("{value:?} is not supported; use {allowed}"))
    })
}

fn grant_types(values: Vec<String>) -> Result<Vec<GrantType>, AdminError> {
    values
        .iter()
        .map(|g| {
            parse(
                "grant_types",
                g,
                "authorization_code, refresh_token, implicit or client_credentials",
            )
        })
        .collect()
}

fn auth_method(value: &str) -> Result<TokenEndpointAuthMethod, AdminError> {
    parse(
        "token_endpoint_auth_method",
        value,
        "client_secret_post, client_secret_basic or none",
    )
}

/// At most one back-channel logout URL.
fn backchannel(logout: Option<OidcLogout>) -> Result<Option<Option<String>>, AdminError> {
    match logout {
        None => Ok(None),
        Some(l) if l.backchannel_logout_urls.len() > 1 => Err(AdminError::invalid(
            "oidc_logout.backchannel_logout_urls",
            "at most one URL",
        )),
        Some(l) => Ok(Some(l.backchannel_logout_urls.into_iter().next())),
    }
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListClientsQuery {
    /// Only applications of these types (comma-separated).
    pub app_type: Option<String>,
    /// Only first-party (`true`) or third-party (`false`) applications.
    pub is_first_party: Option<bool>,
}

/// List applications.
#[utoipa::path(get, path = "/clients", tag = "clients", params(ListClientsQuery, Paging),
    responses((status = 200, description = "Applications (wrapped as {start, limit, length, total, clients} with include_totals)", body = Vec<ClientBody>),
        (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = ["read:clients"])))]
async fn list_clients(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiQuery(query): ApiQuery<ListClientsQuery>,
    ApiQuery(paging): ApiQuery<Paging>,
) -> ApiResult<Response> {
    caller.require(&["read:clients"])?;
    let types: Option<Vec<&str>> = query
        .app_type
        .as_deref()
        .map(|t| t.split(',').map(str::trim).collect());
    let all: Vec<Client> = apps::list_apps(s.provider.store.as_ref())
        .await?
        .into_iter()
        .filter(|c| {
            types
                .as_ref()
                .is_none_or(|t| t.contains(&c.app_type.as_str()))
        })
        .filter(|c| query.is_first_party.is_none_or(|f| c.first_party == f))
        .collect();
    listed(all, &paging, "clients", |c| body(c, None))
}

/// Get an application.
#[utoipa::path(get, path = "/clients/{id}", tag = "clients",
    params(("id" = String, Path, description = "The client_id")),
    responses((status = 200, body = ClientBody), (status = 404, body = ErrorBody)),
    security(("bearer" = ["read:clients"])))]
async fn get_client(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<ClientBody>> {
    caller.require(&["read:clients"])?;
    let client = apps::get_app(s.provider.store.as_ref(), &id).await?;
    Ok(Json(body(client, None)))
}

/// `POST /clients`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateClientBody {
    pub name: String,
    /// Default `regular_web`.
    pub app_type: Option<String>,
    /// Default `true`.
    pub is_first_party: Option<bool>,
    pub callbacks: Option<Vec<String>>,
    pub allowed_logout_urls: Option<Vec<String>>,
    pub web_origins: Option<Vec<String>>,
    /// Default: those of the type (Auth0's defaults).
    pub grant_types: Option<Vec<String>>,
    pub token_endpoint_auth_method: Option<String>,
    pub oidc_logout: Option<OidcLogout>,
    /// Accepted when it is `true` (every application is OIDC-conformant here).
    pub oidc_conformant: Option<bool>,
}

/// Create an application; a confidential one's generated `client_secret` is in the answer.
#[utoipa::path(post, path = "/clients", tag = "clients", request_body = CreateClientBody,
    responses((status = 201, body = ClientBody), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = ["create:clients"])))]
async fn create_client(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiJson(b): ApiJson<CreateClientBody>,
) -> ApiResult<Response> {
    caller.require(&["create:clients"])?;
    if b.oidc_conformant == Some(false) {
        return Err(AdminError::invalid("oidc_conformant", "must be true").into());
    }
    let app_type: ApplicationType = match &b.app_type {
        Some(t) => parse("app_type", t, "regular_web, spa, native or non_interactive")?,
        None => ApplicationType::RegularWeb,
    };
    let mut new = NewApp::new(b.name, app_type);
    new.callbacks = b.callbacks.unwrap_or_default();
    new.logout_urls = b.allowed_logout_urls.unwrap_or_default();
    new.web_origins = b.web_origins.unwrap_or_default();
    new.first_party = b.is_first_party;
    new.grant_types = b.grant_types.map(grant_types).transpose()?;
    new.auth_method = b
        .token_endpoint_auth_method
        .as_deref()
        .map(auth_method)
        .transpose()?;
    new.backchannel_logout_uri = backchannel(b.oidc_logout)?.flatten();
    let p = &s.provider;
    let created = apps::create_app(p.store.as_ref(), &p.hasher, new, p.now()).await?;
    Ok((
        StatusCode::CREATED,
        Json(body(created.client, created.secret)),
    )
        .into_response())
}

/// `PATCH /clients/{id}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateClientBody {
    pub name: Option<String>,
    pub is_first_party: Option<bool>,
    pub callbacks: Option<Vec<String>>,
    pub allowed_logout_urls: Option<Vec<String>>,
    pub web_origins: Option<Vec<String>>,
    pub grant_types: Option<Vec<String>>,
    pub token_endpoint_auth_method: Option<String>,
    pub oidc_logout: Option<OidcLogout>,
}

/// Update an application. Lists replace the stored ones.
#[utoipa::path(patch, path = "/clients/{id}", tag = "clients", request_body = UpdateClientBody,
    params(("id" = String, Path, description = "The client_id")),
    responses((status = 200, body = ClientBody), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = ["update:clients"])))]
async fn update_client(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<String>,
    ApiJson(b): ApiJson<UpdateClientBody>,
) -> ApiResult<Json<ClientBody>> {
    caller.require(&["update:clients"])?;
    let update = AppUpdate {
        name: b.name,
        callbacks: b.callbacks,
        logout_urls: b.allowed_logout_urls,
        web_origins: b.web_origins,
        backchannel_logout_uri: backchannel(b.oidc_logout)?,
        first_party: b.is_first_party,
        grant_types: b.grant_types.map(grant_types).transpose()?,
        auth_method: b
            .token_endpoint_auth_method
            .as_deref()
            .map(auth_method)
            .transpose()?,
    };
    let p = &s.provider;
    let updated = apps::update_app(p.store.as_ref(), &p.hasher, &id, update, p.now()).await?;
    Ok(Json(body(updated.client, updated.secret)))
}

/// Delete an application with its grants and tokens.
#[utoipa::path(delete, path = "/clients/{id}", tag = "clients",
    params(("id" = String, Path, description = "The client_id")),
    responses((status = 204, description = "Deleted"), (status = 404, body = ErrorBody)),
    security(("bearer" = ["delete:clients"])))]
async fn delete_client(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    caller.require(&["delete:clients"])?;
    apps::delete_app(s.provider.store.as_ref(), &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Replace a confidential application's secret; the new one is in the answer, the old one
/// stops working at once.
#[utoipa::path(post, path = "/clients/{id}/rotate-secret", tag = "clients",
    params(("id" = String, Path, description = "The client_id")),
    responses((status = 200, body = ClientBody), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = ["update:client_keys"])))]
async fn rotate_secret(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<ClientBody>> {
    caller.require(&["update:client_keys"])?;
    let p = &s.provider;
    let secret = apps::rotate_secret(p.store.as_ref(), &p.hasher, &id, p.now()).await?;
    let client = apps::get_app(p.store.as_ref(), &id).await?;
    Ok(Json(body(client, Some(secret))))
}
