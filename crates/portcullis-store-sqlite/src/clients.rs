//! `ClientStore`.

use crate::SqliteStore;
use crate::error::db;
use crate::rows::{self, client_columns, to_json};
use async_trait::async_trait;
use portcullis_store::{Client, ClientStore, StoreError, StoreResult};

#[async_trait]
impl ClientStore for SqliteStore {
    async fn create_client(&self, client: &Client) -> StoreResult<()> {
        self.catalog_write(create_client(&self.pool, client)).await
    }

    async fn get_client(&self, client_id: &str) -> StoreResult<Option<Client>> {
        sqlx::query(concat!(
            "SELECT ",
            client_columns!(),
            " FROM clients WHERE client_id = ?"
        ))
        .bind(client_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?
        .as_ref()
        .map(rows::client)
        .transpose()
    }

    async fn list_clients(&self) -> StoreResult<Vec<Client>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            client_columns!(),
            " FROM clients ORDER BY created_at, client_id"
        ))
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows::all(rows, rows::client)
    }

    async fn update_client(&self, client: &Client) -> StoreResult<()> {
        self.catalog_write(update_client(&self.pool, client)).await
    }

    async fn delete_client(&self, client_id: &str) -> StoreResult<()> {
        self.catalog_write(async {
            let mut tx = self.write_tx().await?;
            let done = sqlx::query("DELETE FROM clients WHERE client_id = ?")
                .bind(client_id)
                .execute(&mut *tx)
                .await
                .map_err(db)?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
            for statement in [
                "DELETE FROM client_grants WHERE client_id = ?",
                "DELETE FROM authorization_codes WHERE client_id = ?",
                "DELETE FROM refresh_tokens WHERE client_id = ?",
                "DELETE FROM access_tokens WHERE client_id = ?",
                "DELETE FROM grants WHERE client_id = ?",
            ] {
                sqlx::query(statement)
                    .bind(client_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(db)?;
            }
            tx.commit().await.map_err(db)
        })
        .await
    }
}

/// `create_client` on any executor: the pool, or the transaction of
/// `TenantStore::apply_tenant_changes`.
pub(crate) async fn create_client<'e>(
    e: impl sqlx::Executor<'e, Database = sqlx::Sqlite>,
    client: &Client,
) -> StoreResult<()> {
    sqlx::query(concat!(
        "INSERT INTO clients (",
        client_columns!(),
        ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    ))
    .bind(&client.client_id)
    .bind(&client.name)
    .bind(client.app_type.as_str())
    .bind(&client.secret_hash)
    .bind(client.token_endpoint_auth_method.as_str())
    .bind(to_json(&client.redirect_uris)?)
    .bind(to_json(&client.post_logout_redirect_uris)?)
    .bind(to_json(&client.web_origins)?)
    .bind(to_json(&client.grant_types)?)
    .bind(client.created_at)
    .bind(client.updated_at)
    .bind(&client.backchannel_logout_uri)
    .bind(client.first_party)
    .execute(e)
    .await
    .map_err(db)?;
    Ok(())
}

/// `update_client` on any executor: the pool, or the transaction of
/// `TenantStore::apply_tenant_changes`.
pub(crate) async fn update_client<'e>(
    e: impl sqlx::Executor<'e, Database = sqlx::Sqlite>,
    client: &Client,
) -> StoreResult<()> {
    let done = sqlx::query(
        "UPDATE clients SET name = ?, app_type = ?, secret_hash = ?, \
         token_endpoint_auth_method = ?, redirect_uris = ?, post_logout_redirect_uris = ?, \
         web_origins = ?, grant_types = ?, updated_at = ?, backchannel_logout_uri = ?, \
         first_party = ? WHERE client_id = ?",
    )
    .bind(&client.name)
    .bind(client.app_type.as_str())
    .bind(&client.secret_hash)
    .bind(client.token_endpoint_auth_method.as_str())
    .bind(to_json(&client.redirect_uris)?)
    .bind(to_json(&client.post_logout_redirect_uris)?)
    .bind(to_json(&client.web_origins)?)
    .bind(to_json(&client.grant_types)?)
    .bind(client.updated_at)
    .bind(&client.backchannel_logout_uri)
    .bind(client.first_party)
    .bind(&client.client_id)
    .execute(e)
    .await
    .map_err(db)?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}
