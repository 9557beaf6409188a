//! `POST /co/authenticate` (Auth0's cross-origin authentication, used by auth0-js
//! `passwordlessLogin` on an application's own page): the browser, from one of the
//! application's web origins and with credentials, sends the mailed one-time code; the answer
//! is a login ticket for `/authorize`, bound to this browser by a verifier cookie.

use super::{ApiError, Shape, application, json_body, no_store};
use crate::cookies;
use crate::cors::ClientOrigins;
use crate::routes::ClientIp;
use crate::state::AppState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use portcullis_core::cross_origin::{self, CoError};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct AuthenticateBody {
    client_id: Option<String>,
    credential_type: Option<String>,
    realm: Option<String>,
    username: Option<String>,
    otp: Option<String>,
}

pub async fn authenticate(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let p = &s.provider;
    let b: AuthenticateBody = match json_body(Shape::OAuth, &headers, &body) {
        Ok(b) => b,
        Err(e) => return e.into_response(),
    };
    let client = match application(p, Shape::OAuth, b.client_id.as_deref(), None, &ip).await {
        Ok(c) => c,
        Err(e) => return e.into_response(),
    };
    // Only from the application's own pages: the answer signs a browser in.
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    let Some(origin) = origin.filter(|o| client.web_origins.iter().any(|w| w == o)) else {
        return ApiError::new(
            Shape::OAuth,
            StatusCode::FORBIDDEN,
            "access_denied",
            "Cross-origin authentication is only allowed from the application's web origins.",
        )
        .for_client(&client.client_id)
        .into_response();
    };
    let origins = ClientOrigins(vec![origin.to_owned()]);
    let result = cross_origin::authenticate(
        p,
        &client,
        b.credential_type.as_deref().unwrap_or_default(),
        b.realm.as_deref(),
        b.username.as_deref().unwrap_or_default(),
        b.otp.as_deref().unwrap_or_default(),
    )
    .await;
    let mut response = match result {
        Ok(ticket) => {
            let mut r = no_store(Json(&ticket).into_response());
            let cookie = cookies::set(
                &p.config.issuer,
                cookies::co_verifier_name(&p.config.issuer),
                &ticket.co_verifier,
                Some(cross_origin::LIFETIME),
            );
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                r.headers_mut().append(header::SET_COOKIE, v);
            }
            r
        }
        Err(CoError::Refused(e)) => {
            let status = match e.code {
                portcullis_core::ErrorCode::UnauthorizedClient => StatusCode::FORBIDDEN,
                _ => StatusCode::BAD_REQUEST,
            };
            ApiError::new(Shape::OAuth, status, e.code.as_str(), &e.description)
                .for_client(&client.client_id)
                .into_response()
        }
        Err(CoError::Account(portcullis_core::accounts::AccountError::Field { .. })) => {
            // Auth0's answer to a wrong code.
            ApiError::new(
                Shape::OAuth,
                StatusCode::FORBIDDEN,
                "invalid_grant",
                portcullis_core::accounts::passwordless::WRONG_CODE,
            )
            .for_client(&client.client_id)
            .into_response()
        }
        Err(CoError::Account(e)) => ApiError::from_account(Shape::OAuth, &e)
            .for_client(&client.client_id)
            .into_response(),
    };
    response.extensions_mut().insert(origins);
    response
}
