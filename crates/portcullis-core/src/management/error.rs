//! Errors of the Management API, in Auth0's terms: a kind (the HTTP layer picks the status), an
//! `errorCode` and a message meant for the developer calling the API.

use crate::admin::AdminError;
use portcullis_store::StoreError;

/// What went wrong, as Auth0's status classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// 400: the request is malformed or a value is refused.
    BadRequest,
    /// 401: no token, or not a live Management API token.
    Unauthorized,
    /// 403: the token lacks the scope the endpoint needs, or the operation is not allowed.
    Forbidden,
    /// 404: no such record, or no such endpoint.
    NotFound,
    /// 409: a unique value is taken.
    Conflict,
    /// 413: the request (an uploaded file) is too large.
    PayloadTooLarge,
    /// 429: the client's rate limit is used up.
    TooManyRequests,
    /// 500: the database or the signing keys failed (logged; the message says nothing more).
    Internal,
}

/// A refused or failed Management API call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{error_code}: {message}")]
pub struct ManagementError {
    pub kind: ErrorKind,
    /// Auth0's `errorCode` (e.g. `invalid_body`, `inexistent_user`, `insufficient_scope`).
    pub error_code: &'static str,
    pub message: String,
}

/// Result of a Management API operation.
pub type ManagementResult<T> = Result<T, ManagementError>;

impl ManagementError {
    pub fn new(kind: ErrorKind, error_code: &'static str, message: impl Into<String>) -> Self {
        ManagementError {
            kind,
            error_code,
            message: message.into(),
        }
    }

    /// 400 `invalid_body`: a field of the JSON body is refused.
    pub fn invalid_body(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::BadRequest, "invalid_body", message)
    }

    /// 400 `invalid_query_string`: a query parameter is refused.
    pub fn invalid_query(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::BadRequest, "invalid_query_string", message)
    }

    /// 401: the request carries no usable Management API token.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Unauthorized, "invalid_token", message)
    }

    /// 403 `insufficient_scope`, naming the scopes that would do (Auth0's wording).
    pub fn insufficient_scope(any_of: &[&str]) -> Self {
        Self::new(
            ErrorKind::Forbidden,
            "insufficient_scope",
            format!("Insufficient scope, expected any of: {}", any_of.join(",")),
        )
    }

    /// 403 `operation_not_supported`.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Forbidden, "operation_not_supported", message)
    }

    /// 404 with Auth0's `inexistent_<what>` code.
    pub fn not_found(error_code: &'static str, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotFound, error_code, message)
    }

    /// 409.
    pub fn conflict(error_code: &'static str, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Conflict, error_code, message)
    }

    /// 429 `too_many_requests`.
    pub fn too_many_requests() -> Self {
        Self::new(
            ErrorKind::TooManyRequests,
            "too_many_requests",
            "Global limit has been reached",
        )
    }

    /// 500; the cause is logged by the caller, not shown.
    pub fn internal() -> Self {
        Self::new(
            ErrorKind::Internal,
            "server_error",
            "Internal error; see the server log",
        )
    }
}

impl From<StoreError> for ManagementError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => Self::not_found("inexistent_resource", "Not found"),
            StoreError::Conflict(_) => Self::conflict("conflict", "The resource already exists"),
            other => {
                tracing::error!(error = %other, "management API: database error");
                Self::internal()
            }
        }
    }
}

/// Tenant-management errors keep their messages (they name the value at fault); a missing
/// record gets Auth0's `inexistent_…` code.
impl From<AdminError> for ManagementError {
    fn from(e: AdminError) -> Self {
        match e {
            AdminError::NotFound { what, .. } => {
                let (code, message) = match what {
                    "user" => ("inexistent_user", "The user does not exist."),
                    "application" => ("inexistent_client", "The client does not exist"),
                    "API" => (
                        "inexistent_resource_server",
                        "The resource server does not exist",
                    ),
                    "grant" => ("inexistent_client_grant", "The client grant does not exist"),
                    _ => ("inexistent_resource", "Not found"),
                };
                Self::not_found(code, message)
            }
            AdminError::AlreadyExists { what, key } => match what {
                "user" | "user with email" => {
                    Self::conflict("auth0_idp_error", "The user already exists.")
                }
                "grant" => Self::conflict(
                    "client_grant_conflict",
                    "A client grant for this client and audience already exists",
                ),
                "API" => Self::conflict(
                    "resource_server_conflict",
                    format!("A resource server with the same identifier {key:?} already exists"),
                ),
                _ => Self::conflict("conflict", e_text(what, &key)),
            },
            AdminError::Store(store) => store.into(),
            AdminError::Key(key) => {
                tracing::error!(error = %key, "management API: signing keys");
                Self::internal()
            }
            other => Self::invalid_body(other.to_string()),
        }
    }
}

fn e_text(what: &str, key: &str) -> String {
    format!("{what} {key:?} already exists")
}

/// The protocol layer fails only on storage here (checking a token).
impl From<crate::error::OAuthError> for ManagementError {
    fn from(e: crate::error::OAuthError) -> Self {
        tracing::error!(error = %e, "management API: checking a token");
        Self::internal()
    }
}
