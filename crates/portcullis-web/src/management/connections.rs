//! `/api/v2/connections`: where users come from. Today only the built-in database connection
//! `Username-Password-Authentication`, enabled for every application.

use super::error::{ApiResult, ErrorBody};
use super::extract::{ApiPath, ApiQuery};
use super::paging::{Paging, listed};
use crate::state::AppState;
use axum::extract::State;
use axum::response::Response;
use axum::{Extension, Json};
use portcullis_core::management::connections::{
    DATABASE_CONNECTION, DATABASE_CONNECTION_ID, DATABASE_STRATEGY,
};
use portcullis_core::management::{Caller, ManagementError};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_connections))
        .routes(routes!(get_connection))
}

/// A connection as Auth0 shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConnectionBody {
    pub id: String,
    pub name: String,
    pub display_name: String,
    /// `auth0` for the database connection.
    pub strategy: String,
    pub realms: Vec<String>,
    pub is_domain_connection: bool,
    /// The applications that may use it (every one).
    pub enabled_clients: Vec<String>,
    pub options: ConnectionOptions,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConnectionOptions {
    /// Whether people may sign up on the hosted page.
    pub disable_signup: bool,
    pub requires_username: bool,
    pub brute_force_protection: bool,
}

async fn database(s: &AppState) -> ApiResult<ConnectionBody> {
    let p = &s.provider;
    let enabled_clients = p
        .store
        .list_clients()
        .await?
        .into_iter()
        .map(|c| c.client_id)
        .collect();
    let signup = portcullis_core::accounts::signup_enabled(p)
        .await
        .map_err(portcullis_core::management::ManagementError::from)?;
    Ok(ConnectionBody {
        id: DATABASE_CONNECTION_ID.to_owned(),
        name: DATABASE_CONNECTION.to_owned(),
        display_name: DATABASE_CONNECTION.to_owned(),
        strategy: DATABASE_STRATEGY.to_owned(),
        realms: vec![DATABASE_CONNECTION.to_owned()],
        is_domain_connection: false,
        enabled_clients,
        options: ConnectionOptions {
            disable_signup: !signup,
            requires_username: false,
            brute_force_protection: true,
        },
    })
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListConnectionsQuery {
    /// Only connections of this strategy (`auth0`).
    pub strategy: Option<String>,
    /// Only the connection of this name.
    pub name: Option<String>,
}

/// List connections.
#[utoipa::path(get, path = "/connections", tag = "connections",
    params(ListConnectionsQuery, Paging),
    responses((status = 200, description = "Connections (wrapped as {start, limit, length, total, connections} with include_totals)", body = Vec<ConnectionBody>),
        (status = 403, body = ErrorBody)),
    security(("bearer" = ["read:connections"])))]
async fn list_connections(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiQuery(query): ApiQuery<ListConnectionsQuery>,
    ApiQuery(paging): ApiQuery<Paging>,
) -> ApiResult<Response> {
    caller.require(&["read:connections"])?;
    let all: Vec<ConnectionBody> = vec![database(&s).await?]
        .into_iter()
        .filter(|c| query.strategy.as_ref().is_none_or(|st| &c.strategy == st))
        .filter(|c| query.name.as_ref().is_none_or(|n| &c.name == n))
        .collect();
    listed(all, &paging, "connections", |c| c)
}

/// Get a connection by id.
#[utoipa::path(get, path = "/connections/{id}", tag = "connections",
    params(("id" = String, Path, description = "The connection id")),
    responses((status = 200, body = ConnectionBody), (status = 404, body = ErrorBody)),
    security(("bearer" = ["read:connections"])))]
async fn get_connection(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<ConnectionBody>> {
    caller.require(&["read:connections"])?;
    if id != DATABASE_CONNECTION_ID {
        return Err(ManagementError::not_found(
            "inexistent_connection",
            "The connection does not exist",
        )
        .into());
    }
    Ok(Json(database(&s).await?))
}
