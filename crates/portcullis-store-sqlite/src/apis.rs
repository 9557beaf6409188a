//! `ApiStore`: APIs and client grants.

use crate::SqliteStore;
use crate::error::db;
use crate::rows::{self, api_columns, client_grant_columns, to_json};
use async_trait::async_trait;
use portcullis_store::{Api, ApiStore, ClientGrant, StoreError, StoreResult};

#[async_trait]
impl ApiStore for SqliteStore {
    async fn create_api(&self, api: &Api) -> StoreResult<()> {
        self.catalog_write(create_api(&self.pool, api)).await
    }

    async fn get_api(&self, api_id: &str) -> StoreResult<Option<Api>> {
        sqlx::query(concat!(
            "SELECT ",
            api_columns!(),
            " FROM apis WHERE api_id = ?"
        ))
        .bind(api_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?
        .as_ref()
        .map(rows::api)
        .transpose()
    }

    async fn get_api_by_identifier(&self, identifier: &str) -> StoreResult<Option<Api>> {
        sqlx::query(concat!(
            "SELECT ",
            api_columns!(),
            " FROM apis WHERE identifier = ?"
        ))
        .bind(identifier)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?
        .as_ref()
        .map(rows::api)
        .transpose()
    }

    async fn list_apis(&self) -> StoreResult<Vec<Api>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            api_columns!(),
            " FROM apis ORDER BY created_at, api_id"
        ))
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows::all(rows, rows::api)
    }

    async fn update_api(&self, api: &Api) -> StoreResult<()> {
        self.catalog_write(update_api(&self.pool, api)).await
    }

    async fn delete_api(&self, api_id: &str) -> StoreResult<()> {
        self.catalog_write(async {
            let mut tx = self.write_tx().await?;
            let identifier: Option<String> =
                sqlx::query_scalar("DELETE FROM apis WHERE api_id = ? RETURNING identifier")
                    .bind(api_id)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(db)?;
            let Some(identifier) = identifier else {
                return Err(StoreError::NotFound);
            };
            for statement in [
                "DELETE FROM client_grants WHERE audience = ?",
                "DELETE FROM role_permissions WHERE resource_server_identifier = ?",
            ] {
                sqlx::query(statement)
                    .bind(&identifier)
                    .execute(&mut *tx)
                    .await
                    .map_err(db)?;
            }
            tx.commit().await.map_err(db)
        })
        .await
    }

    async fn create_client_grant(&self, grant: &ClientGrant) -> StoreResult<()> {
        self.catalog_write(create_client_grant(&self.pool, grant))
            .await
    }

    async fn find_client_grant(
        &self,
        client_id: &str,
        audience: &str,
    ) -> StoreResult<Option<ClientGrant>> {
        sqlx::query(concat!(
            "SELECT ",
            client_grant_columns!(),
            " FROM client_grants WHERE client_id = ? AND audience = ?"
        ))
        .bind(client_id)
        .bind(audience)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?
        .as_ref()
        .map(rows::client_grant)
        .transpose()
    }

    async fn list_client_grants(&self) -> StoreResult<Vec<ClientGrant>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            client_grant_columns!(),
            " FROM client_grants ORDER BY created_at, grant_id"
        ))
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows::all(rows, rows::client_grant)
    }

    async fn update_client_grant(&self, grant: &ClientGrant) -> StoreResult<()> {
        self.catalog_write(update_client_grant(&self.pool, grant))
            .await
    }

    async fn delete_client_grant(&self, grant_id: &str) -> StoreResult<()> {
        self.catalog_write(async {
            let done = sqlx::query("DELETE FROM client_grants WHERE grant_id = ?")
                .bind(grant_id)
                .execute(&self.pool)
                .await
                .map_err(db)?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
            Ok(())
        })
        .await
    }
}

/// `create_api` on any executor: the pool, or the transaction of
/// `TenantStore::apply_tenant_changes`.
pub(crate) async fn create_api<'e>(
    e: impl sqlx::Executor<'e, Database = sqlx::Sqlite>,
    api: &Api,
) -> StoreResult<()> {
    sqlx::query(concat!(
        "INSERT INTO apis (",
        api_columns!(),
        ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    ))
    .bind(&api.api_id)
    .bind(&api.identifier)
    .bind(&api.name)
    .bind(to_json(&api.scopes)?)
    .bind(api.token_lifetime)
    .bind(api.allow_offline_access)
    .bind(to_json(&api.introspection_clients)?)
    .bind(api.created_at)
    .bind(api.updated_at)
    .bind(api.enforce_policies)
    .bind(api.token_dialect.as_str())
    .execute(e)
    .await
    .map_err(db)?;
    Ok(())
}

/// `update_api` on any executor: the pool, or the transaction of
/// `TenantStore::apply_tenant_changes`.
pub(crate) async fn update_api<'e>(
    e: impl sqlx::Executor<'e, Database = sqlx::Sqlite>,
    api: &Api,
) -> StoreResult<()> {
    let done = sqlx::query(
        "UPDATE apis SET identifier = ?, name = ?, scopes = ?, token_lifetime = ?, \
         allow_offline_access = ?, introspection_clients = ?, updated_at = ?, \
         enforce_policies = ?, token_dialect = ? WHERE api_id = ?",
    )
    .bind(&api.identifier)
    .bind(&api.name)
    .bind(to_json(&api.scopes)?)
    .bind(api.token_lifetime)
    .bind(api.allow_offline_access)
    .bind(to_json(&api.introspection_clients)?)
    .bind(api.updated_at)
    .bind(api.enforce_policies)
    .bind(api.token_dialect.as_str())
    .bind(&api.api_id)
    .execute(e)
    .await
    .map_err(db)?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// `create_client_grant` on any executor: the pool, or the transaction of
/// `TenantStore::apply_tenant_changes`.
pub(crate) async fn create_client_grant<'e>(
    e: impl sqlx::Executor<'e, Database = sqlx::Sqlite>,
    grant: &ClientGrant,
) -> StoreResult<()> {
    sqlx::query(concat!(
        "INSERT INTO client_grants (",
        client_grant_columns!(),
        ") VALUES (?, ?, ?, ?, ?)"
    ))
    .bind(&grant.grant_id)
    .bind(&grant.client_id)
    .bind(&grant.audience)
    .bind(to_json(&grant.scopes)?)
    .bind(grant.created_at)
    .execute(e)
    .await
    .map_err(db)?;
    Ok(())
}

/// `update_client_grant` on any executor: the pool, or the transaction of
/// `TenantStore::apply_tenant_changes`.
pub(crate) async fn update_client_grant<'e>(
    e: impl sqlx::Executor<'e, Database = sqlx::Sqlite>,
    grant: &ClientGrant,
) -> StoreResult<()> {
    let done = sqlx::query("UPDATE client_grants SET scopes = ? WHERE grant_id = ?")
        .bind(to_json(&grant.scopes)?)
        .bind(&grant.grant_id)
        .execute(e)
        .await
        .map_err(db)?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}
