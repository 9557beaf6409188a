//! `RoleStore`: roles, their permissions, and their assignments to users.

use crate::SqliteStore;
use crate::error::Failure;
use crate::rows::{self, role_columns};
use crate::sql;
use async_trait::async_trait;
use portcullis_store::{Permission, Role, RoleStore, StoreError, StoreResult, UserPermission};
use rusqlite::params;

#[async_trait]
impl RoleStore for SqliteStore {
    async fn create_role(&self, role: &Role) -> StoreResult<()> {
        let role = role.clone();
        self.write(move |tx| create_role(tx, &role)).await
    }

    async fn get_role(&self, role_id: &str) -> StoreResult<Option<Role>> {
        let role_id = role_id.to_owned();
        self.read_now(move |c| {
            Ok(sql::optional(
                c,
                concat!("SELECT ", role_columns!(), " FROM roles WHERE role_id = ?"),
                params![role_id],
                rows::role,
            )?)
        })
        .await
    }

    async fn get_role_by_name(&self, name: &str) -> StoreResult<Option<Role>> {
        let name = name.to_owned();
        self.read_now(move |c| {
            Ok(sql::optional(
                c,
                concat!("SELECT ", role_columns!(), " FROM roles WHERE name = ?"),
                params![name],
                rows::role,
            )?)
        })
        .await
    }

    async fn list_roles(&self) -> StoreResult<Vec<Role>> {
        self.read(|c| {
            Ok(sql::all(
                c,
                concat!(
                    "SELECT ",
                    role_columns!(),
                    " FROM roles ORDER BY name, role_id"
                ),
                [],
                rows::role,
            )?)
        })
        .await
    }

    async fn update_role(&self, role: &Role) -> StoreResult<()> {
        let role = role.clone();
        self.write(move |tx| update_role(tx, &role)).await
    }

    async fn delete_role(&self, role_id: &str) -> StoreResult<()> {
        let role_id = role_id.to_owned();
        self.write(move |tx| {
            let done = sql::execute(tx, "DELETE FROM roles WHERE role_id = ?", params![role_id])?;
            if done == 0 {
                return Err(StoreError::NotFound.into());
            }
            for statement in [
                "DELETE FROM role_permissions WHERE role_id = ?",
                "DELETE FROM user_roles WHERE role_id = ?",
            ] {
                sql::execute(tx, statement, params![role_id])?;
            }
            Ok(())
        })
        .await
    }

    async fn add_role_permissions(
        &self,
        role_id: &str,
        permissions: &[Permission],
    ) -> StoreResult<()> {
        let role_id = role_id.to_owned();
        let permissions = permissions.to_vec();
        self.write(move |tx| add_role_permissions(tx, &role_id, &permissions))
            .await
    }

    async fn remove_role_permissions(
        &self,
        role_id: &str,
        permissions: &[Permission],
    ) -> StoreResult<()> {
        let role_id = role_id.to_owned();
        let permissions = permissions.to_vec();
        self.write(move |tx| remove_role_permissions(tx, &role_id, &permissions))
            .await
    }

    async fn list_role_permissions(&self, role_id: &str) -> StoreResult<Vec<Permission>> {
        let role_id = role_id.to_owned();
        self.read(move |c| {
            Ok(sql::all(
                c,
                "SELECT resource_server_identifier, permission_name FROM role_permissions \
                 WHERE role_id = ? ORDER BY resource_server_identifier, permission_name",
                params![role_id],
                |r| {
                    Ok(Permission {
                        resource_server_identifier: r.get(0)?,
                        permission_name: r.get(1)?,
                    })
                },
            )?)
        })
        .await
    }

    async fn prune_api_permissions(&self, identifier: &str, keep: &[String]) -> StoreResult<u64> {
        let identifier = identifier.to_owned();
        let keep = keep.to_vec();
        self.write(move |tx| {
            let names: Vec<String> = sql::all(
                tx,
                "SELECT DISTINCT permission_name FROM role_permissions \
                 WHERE resource_server_identifier = ?",
                params![identifier],
                |r| r.get(0),
            )?;
            let mut removed = 0;
            for name in names.iter().filter(|n| !keep.contains(n)) {
                removed += sql::execute(
                    tx,
                    "DELETE FROM role_permissions WHERE resource_server_identifier = ? \
                     AND permission_name = ?",
                    params![identifier, name],
                )?;
            }
            Ok(removed)
        })
        .await
    }

    async fn assign_user_roles(&self, user_id: &str, role_ids: &[String]) -> StoreResult<()> {
        let user_id = user_id.to_owned();
        let role_ids = role_ids.to_vec();
        self.write(move |tx| assign_user_roles(tx, &user_id, &role_ids))
            .await
    }

    async fn remove_user_roles(&self, user_id: &str, role_ids: &[String]) -> StoreResult<()> {
        let user_id = user_id.to_owned();
        let role_ids = role_ids.to_vec();
        self.write(move |tx| remove_user_roles(tx, &user_id, &role_ids))
            .await
    }

    async fn list_user_roles(&self, user_id: &str) -> StoreResult<Vec<Role>> {
        let user_id = user_id.to_owned();
        self.read_now(move |c| {
            Ok(sql::all(
                c,
                "SELECT r.role_id, r.name, r.description, r.created_at, r.updated_at \
                 FROM user_roles u JOIN roles r ON r.role_id = u.role_id \
                 WHERE u.user_id = ? ORDER BY r.name, r.role_id",
                params![user_id],
                rows::role,
            )?)
        })
        .await
    }

    async fn list_role_users(&self, role_id: &str) -> StoreResult<Vec<String>> {
        let role_id = role_id.to_owned();
        self.read(move |c| {
            Ok(sql::all(
                c,
                "SELECT user_id FROM user_roles WHERE role_id = ? ORDER BY user_id",
                params![role_id],
                |r| r.get(0),
            )?)
        })
        .await
    }

    async fn list_user_permissions(
        &self,
        user_id: &str,
        api: Option<&str>,
    ) -> StoreResult<Vec<UserPermission>> {
        let user_id = user_id.to_owned();
        let api = api.map(str::to_owned);
        self.read_now(move |c| {
            Ok(sql::all(
                c,
                "SELECT p.resource_server_identifier, p.permission_name, p.role_id \
                 FROM user_roles u JOIN role_permissions p ON p.role_id = u.role_id \
                 WHERE u.user_id = ? AND (? IS NULL OR p.resource_server_identifier = ?) \
                 ORDER BY p.resource_server_identifier, p.permission_name, p.role_id",
                params![user_id, api, api],
                |r| {
                    Ok(UserPermission {
                        permission: Permission {
                            resource_server_identifier: r.get(0)?,
                            permission_name: r.get(1)?,
                        },
                        role_id: r.get(2)?,
                    })
                },
            )?)
        })
        .await
    }
}

/// Whether `query` (a `SELECT 1 … WHERE key = ?`) finds a row, on the connection (inside the
/// transaction).
fn exists(c: &rusqlite::Connection, query: &'static str, key: &str) -> rusqlite::Result<bool> {
    Ok(sql::optional(c, query, params![key], |_| Ok(()))?.is_some())
}

/// `create_role` on a connection: inside its own write transaction, or that of
/// `TenantStore::apply_tenant_changes`.
pub(crate) fn create_role(c: &rusqlite::Connection, role: &Role) -> Result<(), Failure> {
    sql::execute(
        c,
        concat!(
            "INSERT INTO roles (",
            role_columns!(),
            ") VALUES (?, ?, ?, ?, ?)"
        ),
        params![
            role.role_id,
            role.name,
            role.description,
            role.created_at,
            role.updated_at,
        ],
    )?;
    Ok(())
}

/// `update_role` on a connection: inside its own write transaction, or that of
/// `TenantStore::apply_tenant_changes`.
pub(crate) fn update_role(c: &rusqlite::Connection, role: &Role) -> Result<(), Failure> {
    let done = sql::execute(
        c,
        "UPDATE roles SET name = ?, description = ?, updated_at = ? WHERE role_id = ?",
        params![role.name, role.description, role.updated_at, role.role_id],
    )?;
    if done == 0 {
        return Err(StoreError::NotFound.into());
    }
    Ok(())
}

/// `add_role_permissions` inside a transaction (its own, or that of
/// `TenantStore::apply_tenant_changes`).
pub(crate) fn add_role_permissions(
    c: &rusqlite::Connection,
    role_id: &str,
    permissions: &[Permission],
) -> Result<(), Failure> {
    if !exists(c, "SELECT 1 FROM roles WHERE role_id = ?", role_id)? {
        return Err(StoreError::NotFound.into());
    }
    for p in permissions {
        sql::execute(
            c,
            "INSERT INTO role_permissions (role_id, resource_server_identifier, \
             permission_name) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            params![role_id, p.resource_server_identifier, p.permission_name],
        )?;
    }
    Ok(())
}

/// `remove_role_permissions` inside a transaction (its own, or that of
/// `TenantStore::apply_tenant_changes`).
pub(crate) fn remove_role_permissions(
    c: &rusqlite::Connection,
    role_id: &str,
    permissions: &[Permission],
) -> Result<(), Failure> {
    if !exists(c, "SELECT 1 FROM roles WHERE role_id = ?", role_id)? {
        return Err(StoreError::NotFound.into());
    }
    for p in permissions {
        sql::execute(
            c,
            "DELETE FROM role_permissions WHERE role_id = ? \
             AND resource_server_identifier = ? AND permission_name = ?",
            params![role_id, p.resource_server_identifier, p.permission_name],
        )?;
    }
    Ok(())
}

/// `assign_user_roles` inside a transaction (its own, or that of
/// `TenantStore::apply_tenant_changes`).
pub(crate) fn assign_user_roles(
    c: &rusqlite::Connection,
    user_id: &str,
    role_ids: &[String],
) -> Result<(), Failure> {
    if !exists(c, "SELECT 1 FROM users WHERE user_id = ?", user_id)? {
        return Err(StoreError::NotFound.into());
    }
    for role_id in role_ids {
        if !exists(c, "SELECT 1 FROM roles WHERE role_id = ?", role_id)? {
            return Err(StoreError::NotFound.into());
        }
        sql::execute(
            c,
            "INSERT INTO user_roles (user_id, role_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
            params![user_id, role_id],
        )?;
    }
    Ok(())
}

/// `remove_user_roles` inside a transaction (its own, or that of
/// `TenantStore::apply_tenant_changes`).
pub(crate) fn remove_user_roles(
    c: &rusqlite::Connection,
    user_id: &str,
    role_ids: &[String],
) -> Result<(), Failure> {
    for role_id in role_ids {
        sql::execute(
            c,
            "DELETE FROM user_roles WHERE user_id = ? AND role_id = ?",
            params![user_id, role_id],
        )?;
    }
    Ok(())
}
