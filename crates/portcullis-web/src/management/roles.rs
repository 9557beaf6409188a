//! `/api/v2/roles` (Auth0's RBAC: roles, their permissions and their users) and a user's roles
//! and permissions (`/api/v2/users/{id}/roles`, `/api/v2/users/{id}/permissions`), in Auth0's
//! shapes. Tokens read roles and permissions when they are issued, so a change takes effect in
//! the user's next token (`docs/rbac.md`).

use super::error::{ApiResult, ErrorBody};
use super::extract::{ApiJson, ApiPath, ApiQuery};
use super::paging::{Paging, listed};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::{Extension, Json};
use portcullis_core::admin::roles::{self, NewRole, RoleUpdate};
use portcullis_core::management::users;
use portcullis_core::management::{Caller, ManagementError};
use portcullis_store::{Api, Permission, Role, User};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The most items one assignment call takes (Auth0 also caps these lists).
const MAX_ITEMS: usize = 1000;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_roles, create_role))
        .routes(routes!(get_role, update_role, delete_role))
        .routes(routes!(
            role_permissions,
            add_role_permissions,
            remove_role_permissions
        ))
        .routes(routes!(role_users, assign_role_users))
        .routes(routes!(user_roles, assign_user_roles, remove_user_roles))
        .routes(routes!(user_permissions))
}

/// A role as Auth0 shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct RoleBody {
    /// `rol_…`.
    pub id: String,
    pub name: String,
    pub description: String,
}

fn role_body(role: Role) -> RoleBody {
    RoleBody {
        id: role.role_id,
        name: role.name,
        description: role.description,
    }
}

/// A permission of a role, as Auth0 lists it.
#[derive(Debug, Serialize, ToSchema)]
pub struct PermissionBody {
    pub resource_server_identifier: String,
    pub permission_name: String,
    pub resource_server_name: String,
    /// The scope's description in its API.
    pub description: String,
}

/// Where a user's permission comes from.
#[derive(Debug, Serialize, ToSchema)]
pub struct PermissionSource {
    /// The role's id.
    pub source_id: String,
    /// The role's name.
    pub source_name: String,
    /// `ROLE`.
    pub source_type: String,
}

/// A permission a user holds, as Auth0 lists it (with the roles it comes from).
#[derive(Debug, Serialize, ToSchema)]
pub struct UserPermissionBody {
    pub resource_server_identifier: String,
    pub permission_name: String,
    pub resource_server_name: String,
    pub description: String,
    pub sources: Vec<PermissionSource>,
}

/// A user of a role, as Auth0 lists them.
#[derive(Debug, Serialize, ToSchema)]
pub struct RoleUserBody {
    pub user_id: String,
    pub email: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub picture: Option<String>,
}

fn role_user_body(u: User) -> RoleUserBody {
    RoleUserBody {
        user_id: u.user_id,
        email: u.email,
        name: u.name,
        picture: u.picture,
    }
}

/// The name of each API and the description of each of its scopes, to describe permissions.
struct Catalog(BTreeMap<String, Api>);

impl Catalog {
    async fn load(s: &AppState) -> ApiResult<Catalog> {
        let apis = s.provider.store.list_apis().await?;
        Ok(Catalog(
            apis.into_iter()
                .map(|a| (a.identifier.clone(), a))
                .collect(),
        ))
    }

    /// The API's name and the scope's description (empty when the API is gone).
    fn describe(&self, p: &Permission) -> (String, String) {
        match self.0.get(&p.resource_server_identifier) {
            None => (p.resource_server_identifier.clone(), String::new()),
            Some(api) => (
                api.name.clone(),
                api.scopes
                    .iter()
                    .find(|s| s.value == p.permission_name)
                    .map(|s| s.description.clone())
                    .unwrap_or_default(),
            ),
        }
    }

    fn body(&self, p: Permission) -> PermissionBody {
        let (resource_server_name, description) = self.describe(&p);
        PermissionBody {
            resource_server_identifier: p.resource_server_identifier,
            permission_name: p.permission_name,
            resource_server_name,
            description,
        }
    }
}

/// A role by its id, or Auth0's 404.
async fn find(s: &AppState, id: &str) -> ApiResult<Role> {
    match s.provider.store.get_role(id).await? {
        Some(role) => Ok(role),
        None => Err(inexistent_role()),
    }
}

fn inexistent_role() -> super::error::ApiError {
    ManagementError::not_found("inexistent_role", "The role does not exist.").into()
}

/// A list property of a body: present, not empty, not too long.
fn check_list<T>(name: &str, list: &[T]) -> ApiResult<()> {
    if list.is_empty() || list.len() > MAX_ITEMS {
        return Err(ManagementError::invalid_body(format!(
            "Payload validation error: '{name}' must hold 1 to {MAX_ITEMS} items"
        ))
        .into());
    }
    Ok(())
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListRolesQuery {
    /// Only roles whose name contains this text (case-insensitive).
    pub name_filter: Option<String>,
}

/// List roles, by name.
#[utoipa::path(get, path = "/roles", tag = "roles",
    params(ListRolesQuery, Paging),
    responses((status = 200, description = "Roles (wrapped as {start, limit, length, total, roles} with include_totals)", body = Vec<RoleBody>),
        (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = ["read:roles"])))]
async fn list_roles(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiQuery(query): ApiQuery<ListRolesQuery>,
    ApiQuery(paging): ApiQuery<Paging>,
) -> ApiResult<Response> {
    caller.require(&["read:roles"])?;
    let filter = query
        .name_filter
        .map(|f| f.trim().to_lowercase())
        .filter(|f| !f.is_empty());
    let all: Vec<Role> = roles::list_roles(s.provider.store.as_ref())
        .await?
        .into_iter()
        .filter(|r| {
            filter
                .as_ref()
                .is_none_or(|f| r.name.to_lowercase().contains(f))
        })
        .collect();
    listed(all, &paging, "roles", role_body)
}

/// `POST /roles`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRoleBody {
    /// Unique in the tenant.
    pub name: String,
    /// At most 140 characters.
    pub description: Option<String>,
}

/// Create a role.
#[utoipa::path(post, path = "/roles", tag = "roles", request_body = CreateRoleBody,
    responses((status = 200, body = RoleBody), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = ["create:roles"])))]
async fn create_role(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiJson(body): ApiJson<CreateRoleBody>,
) -> ApiResult<Json<RoleBody>> {
    caller.require(&["create:roles"])?;
    let role = roles::create_role(
        s.provider.store.as_ref(),
        NewRole {
            name: body.name,
            description: body.description,
        },
        s.provider.now(),
    )
    .await?;
    Ok(Json(role_body(role)))
}

/// Get a role.
#[utoipa::path(get, path = "/roles/{id}", tag = "roles",
    params(("id" = String, Path, description = "The role id (rol_…)")),
    responses((status = 200, body = RoleBody), (status = 404, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = ["read:roles"])))]
async fn get_role(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<RoleBody>> {
    caller.require(&["read:roles"])?;
    Ok(Json(role_body(find(&s, &id).await?)))
}

/// `PATCH /roles/{id}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateRoleBody {
    pub name: Option<String>,
    pub description: Option<String>,
}

/// Update a role's name or description.
#[utoipa::path(patch, path = "/roles/{id}", tag = "roles", request_body = UpdateRoleBody,
    params(("id" = String, Path, description = "The role id")),
    responses((status = 200, body = RoleBody), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = ["update:roles"])))]
async fn update_role(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<UpdateRoleBody>,
) -> ApiResult<Json<RoleBody>> {
    caller.require(&["update:roles"])?;
    let role = find(&s, &id).await?;
    let role = roles::update_role(
        s.provider.store.as_ref(),
        &role.role_id,
        RoleUpdate {
            name: body.name,
            description: body.description,
        },
        s.provider.now(),
    )
    .await?;
    Ok(Json(role_body(role)))
}

/// Delete a role; it is taken from every user who had it.
#[utoipa::path(delete, path = "/roles/{id}", tag = "roles",
    params(("id" = String, Path, description = "The role id")),
    responses((status = 200, description = "Deleted"), (status = 404, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = ["delete:roles"])))]
async fn delete_role(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    caller.require(&["delete:roles"])?;
    let role = find(&s, &id).await?;
    roles::delete_role(s.provider.store.as_ref(), &role.role_id).await?;
    Ok(StatusCode::OK)
}

/// The permissions of a role, by API and name.
#[utoipa::path(get, path = "/roles/{id}/permissions", tag = "roles",
    params(("id" = String, Path, description = "The role id"), Paging),
    responses((status = 200, description = "Permissions (wrapped as {start, limit, length, total, permissions} with include_totals)", body = Vec<PermissionBody>),
        (status = 404, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = ["read:roles"])))]
async fn role_permissions(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(paging): ApiQuery<Paging>,
) -> ApiResult<Response> {
    caller.require(&["read:roles"])?;
    let role = find(&s, &id).await?;
    let mut held = roles::role_permissions(s.provider.store.as_ref(), &role.role_id).await?;
    held.sort();
    let catalog = Catalog::load(&s).await?;
    listed(held, &paging, "permissions", |p| catalog.body(p))
}

/// One permission in a request body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PermissionRef {
    /// The API identifier (audience).
    pub resource_server_identifier: String,
    /// A scope value the API defines.
    pub permission_name: String,
}

/// `{permissions: [...]}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PermissionsBody {
    pub permissions: Vec<PermissionRef>,
}

impl PermissionsBody {
    fn into_permissions(self) -> ApiResult<Vec<Permission>> {
        check_list("permissions", &self.permissions)?;
        Ok(self
            .permissions
            .into_iter()
            .map(|p| Permission {
                resource_server_identifier: p.resource_server_identifier,
                permission_name: p.permission_name,
            })
            .collect())
    }
}

/// Add permissions (scopes of existing APIs) to a role.
#[utoipa::path(post, path = "/roles/{id}/permissions", tag = "roles", request_body = PermissionsBody,
    params(("id" = String, Path, description = "The role id")),
    responses((status = 201, description = "Added"), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = ["update:roles"])))]
async fn add_role_permissions(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<PermissionsBody>,
) -> ApiResult<StatusCode> {
    caller.require(&["update:roles"])?;
    let role = find(&s, &id).await?;
    let permissions = body.into_permissions()?;
    roles::add_permissions(s.provider.store.as_ref(), &role.role_id, &permissions).await?;
    Ok(StatusCode::CREATED)
}

/// Remove permissions from a role (ones it does not hold are ignored).
#[utoipa::path(delete, path = "/roles/{id}/permissions", tag = "roles", request_body = PermissionsBody,
    params(("id" = String, Path, description = "The role id")),
    responses((status = 200, description = "Removed"), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = ["update:roles"])))]
async fn remove_role_permissions(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<PermissionsBody>,
) -> ApiResult<StatusCode> {
    caller.require(&["update:roles"])?;
    let role = find(&s, &id).await?;
    let permissions = body.into_permissions()?;
    roles::remove_permissions(s.provider.store.as_ref(), &role.role_id, &permissions).await?;
    Ok(StatusCode::OK)
}

/// The users a role is assigned to, by user id.
#[utoipa::path(get, path = "/roles/{id}/users", tag = "roles",
    params(("id" = String, Path, description = "The role id"), Paging),
    responses((status = 200, description = "Users (wrapped as {start, limit, length, total, users} with include_totals; {users, next} with from/take)", body = Vec<RoleUserBody>),
        (status = 404, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = ["read:users", "read:roles", "read:role_members"])))]
async fn role_users(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(paging): ApiQuery<Paging>,
) -> ApiResult<Response> {
    caller.require(&["read:users", "read:roles", "read:role_members"])?;
    let role = find(&s, &id).await?;
    let mut members = roles::role_users(s.provider.store.as_ref(), &role.role_id).await?;
    members.sort_by(|a, b| a.user_id.cmp(&b.user_id));
    listed(members, &paging, "users", role_user_body)
}

/// `{users: [...]}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UsersBody {
    /// User ids.
    pub users: Vec<String>,
}

/// Assign a role to users.
#[utoipa::path(post, path = "/roles/{id}/users", tag = "roles", request_body = UsersBody,
    params(("id" = String, Path, description = "The role id")),
    responses((status = 200, description = "Assigned"), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = ["update:roles", "create:role_members"])))]
async fn assign_role_users(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<UsersBody>,
) -> ApiResult<StatusCode> {
    caller.require(&["update:roles", "create:role_members"])?;
    let role = find(&s, &id).await?;
    check_list("users", &body.users)?;
    // Every user first, so that an unknown one assigns nothing.
    let mut ids = Vec::with_capacity(body.users.len());
    for user in &body.users {
        ids.push(users::get(&s.provider, user).await?.user_id);
    }
    let store = s.provider.store.as_ref();
    for user_id in ids {
        store
            .assign_user_roles(&user_id, std::slice::from_ref(&role.role_id))
            .await?;
    }
    Ok(StatusCode::OK)
}

/// The roles of a user, by name.
#[utoipa::path(get, path = "/users/{id}/roles", tag = "users",
    params(("id" = String, Path, description = "The user id"), Paging),
    responses((status = 200, description = "Roles (wrapped as {start, limit, length, total, roles} with include_totals)", body = Vec<RoleBody>),
        (status = 404, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = ["read:users", "read:roles", "read:role_members"])))]
async fn user_roles(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(paging): ApiQuery<Paging>,
) -> ApiResult<Response> {
    caller.require(&["read:users", "read:roles", "read:role_members"])?;
    let user = users::get(&s.provider, &id).await?;
    let mut held = s.provider.store.list_user_roles(&user.user_id).await?;
    held.sort_by(|a, b| a.name.cmp(&b.name));
    listed(held, &paging, "roles", role_body)
}

/// `{roles: [...]}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RolesBody {
    /// Role ids (`rol_…`).
    pub roles: Vec<String>,
}

/// Every role of `body`, or Auth0's 404 for the first unknown one.
async fn resolve_roles(s: &AppState, body: &RolesBody) -> ApiResult<Vec<String>> {
    check_list("roles", &body.roles)?;
    let mut ids = Vec::with_capacity(body.roles.len());
    for id in &body.roles {
        ids.push(find(s, id).await?.role_id);
    }
    Ok(ids)
}

/// Assign roles to a user. Takes effect in the user's next token.
#[utoipa::path(post, path = "/users/{id}/roles", tag = "users", request_body = RolesBody,
    params(("id" = String, Path, description = "The user id")),
    responses((status = 204, description = "Assigned"), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = ["update:users", "create:role_members"])))]
async fn assign_user_roles(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<RolesBody>,
) -> ApiResult<StatusCode> {
    caller.require(&["update:users", "create:role_members"])?;
    let user = users::get(&s.provider, &id).await?;
    let ids = resolve_roles(&s, &body).await?;
    roles::assign_roles(s.provider.store.as_ref(), &user.user_id, &ids).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Take roles away from a user. Takes effect in the user's next token.
#[utoipa::path(delete, path = "/users/{id}/roles", tag = "users", request_body = RolesBody,
    params(("id" = String, Path, description = "The user id")),
    responses((status = 204, description = "Removed"), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = ["update:users", "delete:role_members"])))]
async fn remove_user_roles(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<RolesBody>,
) -> ApiResult<StatusCode> {
    caller.require(&["update:users", "delete:role_members"])?;
    let user = users::get(&s.provider, &id).await?;
    let ids = resolve_roles(&s, &body).await?;
    roles::remove_roles(s.provider.store.as_ref(), &user.user_id, &ids).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A user's effective permissions (through their roles), each with the roles it comes from.
#[utoipa::path(get, path = "/users/{id}/permissions", tag = "users",
    params(("id" = String, Path, description = "The user id"), Paging),
    responses((status = 200, description = "Permissions (wrapped as {start, limit, length, total, permissions} with include_totals)", body = Vec<UserPermissionBody>),
        (status = 404, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = ["read:users"])))]
async fn user_permissions(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(paging): ApiQuery<Paging>,
) -> ApiResult<Response> {
    caller.require(&["read:users"])?;
    let user = users::get(&s.provider, &id).await?;
    let store = s.provider.store.as_ref();
    let held = store.list_user_permissions(&user.user_id, None).await?;
    let names: BTreeMap<String, String> = store
        .list_user_roles(&user.user_id)
        .await?
        .into_iter()
        .map(|r| (r.role_id, r.name))
        .collect();
    // One entry per permission, with every role that grants it.
    let mut merged: BTreeMap<Permission, Vec<String>> = BTreeMap::new();
    for h in held {
        merged.entry(h.permission).or_default().push(h.role_id);
    }
    let catalog = Catalog::load(&s).await?;
    let all: Vec<(Permission, Vec<String>)> = merged.into_iter().collect();
    listed(all, &paging, "permissions", |(p, role_ids)| {
        let base = catalog.body(p);
        UserPermissionBody {
            resource_server_identifier: base.resource_server_identifier,
            permission_name: base.permission_name,
            resource_server_name: base.resource_server_name,
            description: base.description,
            sources: role_ids
                .into_iter()
                .map(|role_id| PermissionSource {
                    source_name: names.get(&role_id).cloned().unwrap_or_default(),
                    source_id: role_id,
                    source_type: "ROLE".to_owned(),
                })
                .collect(),
        }
    })
}
