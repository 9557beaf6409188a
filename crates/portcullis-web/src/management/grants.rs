//! `/api/v2/client-grants`: which application may get tokens for which API, with which scopes
//! (the M2M grants of the tenant file and `portcullis grants`).

use super::error::{ApiResult, ErrorBody};
use super::extract::{ApiJson, ApiPath, ApiQuery};
use super::paging::{Paging, listed};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use portcullis_core::admin::grants;
use portcullis_core::management::{Caller, ManagementError};
use portcullis_store::ClientGrant;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_client_grants, create_client_grant))
        .routes(routes!(
            get_client_grant,
            update_client_grant,
            delete_client_grant
        ))
}

/// A client grant as Auth0 shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClientGrantBody {
    pub id: String,
    pub client_id: String,
    /// The API identifier.
    pub audience: String,
    pub scope: Vec<String>,
}

fn body(g: ClientGrant) -> ClientGrantBody {
    ClientGrantBody {
        id: g.grant_id,
        client_id: g.client_id,
        audience: g.audience,
        scope: g.scopes,
    }
}

async fn find(s: &AppState, id: &str) -> ApiResult<ClientGrant> {
    s.provider
        .store
        .list_client_grants()
        .await?
        .into_iter()
        .find(|g| g.grant_id == id)
        .ok_or_else(|| {
            ManagementError::not_found("inexistent_client_grant", "The client grant does not exist")
                .into()
        })
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListClientGrantsQuery {
    /// Only grants for this API identifier.
    pub audience: Option<String>,
    /// Only grants of this application.
    pub client_id: Option<String>,
}

/// List client grants.
#[utoipa::path(get, path = "/client-grants", tag = "client-grants",
    params(ListClientGrantsQuery, Paging),
    responses((status = 200, description = "Grants (wrapped as {start, limit, length, total, client_grants} with include_totals)", body = Vec<ClientGrantBody>),
        (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = ["read:client_grants"])))]
async fn list_client_grants(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiQuery(query): ApiQuery<ListClientGrantsQuery>,
    ApiQuery(paging): ApiQuery<Paging>,
) -> ApiResult<Response> {
    caller.require(&["read:client_grants"])?;
    let all: Vec<ClientGrant> = grants::list_grants(s.provider.store.as_ref())
        .await?
        .into_iter()
        .filter(|g| query.audience.as_ref().is_none_or(|a| &g.audience == a))
        .filter(|g| query.client_id.as_ref().is_none_or(|c| &g.client_id == c))
        .collect();
    listed(all, &paging, "client_grants", body)
}

/// `POST /client-grants`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateClientGrantBody {
    pub client_id: String,
    /// The API identifier.
    pub audience: String,
    /// Scopes the API defines.
    pub scope: Vec<String>,
}

/// Grant an application access to an API.
#[utoipa::path(post, path = "/client-grants", tag = "client-grants",
    request_body = CreateClientGrantBody,
    responses((status = 201, body = ClientGrantBody), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = ["create:client_grants"])))]
async fn create_client_grant(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiJson(b): ApiJson<CreateClientGrantBody>,
) -> ApiResult<Response> {
    caller.require(&["create:client_grants"])?;
    let p = &s.provider;
    let grant = grants::create_grant(
        p.store.as_ref(),
        &b.client_id,
        &b.audience,
        b.scope,
        p.now(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(body(grant))).into_response())
}

/// Get a client grant.
#[utoipa::path(get, path = "/client-grants/{id}", tag = "client-grants",
    params(("id" = String, Path, description = "The grant id")),
    responses((status = 200, body = ClientGrantBody), (status = 404, body = ErrorBody)),
    security(("bearer" = ["read:client_grants"])))]
async fn get_client_grant(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<ClientGrantBody>> {
    caller.require(&["read:client_grants"])?;
    Ok(Json(body(find(&s, &id).await?)))
}

/// `PATCH /client-grants/{id}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateClientGrantBody {
    /// Replaces the scopes.
    pub scope: Vec<String>,
}

/// Change a grant's scopes.
#[utoipa::path(patch, path = "/client-grants/{id}", tag = "client-grants",
    request_body = UpdateClientGrantBody,
    params(("id" = String, Path, description = "The grant id")),
    responses((status = 200, body = ClientGrantBody), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = ["update:client_grants"])))]
async fn update_client_grant(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<String>,
    ApiJson(b): ApiJson<UpdateClientGrantBody>,
) -> ApiResult<Json<ClientGrantBody>> {
    caller.require(&["update:client_grants"])?;
    let grant = find(&s, &id).await?;
    let updated = grants::update_grant(
        s.provider.store.as_ref(),
        &grant.client_id,
        &grant.audience,
        b.scope,
    )
    .await?;
    Ok(Json(body(updated)))
}

/// Delete a grant (tokens already issued stay valid until they expire).
#[utoipa::path(delete, path = "/client-grants/{id}", tag = "client-grants",
    params(("id" = String, Path, description = "The grant id")),
    responses((status = 204, description = "Deleted"), (status = 404, body = ErrorBody)),
    security(("bearer" = ["delete:client_grants"])))]
async fn delete_client_grant(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    caller.require(&["delete:client_grants"])?;
    let grant = find(&s, &id).await?;
    grants::delete_grant(s.provider.store.as_ref(), &grant.client_id, &grant.audience).await?;
    Ok(StatusCode::NO_CONTENT)
}
