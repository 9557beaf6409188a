//! Extractors that answer a malformed request in Auth0's error shape instead of axum's plain
//! text: [`ApiJson`] (the JSON body), [`ApiQuery`] (the query string), [`ApiPath`] (path
//! parameters).

use super::error::ApiError;
use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use portcullis_core::management::ManagementError;
use serde::de::DeserializeOwned;

/// A JSON body; a missing or wrong `Content-Type`, bad JSON or a field of the wrong type is a
/// 400 `invalid_body` ("Payload validation error: …").
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(request, state).await {
            Ok(axum::Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(ApiError(json_error(&rejection))),
        }
    }
}

fn json_error(rejection: &JsonRejection) -> ManagementError {
    match rejection {
        JsonRejection::MissingJsonContentType(_) => ManagementError::invalid_body(
            "Payload validation error: 'Content-Type must be application/json'",
        ),
        JsonRejection::JsonSyntaxError(_) => {
            ManagementError::invalid_body("Invalid request payload JSON format")
        }
        JsonRejection::JsonDataError(e) => ManagementError::invalid_body(format!(
            "Payload validation error: '{}'",
            printable(&e.body_text())
        )),
        JsonRejection::BytesRejection(_) => ManagementError::invalid_body(
            "Payload validation error: 'the request body is too large or was cut off'",
        ),
        _ => ManagementError::invalid_body("Invalid request payload"),
    }
}

/// The query string as `T`; anything that does not fit is a 400 `invalid_query_string`.
pub struct ApiQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        serde_urlencoded::from_str::<T>(query)
            .map(ApiQuery)
            .map_err(|e| {
                ApiError(ManagementError::invalid_query(format!(
                    "Query validation error: '{}'",
                    printable(&e.to_string())
                )))
            })
    }
}

/// Path parameters; a segment that is not valid UTF-8 after percent-decoding is a 404.
pub struct ApiPath<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(ApiPath(value)),
            Err(PathRejection::FailedToDeserializePathParams(_)) | Err(_) => Err(ApiError(
                ManagementError::not_found("inexistent_resource", "Not Found"),
            )),
        }
    }
}

/// A message quoting input, cut short and without control characters.
fn printable(text: &str) -> String {
    text.chars().filter(|c| !c.is_control()).take(300).collect()
}
