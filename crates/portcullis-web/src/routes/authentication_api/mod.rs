//! Auth0's Authentication API endpoints that applications call from their own forms and back
//! ends (auth0-js `WebAuth`, the `auth0` npm `AuthenticationClient`): database sign-up and
//! change password, passwordless start, and cross-origin authentication. JSON in, JSON out, in
//! Auth0's shapes; CORS only for the calling application's web origins. The rules themselves
//! (password policy, confirmation mail, throttles, enumeration safety) are the hosted pages'
//! ones, in `portcullis_core::accounts`.

pub mod cross_origin;
pub mod dbconnections;
pub mod passwordless;

use crate::cors::ClientOrigins;
use axum::Json;
use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use portcullis_core::Provider;
use portcullis_core::accounts::AccountError;
use portcullis_core::client_auth::{self, ClientCredentials, MAX_CLIENT_ID_LEN};
use portcullis_store::{ApplicationType, Client};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// An error answer, in one of Auth0's two shapes: `/dbconnections/*` answers
/// `{name, code, description, statusCode}`, the other endpoints `{error, error_description}`.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    body: Value,
    /// For the rejection log.
    code: &'static str,
    reason: String,
    client_id: Option<String>,
}

/// Which shape errors take on an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `{name, code, description, statusCode}` (`/dbconnections/*`).
    Database,
    /// `{error, error_description}` (`/passwordless/start`, `/co/authenticate`).
    OAuth,
}

impl ApiError {
    pub fn new(shape: Shape, status: StatusCode, code: &'static str, description: &str) -> Self {
        let body = match shape {
            Shape::Database => json!({
                "name": error_name(status),
                "code": code,
                "description": description,
                "statusCode": status.as_u16(),
            }),
            Shape::OAuth => json!({ "error": code, "error_description": description }),
        };
        ApiError {
            status,
            body,
            code,
            reason: description.to_owned(),
            client_id: None,
        }
    }

    /// Auth0's answer to a password the policy refuses (`PasswordStrengthError`).
    pub fn weak_password(message: &str) -> Self {
        let body = json!({
            "name": "PasswordStrengthError",
            "message": "Password is too weak",
            "code": "invalid_password",
            "description": message,
            "policy": message,
            "statusCode": 400,
        });
        ApiError {
            status: StatusCode::BAD_REQUEST,
            body,
            code: "invalid_password",
            reason: message.to_owned(),
            client_id: None,
        }
    }

    /// A missing or malformed body member.
    pub fn parameter(shape: Shape, description: &str) -> Self {
        let code = match shape {
            Shape::Database => "invalid_parameter",
            Shape::OAuth => "invalid_request",
        };
        ApiError::new(shape, StatusCode::BAD_REQUEST, code, description)
    }

    /// The account rules' refusals, in this endpoint's shape.
    pub fn from_account(shape: Shape, e: &AccountError) -> Self {
        let message = e.to_string();
        match e {
            AccountError::Field { field, .. } if *field == "password" => {
                ApiError::weak_password(&message)
            }
            AccountError::Field { .. } => ApiError::parameter(shape, &message),
            AccountError::TooManyRequests => ApiError::new(
                shape,
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_attempts",
                &message,
            ),
            AccountError::SignupDisabled => ApiError::new(
                shape,
                StatusCode::FORBIDDEN,
                "operation_not_supported",
                "public signup is disabled",
            ),
            AccountError::Blocked => ApiError::new(
                shape,
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "user is blocked",
            ),
            AccountError::Internal(inner) => {
                tracing::error!(error = %inner, "authentication API request failed");
                ApiError::new(
                    shape,
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "server_error",
                    "Something went wrong on our side. Try again.",
                )
            }
            _ => ApiError::parameter(shape, &message),
        }
    }

    pub fn for_client(mut self, client_id: &str) -> Self {
        self.client_id = Some(client_id.to_owned());
        self
    }
}

fn error_name(status: StatusCode) -> &'static str {
    match status {
        StatusCode::UNAUTHORIZED => "UnauthorizedError",
        StatusCode::FORBIDDEN => "ForbiddenError",
        StatusCode::TOO_MANY_REQUESTS => "TooManyRequestsError",
        s if s.is_server_error() => "InternalServerError",
        _ => "BadRequestError",
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let response = no_store((self.status, Json(self.body)).into_response());
        let mut rejection = crate::rejections::Rejection::new(self.code, self.reason)
            .for_client(self.client_id.as_deref());
        rejection.internal = self.status.is_server_error();
        rejection.attach(response)
    }
}

/// Responses here hold account answers: never cached.
pub fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Parses a JSON body (Auth0's SDKs send JSON). Members this endpoint does not know are ignored,
/// as Auth0 does.
pub fn json_body<T: DeserializeOwned>(
    shape: Shape,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<T, ApiError> {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return Err(ApiError::new(
            shape,
            StatusCode::BAD_REQUEST,
            "invalid_body",
            "Send the body as application/json.",
        ));
    }
    serde_json::from_slice(body).map_err(|_| {
        ApiError::new(
            shape,
            StatusCode::BAD_REQUEST,
            "invalid_body",
            "The body is not a JSON object of the expected members.",
        )
    })
}

/// The application a request names. A `client_secret`, when sent (the `auth0` npm package sends
/// it for confidential applications), must be right (throttled like the token endpoint);
/// without one, the `client_id` only identifies the application, as on Auth0, since these
/// endpoints are called from browsers. Machine-to-machine applications sign no one in.
pub async fn application(
    p: &Provider,
    shape: Shape,
    client_id: Option<&str>,
    client_secret: Option<&str>,
    client_ip: &str,
) -> Result<Client, ApiError> {
    let unknown = || {
        ApiError::new(
            shape,
            StatusCode::UNAUTHORIZED,
            "unauthorized_client",
            "Unknown or unauthorized client_id.",
        )
    };
    let Some(client_id) = client_id.filter(|id| !id.is_empty()) else {
        return Err(ApiError::parameter(shape, "client_id is required."));
    };
    if client_id.len() > MAX_CLIENT_ID_LEN {
        return Err(unknown());
    }
    let client = match client_secret {
        Some(secret) => {
            let credentials = ClientCredentials::Post {
                client_id: client_id.to_owned(),
                secret: secret.to_owned(),
            };
            match client_auth::authenticate(p, &credentials, client_ip).await {
                Ok(authenticated) => authenticated.client,
                Err(e) if e.code == portcullis_core::ErrorCode::TooManyAttempts => {
                    return Err(ApiError::new(
                        shape,
                        StatusCode::TOO_MANY_REQUESTS,
                        "too_many_attempts",
                        &e.description,
                    ));
                }
                Err(e) => {
                    return Err(ApiError::new(
                        shape,
                        StatusCode::UNAUTHORIZED,
                        "invalid_client",
                        &e.description,
                    )
                    .for_client(client_id));
                }
            }
        }
        None => match p.store.get_client(client_id).await {
            Ok(Some(client)) => client,
            Ok(None) => return Err(unknown()),
            Err(e) => {
                return Err(ApiError::from_account(
                    shape,
                    &AccountError::Internal(e.into()),
                ));
            }
        },
    };
    if client.app_type == ApplicationType::M2m {
        return Err(ApiError::new(
            shape,
            StatusCode::FORBIDDEN,
            "unauthorized_client",
            "Machine-to-machine applications cannot sign users in.",
        )
        .for_client(client_id));
    }
    Ok(client)
}

/// Lets only `client`'s web origins read the answer (CORS).
pub fn for_origins(mut response: Response, client: &Client) -> Response {
    response
        .extensions_mut()
        .insert(ClientOrigins(client.web_origins.clone()));
    response
}
