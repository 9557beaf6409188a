//! Connections, as Auth0 names where users come from. Portcullis has one built-in database
//! connection, `Username-Password-Authentication` (Auth0's default name), holding every user
//! with a password; upstream (social and enterprise) connections will be listed here once they
//! exist.

/// The name of the built-in database connection.
pub const DATABASE_CONNECTION: &str = "Username-Password-Authentication";

/// Its stable id.
pub const DATABASE_CONNECTION_ID: &str = "con_database";

/// Its strategy (Auth0's name for database connections).
pub const DATABASE_STRATEGY: &str = "auth0";

/// Whether `name` names a connection that exists.
pub fn exists(name: &str) -> bool {
    name == DATABASE_CONNECTION
}
