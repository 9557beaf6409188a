//! `TenantStore`: a tenant-file apply in one transaction.

use crate::SqliteStore;
use async_trait::async_trait;
use portcullis_store::{StoreResult, TenantChange, TenantStore};

#[async_trait]
impl TenantStore for SqliteStore {
    async fn apply_tenant_changes(&self, changes: &[TenantChange]) -> StoreResult<()> {
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
            }
        }
        // Dropping the transaction on an early return above rolls it back.
        tx.commit().await.map_err(crate::error::db)
    }
}
