//! Auth0's error body for every Management API answer that is not a success:
//! `{"statusCode": 404, "error": "Not Found", "message": "…", "errorCode": "inexistent_user"}`.

use crate::rejections::Rejection;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use portcullis_core::admin::AdminError;
use portcullis_core::management::{ErrorKind, ManagementError};
use portcullis_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

/// A Management API error as a response. Handlers return `Result<_, ApiError>` and use `?` on
/// core, admin and store errors.
#[derive(Debug)]
pub struct ApiError(pub ManagementError);

/// The body of every error (Auth0's shape).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    /// The HTTP status code again.
    pub status_code: u16,
    /// The status text (`Bad Request`, `Forbidden`, …).
    pub error: String,
    /// What went wrong, for the developer.
    pub message: String,
    /// A stable code (`invalid_body`, `insufficient_scope`, `inexistent_user`, …).
    pub error_code: String,
}

pub(crate) fn status_of(kind: ErrorKind) -> StatusCode {
    match kind {
        ErrorKind::BadRequest => StatusCode::BAD_REQUEST,
        ErrorKind::Unauthorized => StatusCode::UNAUTHORIZED,
        ErrorKind::Forbidden => StatusCode::FORBIDDEN,
        ErrorKind::NotFound => StatusCode::NOT_FOUND,
        ErrorKind::Conflict => StatusCode::CONFLICT,
        ErrorKind::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        ErrorKind::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
        ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The error body for any status (used for answers the HTTP layer produced itself).
pub(crate) fn body(status: StatusCode, message: &str, error_code: &str) -> Response {
    let body = ErrorBody {
        status_code: status.as_u16(),
        error: status.canonical_reason().unwrap_or("Error").to_owned(),
        message: message.to_owned(),
        error_code: error_code.to_owned(),
    };
    crate::errors::no_store((status, Json(body)).into_response())
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let e = self.0;
        let status = status_of(e.kind);
        let mut response = body(status, &e.message, e.error_code);
        response.extensions_mut().insert(Rejection {
            error: e.error_code,
            reason: e.message.clone(),
            client_id: None,
            internal: e.kind == ErrorKind::Internal,
        });
        response
    }
}

impl From<ManagementError> for ApiError {
    fn from(e: ManagementError) -> Self {
        ApiError(e)
    }
}

impl From<AdminError> for ApiError {
    fn from(e: AdminError) -> Self {
        ApiError(e.into())
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        ApiError(e.into())
    }
}

/// Result of a Management API handler.
pub type ApiResult<T> = Result<T, ApiError>;
