//! The one error type of tenant management, with messages written for the person at the CLI.

use crate::crypto::PasswordError;
use crate::keys::KeyError;
use crate::redirect::RegistrationError;
use portcullis_store::StoreError;

/// Why a tenant-management operation was refused or failed.
///
/// Every message is meant to be shown as is: it names the value at fault and, where it helps,
/// what would be accepted instead. Wrapped errors are part of the message rather than a
/// `source`, so printing the chain never repeats them.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AdminError {
    /// A value does not have the required form (`field` names it, e.g. `email`, `identifier`).
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    /// A callback, logout URL or web origin that cannot be registered.
    #[error("{field} {error}")]
    Uri {
        /// `callback`, `logout URL` or `web origin`.
        field: &'static str,
        error: RegistrationError,
    },
    /// No such record (`what` is e.g. `user`, `application`).
    #[error("no {what} {key:?}")]
    NotFound { what: &'static str, key: String },
    /// A unique value is already taken.
    #[error("{what} {key:?} already exists")]
    AlreadyExists { what: &'static str, key: String },
    /// An entry of a tenant file was refused; `entry` names it (`applications[2] (demo-web)`).
    #[error("{entry}: {error}")]
    Entry {
        entry: String,
        error: Box<AdminError>,
    },
    /// Several problems, each shown on its own line (a tenant file reports all of them at once).
    #[error("{} problems:{}", .0.len(), lines(.0))]
    Problems(Vec<AdminError>),
    /// An environment variable a tenant file names is not set.
    #[error("environment variable {0} is not set (or is not valid UTF-8)")]
    MissingEnv(String),
    // The wrapped errors below are part of the message, not a `source`, so that printing the
    // error chain (anyhow's `{:#}`) does not repeat them.
    #[error("{0}")]
    Password(PasswordError),
    #[error("signing keys: {0}")]
    Key(KeyError),
    #[error("database: {0}")]
    Store(StoreError),
    /// Ending a user's sessions failed (signing a logout token, or the database).
    #[error("ending the user's sessions: {}", sign_out_message(.0))]
    SignOut(crate::error::OAuthError),
}

/// The description, with the private detail (the operator at the CLI may see it).
fn sign_out_message(e: &crate::error::OAuthError) -> String {
    match &e.detail {
        Some(detail) => format!("{} ({detail})", e.description),
        None => e.description.to_string(),
    }
}

/// `\n  a\n  b`: each problem on an indented line.
fn lines(problems: &[AdminError]) -> String {
    problems.iter().map(|p| format!("\n  {p}")).collect()
}

impl From<PasswordError> for AdminError {
    fn from(e: PasswordError) -> Self {
        AdminError::Password(e)
    }
}

impl From<KeyError> for AdminError {
    fn from(e: KeyError) -> Self {
        AdminError::Key(e)
    }
}

impl From<StoreError> for AdminError {
    fn from(e: StoreError) -> Self {
        AdminError::Store(e)
    }
}

impl AdminError {
    /// An [`AdminError::Invalid`].
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        AdminError::Invalid {
            field,
            message: message.into(),
        }
    }

    /// An [`AdminError::NotFound`].
    pub fn not_found(what: &'static str, key: impl Into<String>) -> Self {
        AdminError::NotFound {
            what,
            key: key.into(),
        }
    }

    /// An [`AdminError::AlreadyExists`].
    pub fn exists(what: &'static str, key: impl Into<String>) -> Self {
        AdminError::AlreadyExists {
            what,
            key: key.into(),
        }
    }

    /// One problem as itself, several as [`AdminError::Problems`]; `None` when there are none.
    pub fn all(mut problems: Vec<AdminError>) -> Option<Self> {
        match problems.len() {
            0 => None,
            1 => problems.pop(),
            _ => Some(AdminError::Problems(problems)),
        }
    }

    /// Wraps the error with the tenant-file entry it is about.
    pub fn in_entry(self, entry: impl Into<String>) -> Self {
        AdminError::Entry {
            entry: entry.into(),
            error: Box::new(self),
        }
    }

    /// A `NotFound` from the store becomes "no {what} {key}"; anything else passes through.
    pub(crate) fn from_store(err: StoreError, what: &'static str, key: &str) -> Self {
        match err {
            StoreError::NotFound => AdminError::not_found(what, key),
            StoreError::Conflict(_) => AdminError::exists(what, key),
            other => AdminError::Store(other),
        }
    }
}

/// Result of a tenant-management operation.
pub type AdminResult<T> = Result<T, AdminError>;
