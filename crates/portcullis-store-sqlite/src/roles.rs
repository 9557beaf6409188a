//! `RoleStore`: roles, their permissions, and their assignments to users.

use crate::SqliteStore;
use crate::error::db;
use crate::rows::{self, role_columns};
use async_trait::async_trait;
use portcullis_store::{Permission, Role, RoleStore, StoreError, StoreResult, UserPermission};
use sqlx::Row;

#[async_trait]
impl RoleStore for SqliteStore {
    async fn create_role(&self, role: &Role) -> StoreResult<()> {
        create_role(&self.pool, role).await
    }

    async fn get_role(&self, role_id: &str) -> StoreResult<Option<Role>> {
        sqlx::query(concat!(
            "SELECT ",
            role_columns!(),
            " FROM roles WHERE role_id = ?"
        ))
        .bind(role_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?
        .as_ref()
        .map(rows::role)
        .transpose()
    }

    async fn get_role_by_name(&self, name: &str) -> StoreResult<Option<Role>> {
        sqlx::query(concat!(
            "SELECT ",
            role_columns!(),
            " FROM roles WHERE name = ?"
        ))
        .bind(name)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?
        .as_ref()
        .map(rows::role)
        .transpose()
    }

    async fn list_roles(&self) -> StoreResult<Vec<Role>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            role_columns!(),
            " FROM roles ORDER BY name, role_id"
        ))
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows::all(rows, rows::role)
    }

    async fn update_role(&self, role: &Role) -> StoreResult<()> {
        update_role(&self.pool, role).await
    }

    async fn delete_role(&self, role_id: &str) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query("DELETE FROM roles WHERE role_id = ?")
            .bind(role_id)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        for statement in [
            "DELETE FROM role_permissions WHERE role_id = ?",
            "DELETE FROM user_roles WHERE role_id = ?",
        ] {
            sqlx::query(statement)
                .bind(role_id)
                .execute(&mut *tx)
                .await
                .map_err(db)?;
        }
        tx.commit().await.map_err(db)
    }

    async fn add_role_permissions(
        &self,
        role_id: &str,
        permissions: &[Permission],
    ) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        add_role_permissions(&mut tx, role_id, permissions).await?;
        tx.commit().await.map_err(db)
    }

    async fn remove_role_permissions(
        &self,
        role_id: &str,
        permissions: &[Permission],
    ) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        remove_role_permissions(&mut tx, role_id, permissions).await?;
        tx.commit().await.map_err(db)
    }

    async fn list_role_permissions(&self, role_id: &str) -> StoreResult<Vec<Permission>> {
        let rows = sqlx::query(
            "SELECT resource_server_identifier, permission_name FROM role_permissions \
             WHERE role_id = ? ORDER BY resource_server_identifier, permission_name",
        )
        .bind(role_id)
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.iter()
            .map(|r| {
                Ok(Permission {
                    resource_server_identifier: r.try_get(0).map_err(db)?,
                    permission_name: r.try_get(1).map_err(db)?,
                })
            })
            .collect()
    }

    async fn prune_api_permissions(&self, identifier: &str, keep: &[String]) -> StoreResult<u64> {
        let mut tx = self.write_tx().await?;
        let names: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT permission_name FROM role_permissions \
             WHERE resource_server_identifier = ?",
        )
        .bind(identifier)
        .fetch_all(&mut *tx)
        .await
        .map_err(db)?;
        let mut removed = 0;
        for name in names.iter().filter(|n| !keep.contains(n)) {
            removed += sqlx::query(
                "DELETE FROM role_permissions WHERE resource_server_identifier = ? \
                 AND permission_name = ?",
            )
            .bind(identifier)
            .bind(name)
            .execute(&mut *tx)
            .await
            .map_err(db)?
            .rows_affected();
        }
        tx.commit().await.map_err(db)?;
        Ok(removed)
    }

    async fn assign_user_roles(&self, user_id: &str, role_ids: &[String]) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        assign_user_roles(&mut tx, user_id, role_ids).await?;
        tx.commit().await.map_err(db)
    }

    async fn remove_user_roles(&self, user_id: &str, role_ids: &[String]) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        remove_user_roles(&mut tx, user_id, role_ids).await?;
        tx.commit().await.map_err(db)
    }

    async fn list_user_roles(&self, user_id: &str) -> StoreResult<Vec<Role>> {
        let rows = sqlx::query(
            "SELECT r.role_id, r.name, r.description, r.created_at, r.updated_at \
             FROM user_roles u JOIN roles r ON r.role_id = u.role_id \
             WHERE u.user_id = ? ORDER BY r.name, r.role_id",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows::all(rows, rows::role)
    }

    async fn list_role_users(&self, role_id: &str) -> StoreResult<Vec<String>> {
        sqlx::query_scalar("SELECT user_id FROM user_roles WHERE role_id = ? ORDER BY user_id")
            .bind(role_id)
            .fetch_all(&self.pool)
            .await
            .map_err(db)
    }

    async fn list_user_permissions(
        &self,
        user_id: &str,
        api: Option<&str>,
    ) -> StoreResult<Vec<UserPermission>> {
        let rows = sqlx::query(
            "SELECT p.resource_server_identifier, p.permission_name, p.role_id \
             FROM user_roles u JOIN role_permissions p ON p.role_id = u.role_id \
             WHERE u.user_id = ? AND (? IS NULL OR p.resource_server_identifier = ?) \
             ORDER BY p.resource_server_identifier, p.permission_name, p.role_id",
        )
        .bind(user_id)
        .bind(api)
        .bind(api)
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.iter()
            .map(|r| {
                Ok(UserPermission {
                    permission: Permission {
                        resource_server_identifier: r.try_get(0).map_err(db)?,
                        permission_name: r.try_get(1).map_err(db)?,
                    },
                    role_id: r.try_get(2).map_err(db)?,
                })
            })
            .collect()
    }
}

/// Whether `query` (a `SELECT 1 … WHERE key = ?`) finds a row, inside the transaction.
async fn exists(
    conn: &mut sqlx::SqliteConnection,
    query: &'static str,
    key: &str,
) -> StoreResult<bool> {
    Ok(sqlx::query(query)
        .bind(key)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db)?
        .is_some())
}

/// `create_role` on any executor: the pool, or the transaction of
/// `TenantStore::apply_tenant_changes`.
pub(crate) async fn create_role<'e>(
    e: impl sqlx::Executor<'e, Database = sqlx::Sqlite>,
    role: &Role,
) -> StoreResult<()> {
    sqlx::query(concat!(
        "INSERT INTO roles (",
        role_columns!(),
        ") VALUES (?, ?, ?, ?, ?)"
    ))
    .bind(&role.role_id)
    .bind(&role.name)
    .bind(&role.description)
    .bind(role.created_at)
    .bind(role.updated_at)
    .execute(e)
    .await
    .map_err(db)?;
    Ok(())
}

/// `update_role` on any executor.
pub(crate) async fn update_role<'e>(
    e: impl sqlx::Executor<'e, Database = sqlx::Sqlite>,
    role: &Role,
) -> StoreResult<()> {
    let done =
        sqlx::query("UPDATE roles SET name = ?, description = ?, updated_at = ? WHERE role_id = ?")
            .bind(&role.name)
            .bind(&role.description)
            .bind(role.updated_at)
            .bind(&role.role_id)
            .execute(e)
            .await
            .map_err(db)?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// `add_role_permissions` inside a transaction (its own, or that of
/// `TenantStore::apply_tenant_changes`).
pub(crate) async fn add_role_permissions(
    conn: &mut sqlx::SqliteConnection,
    role_id: &str,
    permissions: &[Permission],
) -> StoreResult<()> {
    if !exists(conn, "SELECT 1 FROM roles WHERE role_id = ?", role_id).await? {
        return Err(StoreError::NotFound);
    }
    for p in permissions {
        sqlx::query(
            "INSERT INTO role_permissions (role_id, resource_server_identifier, \
             permission_name) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
        )
        .bind(role_id)
        .bind(&p.resource_server_identifier)
        .bind(&p.permission_name)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    }
    Ok(())
}

/// `remove_role_permissions` inside a transaction (its own, or that of
/// `TenantStore::apply_tenant_changes`).
pub(crate) async fn remove_role_permissions(
    conn: &mut sqlx::SqliteConnection,
    role_id: &str,
    permissions: &[Permission],
) -> StoreResult<()> {
    if !exists(conn, "SELECT 1 FROM roles WHERE role_id = ?", role_id).await? {
        return Err(StoreError::NotFound);
    }
    for p in permissions {
        sqlx::query(
            "DELETE FROM role_permissions WHERE role_id = ? \
             AND resource_server_identifier = ? AND permission_name = ?",
        )
        .bind(role_id)
        .bind(&p.resource_server_identifier)
        .bind(&p.permission_name)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    }
    Ok(())
}

/// `assign_user_roles` inside a transaction (its own, or that of
/// `TenantStore::apply_tenant_changes`).
pub(crate) async fn assign_user_roles(
    conn: &mut sqlx::SqliteConnection,
    user_id: &str,
    role_ids: &[String],
) -> StoreResult<()> {
    if !exists(conn, "SELECT 1 FROM users WHERE user_id = ?", user_id).await? {
        return Err(StoreError::NotFound);
    }
    for role_id in role_ids {
        if !exists(conn, "SELECT 1 FROM roles WHERE role_id = ?", role_id).await? {
            return Err(StoreError::NotFound);
        }
        sqlx::query(
            "INSERT INTO user_roles (user_id, role_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
        )
        .bind(user_id)
        .bind(role_id)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    }
    Ok(())
}

/// `remove_user_roles` inside a transaction (its own, or that of
/// `TenantStore::apply_tenant_changes`).
pub(crate) async fn remove_user_roles(
    conn: &mut sqlx::SqliteConnection,
    user_id: &str,
    role_ids: &[String],
) -> StoreResult<()> {
    for role_id in role_ids {
        sqlx::query("DELETE FROM user_roles WHERE user_id = ? AND role_id = ?")
            .bind(user_id)
            .bind(role_id)
            .execute(&mut *conn)
            .await
            .map_err(db)?;
    }
    Ok(())
}
