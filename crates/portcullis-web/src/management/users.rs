//! `/api/v2/users`, `/api/v2/users-by-email` and a user's sessions, in Auth0's shapes.

use super::error::{ApiError, ApiResult, ErrorBody};
use super::extract::{ApiJson, ApiPath, ApiQuery};
use super::paging::{Paging, select};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use portcullis_core::accounts::profile;
use portcullis_core::admin::Secret;
use portcullis_core::management::connections::DATABASE_CONNECTION;
use portcullis_core::management::time::iso8601;
use portcullis_core::management::user_query;
use portcullis_core::management::users::{self, CreateUser, Sort, UserPatch};
use portcullis_core::management::{Caller, ManagementError};
use portcullis_core::upstream::accounts::identities;
use portcullis_store::{Metadata, Session, User};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_users, create_user))
        .routes(routes!(get_user, update_user, delete_user))
        .routes(routes!(users_by_email))
        .routes(routes!(user_sessions, end_user_sessions))
}

/// A user as Auth0 shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserBody {
    pub user_id: String,
    pub email: String,
    pub email_verified: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nickname: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub picture: Option<String>,
    pub blocked: bool,
    /// ISO 8601.
    pub created_at: String,
    pub updated_at: String,
    /// Every connection the user signs in with: `{connection, provider, user_id, isSocial}`
    /// (upstream ones with `profileData`).
    #[schema(value_type = Vec<Object>)]
    pub identities: Vec<Value>,
    #[schema(value_type = Object)]
    pub app_metadata: Metadata,
    #[schema(value_type = Object)]
    pub user_metadata: Metadata,
}

impl UserBody {
    /// The body of `user`, with `identities` as Auth0 lists them: the database connection's
    /// (when the user has a password there) and each upstream account
    /// ([`portcullis_core::upstream::accounts::identities`]).
    pub async fn of(s: &AppState, user: User) -> ApiResult<UserBody> {
        let identities = identities(s.provider.store.as_ref(), &user)
            .await
            .map_err(ManagementError::from)?;
        Ok(UserBody {
            identities,
            user_id: user.user_id,
            email: user.email,
            email_verified: user.email_verified,
            name: user.name,
            given_name: user.given_name,
            family_name: user.family_name,
            nickname: user.nickname,
            picture: user.picture,
            blocked: user.blocked,
            created_at: iso8601(user.created_at),
            updated_at: iso8601(user.updated_at),
            app_metadata: user.app_metadata,
            user_metadata: user.user_metadata,
        })
    }
}

/// Auth0's `fields` and `include_fields`: keep only (or drop) the named properties.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Fields {
    /// Comma-separated properties to include (or, with `include_fields=false`, exclude).
    pub fields: Option<String>,
    /// Whether `fields` lists what to include (default) or what to exclude.
    pub include_fields: Option<bool>,
}

impl Fields {
    fn project(&self, user: UserBody) -> Value {
        let mut value = serde_json::to_value(user).unwrap_or(Value::Null);
        if let (Some(fields), Value::Object(map)) = (&self.fields, &mut value) {
            let named: Vec<&str> = fields.split(',').map(str::trim).collect();
            let include = self.include_fields.unwrap_or(true);
            map.retain(|k, _| named.contains(&k.as_str()) == include);
        }
        value
    }
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListUsersQuery {
    /// A query in Auth0's user search syntax (see docs/management-api.md for the subset).
    pub q: Option<String>,
    /// `v3` (or `v2`); the only search there is.
    pub search_engine: Option<String>,
    /// `field:1` or `field:-1`: `created_at`, `updated_at`, `email`, `name`, `user_id`.
    pub sort: Option<String>,
    /// Only users of this connection.
    pub connection: Option<String>,
}

/// List or search users.
#[utoipa::path(get, path = "/users", tag = "users",
    params(ListUsersQuery, Paging, Fields),
    responses(
        (status = 200, description = "The users (wrapped as {start, limit, length, total, users} with include_totals)", body = Vec<UserBody>),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 429, body = ErrorBody),
    ),
    security(("bearer" = ["read:users"])))]
async fn list_users(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiQuery(query): ApiQuery<ListUsersQuery>,
    ApiQuery(paging): ApiQuery<Paging>,
    ApiQuery(fields): ApiQuery<Fields>,
) -> ApiResult<Response> {
    caller.require(&["read:users"])?;
    if let Some(engine) = &query.search_engine
        && !matches!(engine.as_str(), "v2" | "v3")
    {
        return Err(ManagementError::invalid_query(
            "Query validation error: 'search_engine' must be v3",
        )
        .into());
    }
    let parsed = match query.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        Some(q) => Some(user_query::parse(q)?),
        None => None,
    };
    let sort = query.sort.as_deref().map(Sort::parse).transpose()?;
    let mut found = users::search(&s.provider, parsed.as_ref(), sort.as_ref()).await?;
    if let Some(connection) = &query.connection
        && connection != DATABASE_CONNECTION
    {
        found.clear();
    }
    // Identities are loaded for the page's users only.
    let mut page = select(found, &paging)?;
    let mut bodies = Vec::with_capacity(page.items.len());
    for user in std::mem::take(&mut page.items) {
        bodies.push(fields.project(UserBody::of(&s, user).await?));
    }
    Ok(page.with_items(bodies).render("users", |v| v))
}

/// Get a user.
#[utoipa::path(get, path = "/users/{id}", tag = "users",
    params(("id" = String, Path, description = "The user id, e.g. auth0|abc"), Fields),
    responses((status = 200, body = UserBody), (status = 404, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = ["read:users"])))]
async fn get_user(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(fields): ApiQuery<Fields>,
) -> ApiResult<Json<Value>> {
    caller.require(&["read:users"])?;
    let user = users::get(&s.provider, &id).await?;
    Ok(Json(fields.project(UserBody::of(&s, user).await?)))
}

/// `POST /users`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUserBody {
    /// `Username-Password-Authentication`.
    pub connection: String,
    pub email: String,
    pub password: Option<String>,
    /// Without a provider prefix it becomes `auth0|<user_id>`.
    pub user_id: Option<String>,
    pub email_verified: Option<bool>,
    /// `true` mails the user a link that verifies their address (unless `email_verified`).
    pub verify_email: Option<bool>,
    pub name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub nickname: Option<String>,
    pub picture: Option<String>,
    pub blocked: Option<bool>,
    #[schema(value_type = Object)]
    pub app_metadata: Option<Metadata>,
    #[schema(value_type = Object)]
    pub user_metadata: Option<Metadata>,
}

/// Create a user in the database connection.
#[utoipa::path(post, path = "/users", tag = "users", request_body = CreateUserBody,
    responses((status = 201, body = UserBody), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = ["create:users"])))]
async fn create_user(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiJson(body): ApiJson<CreateUserBody>,
) -> ApiResult<Response> {
    caller.require(&["create:users"])?;
    let verify_email = body.verify_email == Some(true);
    let user = users::create(
        &s.provider,
        CreateUser {
            connection: body.connection,
            email: body.email,
            password: body.password.map(Secret::new),
            user_id: body.user_id,
            email_verified: body.email_verified.unwrap_or(false),
            name: body.name,
            given_name: body.given_name,
            family_name: body.family_name,
            nickname: body.nickname,
            picture: body.picture,
            blocked: body.blocked.unwrap_or(false),
            app_metadata: body.app_metadata.unwrap_or_default(),
            user_metadata: body.user_metadata.unwrap_or_default(),
        },
    )
    .await?;
    if verify_email {
        send_verification(&s, &user).await;
    }
    Ok((StatusCode::CREATED, Json(UserBody::of(&s, user).await?)).into_response())
}

/// `PATCH /users/{id}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUserBody {
    pub connection: Option<String>,
    pub email: Option<String>,
    pub email_verified: Option<bool>,
    /// `true` mails the user a link that verifies their address (unless it is verified).
    pub verify_email: Option<bool>,
    /// A new password: the user's sessions end and their tokens are revoked.
    pub password: Option<String>,
    pub name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub nickname: Option<String>,
    pub picture: Option<String>,
    /// `true` ends the user's sessions and revokes their tokens.
    pub blocked: Option<bool>,
    /// Merged: each property replaces the stored one, `null` removes it, `{}` clears all.
    #[schema(value_type = Object)]
    pub app_metadata: Option<Metadata>,
    #[schema(value_type = Object)]
    pub user_metadata: Option<Metadata>,
}

impl UpdateUserBody {
    /// Whether only metadata changes (what `update:users_app_metadata` allows).
    fn only_metadata(&self) -> bool {
        self.connection.is_none()
            && self.email.is_none()
            && self.email_verified.is_none()
            && self.password.is_none()
            && self.name.is_none()
            && self.given_name.is_none()
            && self.family_name.is_none()
            && self.nickname.is_none()
            && self.picture.is_none()
            && self.blocked.is_none()
    }
}

/// Update a user.
#[utoipa::path(patch, path = "/users/{id}", tag = "users", request_body = UpdateUserBody,
    params(("id" = String, Path, description = "The user id")),
    responses((status = 200, body = UserBody), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = ["update:users", "update:users_app_metadata"])))]
async fn update_user(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<UpdateUserBody>,
) -> ApiResult<Json<UserBody>> {
    if body.only_metadata() {
        caller.require(&["update:users", "update:users_app_metadata"])?;
    } else {
        caller.require(&["update:users"])?;
    }
    let verify_email = body.verify_email == Some(true);
    let user = users::patch(
        &s.provider,
        &id,
        UserPatch {
            connection: body.connection,
            email: body.email,
            email_verified: body.email_verified,
            password: body.password.map(Secret::new),
            name: body.name,
            given_name: body.given_name,
            family_name: body.family_name,
            nickname: body.nickname,
            picture: body.picture,
            blocked: body.blocked,
            app_metadata: body.app_metadata,
            user_metadata: body.user_metadata,
        },
    )
    .await?;
    if verify_email {
        send_verification(&s, &user).await;
    }
    Ok(Json(UserBody::of(&s, user).await?))
}

/// Mails the user a link that verifies their address (`verify_email: true`), as the account
/// page does, unless it is verified already. The user is stored either way: a mail that cannot
/// be queued (the address is throttled, the database failed) is logged, not reported, so that a
/// retried call does not meet a 409.
async fn send_verification(s: &AppState, user: &User) {
    let p = &s.provider;
    let link = |token: &str| p.config.issuer.endpoint(&format!("u/verify?token={token}"));
    if let Err(e) = profile::send_verification(p, user, &link, crate::ui::lang()).await {
        tracing::warn!(user_id = %user.user_id, error = %e, "management API: verification mail not sent");
    }
}

/// Delete a user with their sessions, grants and tokens.
#[utoipa::path(delete, path = "/users/{id}", tag = "users",
    params(("id" = String, Path, description = "The user id")),
    responses((status = 204, description = "Deleted"), (status = 404, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = ["delete:users"])))]
async fn delete_user(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    caller.require(&["delete:users"])?;
    users::delete(&s.provider, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ByEmailQuery {
    /// The email address (compared case-insensitively).
    pub email: Option<String>,
}

/// Users with this email address (at most one: addresses are unique).
#[utoipa::path(get, path = "/users-by-email", tag = "users", params(ByEmailQuery, Fields),
    responses((status = 200, body = Vec<UserBody>), (status = 400, body = ErrorBody)),
    security(("bearer" = ["read:users"])))]
async fn users_by_email(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiQuery(query): ApiQuery<ByEmailQuery>,
    ApiQuery(fields): ApiQuery<Fields>,
) -> ApiResult<Json<Vec<Value>>> {
    caller.require(&["read:users"])?;
    let Some(email) = query.email.filter(|e| !e.trim().is_empty()) else {
        return Err(ManagementError::invalid_query(
            "Query validation error: 'Missing required property: email'",
        )
        .into());
    };
    if email.len() > 512 {
        return Ok(Json(Vec::new()));
    }
    let found = s
        .provider
        .store
        .get_user_by_email(&portcullis_core::email::canonical(&email))
        .await
        .map_err(ApiError::from)?;
    let mut bodies = Vec::new();
    if let Some(user) = found {
        bodies.push(fields.project(UserBody::of(&s, user).await?));
    }
    Ok(Json(bodies))
}

/// A session as Auth0 shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionBody {
    pub id: String,
    pub user_id: String,
    pub created_at: String,
    pub updated_at: String,
    pub authenticated_at: String,
    pub idle_expires_at: String,
    pub expires_at: String,
    /// The applications signed in through the session.
    pub clients: Vec<SessionClient>,
    pub authentication: SessionAuthentication,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionClient {
    pub client_id: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionAuthentication {
    pub methods: Vec<AuthenticationMethod>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuthenticationMethod {
    /// `pwd`: a password.
    pub name: String,
    pub timestamp: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionsBody {
    pub sessions: Vec<SessionBody>,
}

fn session_body(session: Session, clients: Vec<String>) -> SessionBody {
    SessionBody {
        id: session.session_id,
        user_id: session.user_id,
        created_at: iso8601(session.created_at),
        updated_at: iso8601(session.created_at),
        authenticated_at: iso8601(session.auth_time),
        idle_expires_at: iso8601(session.idle_expires_at),
        expires_at: iso8601(session.expires_at),
        clients: clients
            .into_iter()
            .map(|client_id| SessionClient { client_id })
            .collect(),
        authentication: SessionAuthentication {
            methods: vec![AuthenticationMethod {
                name: "pwd".to_owned(),
                timestamp: iso8601(session.auth_time),
            }],
        },
    }
}

/// The user's live sessions, oldest first.
#[utoipa::path(get, path = "/users/{id}/sessions", tag = "users",
    params(("id" = String, Path, description = "The user id")),
    responses((status = 200, body = SessionsBody), (status = 404, body = ErrorBody)),
    security(("bearer" = ["read:sessions"])))]
async fn user_sessions(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<SessionsBody>> {
    caller.require(&["read:sessions"])?;
    let p = &s.provider;
    users::get(p, &id).await?;
    let now = p.now();
    let mut sessions = Vec::new();
    for session in p.store.list_user_sessions(&id).await? {
        if session.expires_at <= now || session.idle_expires_at <= now {
            continue;
        }
        let clients = p.store.session_client_ids(&session.session_id).await?;
        sessions.push(session_body(session, clients));
    }
    Ok(Json(SessionsBody { sessions }))
}

/// End every session of the user (the applications that took part are told by back-channel
/// logout) and revoke their refresh and access tokens.
#[utoipa::path(delete, path = "/users/{id}/sessions", tag = "users",
    params(("id" = String, Path, description = "The user id")),
    responses((status = 204, description = "Ended"), (status = 404, body = ErrorBody)),
    security(("bearer" = ["delete:sessions"])))]
async fn end_user_sessions(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    caller.require(&["delete:sessions"])?;
    let p = &s.provider;
    users::get(p, &id).await?;
    portcullis_core::sessions::end_all_for_user(p, &id)
        .await
        .map_err(ManagementError::from)?;
    Ok(StatusCode::NO_CONTENT)
}
