//! Roles (Auth0's RBAC): named groups of permissions (an API's scope values), assigned to users.
//! An API with `enforce_policies` grants a user only the asked scopes their roles hold.

use super::error::{AdminError, AdminResult};
use super::users::find_user;
use super::validate::check_name;
use crate::crypto::new_id;
use portcullis_store::{Permission, Role, Store, UnixTime, User, UserPermission};

/// Longest role description (Auth0's limit).
const MAX_DESCRIPTION_CHARS: usize = 140;

/// A new role.
#[derive(Debug, Clone, Default)]
pub struct NewRole {
    pub name: String,
    /// Default empty.
    pub description: Option<String>,
}

/// Changes to a role; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct RoleUpdate {
    pub name: Option<String>,
    pub description: Option<String>,
}

/// A description: at most 140 characters (Auth0's limit), no control characters.
pub fn check_description(description: &str) -> AdminResult<String> {
    let d = description.trim();
    if d.chars().count() > MAX_DESCRIPTION_CHARS || d.chars().any(char::is_control) {
        return Err(AdminError::invalid(
            "description",
            format!(
                "must be at most {MAX_DESCRIPTION_CHARS} characters, without control characters"
            ),
        ));
    }
    Ok(d.to_owned())
}

/// Builds (without storing) the role a [`NewRole`] describes, with a fresh `rol_…` id.
pub(crate) fn build_role(new: &NewRole, now: UnixTime) -> AdminResult<Role> {
    Ok(Role {
        role_id: new_id("rol"),
        name: check_name("name", &new.name)?,
        description: check_description(new.description.as_deref().unwrap_or_default())?,
        created_at: now,
        updated_at: now,
    })
}

/// Creates a role. Names are unique.
pub async fn create_role(store: &dyn Store, new: NewRole, now: UnixTime) -> AdminResult<Role> {
    let role = build_role(&new, now)?;
    if store.get_role_by_name(&role.name).await?.is_some() {
        return Err(AdminError::exists("role", role.name));
    }
    store
        .create_role(&role)
        .await
        .map_err(|e| AdminError::from_store(e, "role", &role.name))?;
    Ok(role)
}

/// Every role, by name.
pub async fn list_roles(store: &dyn Store) -> AdminResult<Vec<Role>> {
    Ok(store.list_roles().await?)
}

/// A role by id (`rol_…`) or by name.
pub async fn get_role(store: &dyn Store, key: &str) -> AdminResult<Role> {
    if let Some(role) = store.get_role(key).await? {
        return Ok(role);
    }
    store
        .get_role_by_name(key.trim())
        .await?
        .ok_or_else(|| AdminError::not_found("role", key))
}

/// Applies `update` to the role `key`.
pub async fn update_role(
    store: &dyn Store,
    key: &str,
    update: RoleUpdate,
    now: UnixTime,
) -> AdminResult<Role> {
    let mut role = get_role(store, key).await?;
    if let Some(name) = update.name {
        let name = check_name("name", &name)?;
        if name != role.name && store.get_role_by_name(&name).await?.is_some() {
            return Err(AdminError::exists("role", name));
        }
        role.name = name;
    }
    if let Some(description) = update.description {
        role.description = check_description(&description)?;
    }
    role.updated_at = now;
    store
        .update_role(&role)
        .await
        .map_err(|e| AdminError::from_store(e, "role", &role.name))?;
    Ok(role)
}

/// Deletes a role with its permissions and assignments.
pub async fn delete_role(store: &dyn Store, key: &str) -> AdminResult<Role> {
    let role = get_role(store, key).await?;
    store
        .delete_role(&role.role_id)
        .await
        .map_err(|e| AdminError::from_store(e, "role", key))?;
    Ok(role)
}

/// Checks that each permission names an API and a scope that API defines.
pub async fn check_permissions(store: &dyn Store, permissions: &[Permission]) -> AdminResult<()> {
    for p in permissions {
        let Some(api) = store
            .get_api_by_identifier(&p.resource_server_identifier)
            .await?
        else {
            return Err(AdminError::not_found("API", &p.resource_server_identifier));
        };
        if !api.scopes.iter().any(|s| s.value == p.permission_name) {
            return Err(AdminError::invalid(
                "permissions",
                format!(
                    "{:?} is not a scope of the API {}",
                    p.permission_name, api.identifier
                ),
            ));
        }
    }
    Ok(())
}

/// Adds permissions (each a scope of an existing API) to a role.
pub async fn add_permissions(
    store: &dyn Store,
    key: &str,
    permissions: &[Permission],
) -> AdminResult<Role> {
    let role = get_role(store, key).await?;
    check_permissions(store, permissions).await?;
    store
        .add_role_permissions(&role.role_id, permissions)
        .await
        .map_err(|e| AdminError::from_store(e, "role", key))?;
    Ok(role)
}

/// Removes permissions from a role (ones it does not hold are ignored).
pub async fn remove_permissions(
    store: &dyn Store,
    key: &str,
    permissions: &[Permission],
) -> AdminResult<Role> {
    let role = get_role(store, key).await?;
    store
        .remove_role_permissions(&role.role_id, permissions)
        .await
        .map_err(|e| AdminError::from_store(e, "role", key))?;
    Ok(role)
}

/// A role's permissions.
pub async fn role_permissions(store: &dyn Store, key: &str) -> AdminResult<Vec<Permission>> {
    let role = get_role(store, key).await?;
    Ok(store.list_role_permissions(&role.role_id).await?)
}

/// The users a role is assigned to.
pub async fn role_users(store: &dyn Store, key: &str) -> AdminResult<Vec<User>> {
    let role = get_role(store, key).await?;
    let mut users = Vec::new();
    for id in store.list_role_users(&role.role_id).await? {
        if let Some(u) = store.get_user(&id).await? {
            users.push(u);
        }
    }
    Ok(users)
}

/// Resolves role keys (ids or names) to roles.
async fn resolve(store: &dyn Store, keys: &[String]) -> AdminResult<Vec<Role>> {
    let mut roles = Vec::with_capacity(keys.len());
    for key in keys {
        roles.push(get_role(store, key).await?);
    }
    Ok(roles)
}

/// Assigns roles (ids or names) to a user (id or email). Takes effect in the user's next token.
pub async fn assign_roles(
    store: &dyn Store,
    user: &str,
    role_keys: &[String],
) -> AdminResult<(User, Vec<Role>)> {
    let user = find_user(store, user).await?;
    let roles = resolve(store, role_keys).await?;
    let ids: Vec<String> = roles.iter().map(|r| r.role_id.clone()).collect();
    store
        .assign_user_roles(&user.user_id, &ids)
        .await
        .map_err(|e| AdminError::from_store(e, "user", &user.user_id))?;
    Ok((user, roles))
}

/// Takes roles (ids or names) away from a user (id or email).
pub async fn remove_roles(
    store: &dyn Store,
    user: &str,
    role_keys: &[String],
) -> AdminResult<(User, Vec<Role>)> {
    let user = find_user(store, user).await?;
    let roles = resolve(store, role_keys).await?;
    let ids: Vec<String> = roles.iter().map(|r| r.role_id.clone()).collect();
    store.remove_user_roles(&user.user_id, &ids).await?;
    Ok((user, roles))
}

/// A user's roles.
pub async fn user_roles(store: &dyn Store, user: &str) -> AdminResult<(User, Vec<Role>)> {
    let user = find_user(store, user).await?;
    let roles = store.list_user_roles(&user.user_id).await?;
    Ok((user, roles))
}

/// A user's permissions, each with the role it comes from.
pub async fn user_permissions(
    store: &dyn Store,
    user: &str,
) -> AdminResult<(User, Vec<UserPermission>)> {
    let user = find_user(store, user).await?;
    let held = store.list_user_permissions(&user.user_id, None).await?;
    Ok((user, held))
}
