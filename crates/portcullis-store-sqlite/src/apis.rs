//! `ApiStore`: APIs and client grants.

use crate::SqliteStore;
use crate::error::Failure;
use crate::rows::{self, api_columns, client_grant_columns, to_json};
use crate::sql;
use async_trait::async_trait;
use portcullis_store::{Api, ApiStore, ClientGrant, StoreError, StoreResult};
use rusqlite::params;

#[async_trait]
impl ApiStore for SqliteStore {
    async fn create_api(&self, api: &Api) -> StoreResult<()> {
        let api = api.clone();
        self.catalog_write(self.write(move |tx| create_api(tx, &api)))
            .await
    }

    async fn get_api(&self, api_id: &str) -> StoreResult<Option<Api>> {
        let api_id = api_id.to_owned();
        self.read_now(move |c| {
            Ok(sql::optional(
                c,
                concat!("SELECT ", api_columns!(), " FROM apis WHERE api_id = ?"),
                params![api_id],
                rows::api,
            )?)
        })
        .await
    }

    async fn get_api_by_identifier(&self, identifier: &str) -> StoreResult<Option<Api>> {
        let identifier = identifier.to_owned();
        self.read_now(move |c| {
            Ok(sql::optional(
                c,
                concat!("SELECT ", api_columns!(), " FROM apis WHERE identifier = ?"),
                params![identifier],
                rows::api,
            )?)
        })
        .await
    }

    async fn list_apis(&self) -> StoreResult<Vec<Api>> {
        self.read(|c| {
            Ok(sql::all(
                c,
                concat!(
                    "SELECT ",
                    api_columns!(),
                    " FROM apis ORDER BY created_at, api_id"
                ),
                [],
                rows::api,
            )?)
        })
        .await
    }

    async fn update_api(&self, api: &Api) -> StoreResult<()> {
        let api = api.clone();
        self.catalog_write(self.write(move |tx| update_api(tx, &api)))
            .await
    }

    async fn delete_api(&self, api_id: &str) -> StoreResult<()> {
        let api_id = api_id.to_owned();
        self.catalog_write(self.write(move |tx| {
            let identifier: Option<String> = sql::optional(
                tx,
                "DELETE FROM apis WHERE api_id = ? RETURNING identifier",
                params![api_id],
                |r| r.get(0),
            )?;
            let Some(identifier) = identifier else {
                return Err(StoreError::NotFound.into());
            };
            for statement in [
                "DELETE FROM client_grants WHERE audience = ?",
                "DELETE FROM role_permissions WHERE resource_server_identifier = ?",
            ] {
                sql::execute(tx, statement, params![identifier])?;
            }
            Ok(())
        }))
        .await
    }

    async fn create_client_grant(&self, grant: &ClientGrant) -> StoreResult<()> {
        let grant = grant.clone();
        self.catalog_write(self.write(move |tx| create_client_grant(tx, &grant)))
            .await
    }

    async fn find_client_grant(
        &self,
        client_id: &str,
        audience: &str,
    ) -> StoreResult<Option<ClientGrant>> {
        let client_id = client_id.to_owned();
        let audience = audience.to_owned();
        self.read_now(move |c| {
            Ok(sql::optional(
                c,
                concat!(
                    "SELECT ",
                    client_grant_columns!(),
                    " FROM client_grants WHERE client_id = ? AND audience = ?"
                ),
                params![client_id, audience],
                rows::client_grant,
            )?)
        })
        .await
    }

    async fn list_client_grants(&self) -> StoreResult<Vec<ClientGrant>> {
        self.read(|c| {
            Ok(sql::all(
                c,
                concat!(
                    "SELECT ",
                    client_grant_columns!(),
                    " FROM client_grants ORDER BY created_at, grant_id"
                ),
                [],
                rows::client_grant,
            )?)
        })
        .await
    }

    async fn update_client_grant(&self, grant: &ClientGrant) -> StoreResult<()> {
        let grant = grant.clone();
        self.catalog_write(self.write(move |tx| update_client_grant(tx, &grant)))
            .await
    }

    async fn delete_client_grant(&self, grant_id: &str) -> StoreResult<()> {
        let grant_id = grant_id.to_owned();
        self.catalog_write(self.write(move |tx| {
            let done = sql::execute(
                tx,
                "DELETE FROM client_grants WHERE grant_id = ?",
                params![grant_id],
            )?;
            if done == 0 {
                return Err(StoreError::NotFound.into());
            }
            Ok(())
        }))
        .await
    }
}

/// `create_api` on a connection: inside its own write transaction, or that of
/// `TenantStore::apply_tenant_changes`.
pub(crate) fn create_api(c: &rusqlite::Connection, api: &Api) -> Result<(), Failure> {
    sql::execute(
        c,
        concat!(
            "INSERT INTO apis (",
            api_columns!(),
            ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        ),
        params![
            api.api_id,
            api.identifier,
            api.name,
            to_json(&api.scopes)?,
            api.token_lifetime,
            api.allow_offline_access,
            to_json(&api.introspection_clients)?,
            api.created_at,
            api.updated_at,
            api.enforce_policies,
            api.token_dialect.as_str(),
        ],
    )?;
    Ok(())
}

/// `update_api` on a connection: inside its own write transaction, or that of
/// `TenantStore::apply_tenant_changes`.
pub(crate) fn update_api(c: &rusqlite::Connection, api: &Api) -> Result<(), Failure> {
    let done = sql::execute(
        c,
        "UPDATE apis SET identifier = ?, name = ?, scopes = ?, token_lifetime = ?, \
         allow_offline_access = ?, introspection_clients = ?, updated_at = ?, \
         enforce_policies = ?, token_dialect = ? WHERE api_id = ?",
        params![
            api.identifier,
            api.name,
            to_json(&api.scopes)?,
            api.token_lifetime,
            api.allow_offline_access,
            to_json(&api.introspection_clients)?,
            api.updated_at,
            api.enforce_policies,
            api.token_dialect.as_str(),
            api.api_id,
        ],
    )?;
    if done == 0 {
        return Err(StoreError::NotFound.into());
    }
    Ok(())
}

/// `create_client_grant` on a connection: inside its own write transaction, or that of
/// `TenantStore::apply_tenant_changes`.
pub(crate) fn create_client_grant(
    c: &rusqlite::Connection,
    grant: &ClientGrant,
) -> Result<(), Failure> {
    sql::execute(
        c,
        concat!(
            "INSERT INTO client_grants (",
            client_grant_columns!(),
            ") VALUES (?, ?, ?, ?, ?)"
        ),
        params![
            grant.grant_id,
            grant.client_id,
            grant.audience,
            to_json(&grant.scopes)?,
            grant.created_at,
        ],
    )?;
    Ok(())
}

/// `update_client_grant` on a connection: inside its own write transaction, or that of
/// `TenantStore::apply_tenant_changes`.
pub(crate) fn update_client_grant(
    c: &rusqlite::Connection,
    grant: &ClientGrant,
) -> Result<(), Failure> {
    let done = sql::execute(
        c,
        "UPDATE client_grants SET scopes = ? WHERE grant_id = ?",
        params![to_json(&grant.scopes)?, grant.grant_id],
    )?;
    if done == 0 {
        return Err(StoreError::NotFound.into());
    }
    Ok(())
}
