//! Tenant management: users, applications, APIs, M2M grants and signing keys, plus the tenant
//! file ("tenant as code") and the development tenant.
//!
//! Plain async functions over a `&dyn Store`, used by the CLI (and later a management API). They
//! take the time as a parameter and return [`AdminError`]s whose messages can be shown to a
//! person as they are. Nothing here prints or logs a secret: generated client secrets come back
//! once as a [`Secret`] and are stored only as keyed hashes.

pub mod apis;
pub mod apps;
pub mod dev;
mod error;
pub mod grants;
pub mod keys;
pub mod mfa;
pub mod roles;
mod secret;
pub mod tenant;
pub mod users;
pub mod validate;

pub use error::{AdminError, AdminResult};
pub use secret::Secret;

#[cfg(test)]
mod tests;
