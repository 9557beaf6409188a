//! `TenantStore`: a tenant-file apply in one transaction.

use crate::SqliteStore;
use async_trait::async_trait;
use portcullis_store::{StoreResult, TenantChange, TenantStore};

#[async_trait]
impl TenantStore for SqliteStore {
    async fn apply_tenant_changes(&self, changes: &[TenantChange]) -> StoreResult<()> {
        self.catalog_write(async {
            let mut tx = self.write_tx().await?;
            for change in changes {
                let conn = &mut *tx;
                match change {
                    TenantChange::CreateApi(api) => crate::apis::create_api(conn, api).await?,
                    TenantChange::UpdateApi(api) => crate::apis::update_api(conn, api).await?,
                    TenantChange::CreateClient(c) => crate::clients::create_client(conn, c).await?,
                    TenantChange::UpdateClient(c) => crate::clients::update_client(conn, c).await?,
                    TenantChange::CreateClientGrant(g) => {
                        crate::apis::create_client_grant(conn, g).await?
                    }
                    TenantChange::UpdateClientGrant(g) => {
                        crate::apis::update_client_grant(conn, g).await?
                    }
                    TenantChange::CreateUser(u) => crate::users::create_user(conn, u).await?,
                    TenantChange::UpdateUser(u) => crate::users::update_user(conn, u).await?,
                    TenantChange::PutSetting { name, value, now } => {
                        crate::accounts::put_setting(conn, name, value, *now).await?
                    }
                    TenantChange::DeleteSetting(name) => {
                        crate::accounts::delete_setting(conn, name).await?;
                    }
                    TenantChange::CreateRole(role) => crate::roles::create_role(conn, role).await?,
                    TenantChange::UpdateRole(role) => crate::roles::update_role(conn, role).await?,
                    TenantChange::AddRolePermissions {
                        role_id,
                        permissions,
                    } => crate::roles::add_role_permissions(conn, role_id, permissions).await?,
                    TenantChange::RemoveRolePermissions {
                        role_id,
                        permissions,
                    } => crate::roles::remove_role_permissions(conn, role_id, permissions).await?,
                    TenantChange::AssignUserRoles { user_id, role_ids } => {
                        crate::roles::assign_user_roles(conn, user_id, role_ids).await?
                    }
                    TenantChange::RemoveUserRoles { user_id, role_ids } => {
                        crate::roles::remove_user_roles(conn, user_id, role_ids).await?
                    }
                }
            }
            // Dropping the transaction on an early return above rolls it back.
            tx.commit().await.map_err(crate::error::db)
        })
        .await
    }
}
