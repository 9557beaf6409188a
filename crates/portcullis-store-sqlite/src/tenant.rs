//! `TenantStore`: a tenant-file apply in one transaction.

use crate::SqliteStore;
use async_trait::async_trait;
use portcullis_store::{StoreResult, TenantChange, TenantStore};

#[async_trait]
impl TenantStore for SqliteStore {
    async fn apply_tenant_changes(&self, changes: &[TenantChange]) -> StoreResult<()> {
        let changes = changes.to_vec();
        self.catalog_write(self.write(move |tx| {
            for change in &changes {
                match change {
                    TenantChange::CreateApi(api) => crate::apis::create_api(tx, api)?,
                    TenantChange::UpdateApi(api) => crate::apis::update_api(tx, api)?,
                    TenantChange::CreateClient(c) => crate::clients::create_client(tx, c)?,
                    TenantChange::UpdateClient(c) => crate::clients::update_client(tx, c)?,
                    TenantChange::CreateClientGrant(g) => crate::apis::create_client_grant(tx, g)?,
                    TenantChange::UpdateClientGrant(g) => crate::apis::update_client_grant(tx, g)?,
                    TenantChange::CreateUser(u) => crate::users::create_user(tx, u)?,
                    TenantChange::UpdateUser(u) => crate::users::update_user(tx, u)?,
                    TenantChange::PutSetting { name, value, now } => {
                        crate::accounts::put_setting(tx, name, value, *now)?
                    }
                    TenantChange::DeleteSetting(name) => {
                        crate::accounts::delete_setting(tx, name)?;
                    }
                    TenantChange::CreateRole(role) => crate::roles::create_role(tx, role)?,
                    TenantChange::UpdateRole(role) => crate::roles::update_role(tx, role)?,
                    TenantChange::AddRolePermissions {
                        role_id,
                        permissions,
                    } => crate::roles::add_role_permissions(tx, role_id, permissions)?,
                    TenantChange::RemoveRolePermissions {
                        role_id,
                        permissions,
                    } => crate::roles::remove_role_permissions(tx, role_id, permissions)?,
                    TenantChange::AssignUserRoles { user_id, role_ids } => {
                        crate::roles::assign_user_roles(tx, user_id, role_ids)?
                    }
                    TenantChange::RemoveUserRoles { user_id, role_ids } => {
                        crate::roles::remove_user_roles(tx, user_id, role_ids)?
                    }
                }
            }
            // An error above returns early, and `write` rolls the transaction back.
            Ok(())
        }))
        .await
    }
}
