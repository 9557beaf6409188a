//! `ClientStore`.

use crate::SqliteStore;
use crate::error::Failure;
use crate::rows::{self, client_columns, to_json};
use crate::sql;
use async_trait::async_trait;
use portcullis_store::{Client, ClientStore, StoreError, StoreResult};
use rusqlite::params;

#[async_trait]
impl ClientStore for SqliteStore {
    async fn create_client(&self, client: &Client) -> StoreResult<()> {
        let client = client.clone();
        self.catalog_write(self.write(move |tx| create_client(tx, &client)))
            .await
    }

    async fn get_client(&self, client_id: &str) -> StoreResult<Option<Client>> {
        let client_id = client_id.to_owned();
        self.read_now(move |c| {
            Ok(sql::optional(
                c,
                concat!(
                    "SELECT ",
                    client_columns!(),
                    " FROM clients WHERE client_id = ?"
                ),
                params![client_id],
                rows::client,
            )?)
        })
        .await
    }

    async fn list_clients(&self) -> StoreResult<Vec<Client>> {
        self.read(|c| {
            Ok(sql::all(
                c,
                concat!(
                    "SELECT ",
                    client_columns!(),
                    " FROM clients ORDER BY created_at, client_id"
                ),
                [],
                rows::client,
            )?)
        })
        .await
    }

    async fn update_client(&self, client: &Client) -> StoreResult<()> {
        let client = client.clone();
        self.catalog_write(self.write(move |tx| update_client(tx, &client)))
            .await
    }

    async fn delete_client(&self, client_id: &str) -> StoreResult<()> {
        let client_id = client_id.to_owned();
        self.catalog_write(self.write(move |tx| {
            let done = sql::execute(
                tx,
                "DELETE FROM clients WHERE client_id = ?",
                params![client_id],
            )?;
            if done == 0 {
                return Err(StoreError::NotFound.into());
            }
            for statement in [
                "DELETE FROM client_grants WHERE client_id = ?",
                "DELETE FROM authorization_codes WHERE client_id = ?",
                "DELETE FROM refresh_tokens WHERE client_id = ?",
                "DELETE FROM access_tokens WHERE client_id = ?",
                "DELETE FROM grants WHERE client_id = ?",
            ] {
                sql::execute(tx, statement, params![client_id])?;
            }
            Ok(())
        }))
        .await
    }
}

/// `create_client` on a connection: inside its own write transaction, or that of
/// `TenantStore::apply_tenant_changes`.
pub(crate) fn create_client(c: &rusqlite::Connection, client: &Client) -> Result<(), Failure> {
    sql::execute(
        c,
        concat!(
            "INSERT INTO clients (",
            client_columns!(),
            ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        ),
        params![
            client.client_id,
            client.name,
            client.app_type.as_str(),
            client.secret_hash,
            client.token_endpoint_auth_method.as_str(),
            to_json(&client.redirect_uris)?,
            to_json(&client.post_logout_redirect_uris)?,
            to_json(&client.web_origins)?,
            to_json(&client.grant_types)?,
            client.created_at,
            client.updated_at,
            client.backchannel_logout_uri,
            client.first_party,
        ],
    )?;
    Ok(())
}

/// `update_client` on a connection: inside its own write transaction, or that of
/// `TenantStore::apply_tenant_changes`.
pub(crate) fn update_client(c: &rusqlite::Connection, client: &Client) -> Result<(), Failure> {
    let done = sql::execute(
        c,
        "UPDATE clients SET name = ?, app_type = ?, secret_hash = ?, \
         token_endpoint_auth_method = ?, redirect_uris = ?, post_logout_redirect_uris = ?, \
         web_origins = ?, grant_types = ?, updated_at = ?, backchannel_logout_uri = ?, \
         first_party = ? WHERE client_id = ?",
        params![
            client.name,
            client.app_type.as_str(),
            client.secret_hash,
            client.token_endpoint_auth_method.as_str(),
            to_json(&client.redirect_uris)?,
            to_json(&client.post_logout_redirect_uris)?,
            to_json(&client.web_origins)?,
            to_json(&client.grant_types)?,
            client.updated_at,
            client.backchannel_logout_uri,
            client.first_party,
            client.client_id,
        ],
    )?;
    if done == 0 {
        return Err(StoreError::NotFound.into());
    }
    Ok(())
}
