//! Connections as Auth0 applications name them: the `connection` of `/authorize`,
//! `/dbconnections/*` and `/passwordless/start`, and the `realm` of the token endpoint's
//! password-realm and passwordless grants. Portcullis has one database connection (its users
//! with passwords), known as Auth0's built-in `Username-Password-Authentication` and, if the
//! tenant file names it (`[tenant] database_connection`), by that name too; and the `email`
//! passwordless connection.

use crate::Provider;
use crate::error::OAuthResult;

/// The name of Auth0's default database connection, always accepted.
pub const DEFAULT_DATABASE: &str = "Username-Password-Authentication";
/// Auth0's passwordless email connection.
pub const EMAIL: &str = "email";
/// The settings key of the tenant's own name for its database connection.
pub const DATABASE_SETTING: &str = "database_connection";

/// A connection Portcullis offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Connection {
    /// Email and password.
    Database,
    /// A one-time code or link sent by email.
    PasswordlessEmail,
}

/// The connection `name` refers to, if any. Names are case-sensitive, as on Auth0.
pub async fn resolve(p: &Provider, name: &str) -> OAuthResult<Option<Connection>> {
    if name == EMAIL {
        return Ok(Some(Connection::PasswordlessEmail));
    }
    if name == DEFAULT_DATABASE || is_tenant_database_name(p, name).await? {
        return Ok(Some(Connection::Database));
    }
    Ok(None)
}

async fn is_tenant_database_name(p: &Provider, name: &str) -> OAuthResult<bool> {
    Ok(!name.is_empty()
        && p.catalog
            .setting(p.store.as_ref(), DATABASE_SETTING)
            .await?
            .as_deref()
            == Some(name))
}
