//! `POST /passwordless/start` (Auth0's passwordless `email` connection): mails a 6-digit code
//! (`send: "code"`, redeemed at the token endpoint with the passwordless OTP grant or through
//! `/co/authenticate`) or a magic link (`send: "link"`, which answers the authorization request
//! of `authParams`). The answer is the same whether or not the address has an account.

use super::{ApiError, Shape, application, for_origins, json_body, no_store};
use crate::routes::ClientIp;
use crate::state::AppState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use portcullis_core::accounts::passwordless::{self, Delivery, Start};
use portcullis_core::connections::{self, Connection};
use portcullis_core::{Params, Provider};
use portcullis_store::Client;
use serde::Deserialize;
use serde_json::{Map, Value, json};

#[derive(Deserialize)]
pub struct StartBody {
    client_id: Option<String>,
    client_secret: Option<String>,
    connection: Option<String>,
    email: Option<String>,
    phone_number: Option<String>,
    send: Option<String>,
    #[serde(rename = "authParams")]
    auth_params: Option<Map<String, Value>>,
}

pub async fn start(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let p = &s.provider;
    let b: StartBody = match json_body(Shape::OAuth, &headers, &body) {
        Ok(b) => b,
        Err(e) => return e.into_response(),
    };
    let client = match application(
        p,
        Shape::OAuth,
        b.client_id.as_deref(),
        b.client_secret.as_deref(),
        &ip,
    )
    .await
    {
        Ok(c) => c,
        Err(e) => return e.into_response(),
    };
    let answer = match start_for(p, &client, b, &ip).await {
        Ok(answer) => no_store(Json(answer).into_response()),
        Err(e) => e.for_client(&client.client_id).into_response(),
    };
    for_origins(answer, &client)
}

async fn start_for(
    p: &Provider,
    client: &Client,
    b: StartBody,
    ip: &str,
) -> Result<Value, ApiError> {
    let bad = |code: &'static str, description: &str| {
        ApiError::new(Shape::OAuth, StatusCode::BAD_REQUEST, code, description)
    };
    let connection = b.connection.as_deref().unwrap_or_default();
    match connections::resolve(p, connection).await {
        Ok(Some(Connection::PasswordlessEmail)) => {}
        Ok(_) if connection == "sms" => {
            return Err(bad(
                "bad.connection",
                "The sms connection is not supported: use email.",
            ));
        }
        Ok(_) => return Err(bad("bad.connection", "Connection does not exist.")),
        Err(e) => return Err(ApiError::from_account(Shape::OAuth, &e.into())),
    }
    if b.phone_number.is_some() {
        return Err(bad(
            "bad.phone_number",
            "phone_number is for the sms connection.",
        ));
    }
    let Some(email) = b.email.as_deref().filter(|e| !e.is_empty()) else {
        return Err(bad("bad.email", "email is required."));
    };
    let send = match b.send.as_deref() {
        None => Delivery::Link,
        Some(value) => {
            Delivery::parse(value).ok_or_else(|| bad("bad.send", "send must be code or link."))?
        }
    };
    let auth_params = match send {
        Delivery::Link => Some(link_request(p, client, b.auth_params).await?),
        Delivery::Code => None,
    };
    let link = |token: &str| {
        p.config
            .issuer
            .endpoint(&format!("passwordless/verify_redirect?token={token}"))
    };
    let started = passwordless::start(
        p,
        Start {
            email,
            send,
            client_id: &client.client_id,
            auth_params,
            transaction: None,
        },
        ip,
        &link,
        crate::ui::lang(),
    )
    .await
    .map_err(|e| ApiError::from_account(Shape::OAuth, &e))?;
    Ok(json!({
        "_id": started.id,
        "email": started.email,
        "email_verified": false,
    }))
}

/// The authorization request a magic link answers: `authParams` (string members) with the
/// application's `client_id`, checked now so that a link is never mailed for a request that
/// cannot be answered (it is checked again when the link is opened).
async fn link_request(
    p: &Provider,
    client: &Client,
    auth_params: Option<Map<String, Value>>,
) -> Result<Params, ApiError> {
    let bad = |description: &str| {
        ApiError::new(
            Shape::OAuth,
            StatusCode::BAD_REQUEST,
            "bad.authParams",
            description,
        )
    };
    let mut pairs = vec![("client_id".to_owned(), client.client_id.clone())];
    for (key, value) in auth_params.unwrap_or_default() {
        if key == "client_id" {
            continue;
        }
        match value {
            Value::String(v) => pairs.push((key, v)),
            _ => return Err(bad("authParams members must be strings.")),
        }
    }
    let params = Params::from_pairs(pairs).map_err(|e| bad(&e.description))?;
    if params.get("redirect_uri").is_none() {
        return Err(bad("authParams.redirect_uri is required with send=link."));
    }
    match portcullis_core::authorize::validate(p, params.clone()).await {
        Ok(_) => Ok(params),
        Err(portcullis_core::authorize::AuthorizeFailure::ErrorPage(e)) => Err(bad(&e.description)),
        Err(portcullis_core::authorize::AuthorizeFailure::Respond(r)) => {
            let description = r
                .error
                .map(|e| e.description.to_string())
                .unwrap_or_default();
            Err(bad(&description))
        }
    }
}
