//! `POST /dbconnections/signup` and `POST /dbconnections/change_password` (Auth0's database
//! connection endpoints).
//!
//! Sign-up follows the hosted page's rules: the same password policy and throttles, and the
//! account exists only once its email is confirmed (by the mailed link or code). The answer is
//! Auth0's `{"_id", "email", "email_verified": false}` for every address, new or taken; the
//! owner of a taken address gets a mail instead. Change password mails a reset link if the
//! address has an account and answers Auth0's sentence either way.

use super::{ApiError, Shape, application, for_origins, json_body, no_store};
use crate::routes::ClientIp;
use crate::state::AppState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use portcullis_core::Provider;
use portcullis_core::accounts::reset;
use portcullis_core::accounts::signup::{self, Links, SignUpForm};
use portcullis_core::connections::{self, Connection};
use serde::Deserialize;
use serde_json::{Map, Value, json};

/// Auth0's answer to change_password (`text/plain`).
pub const RESET_SENT: &str = "We've just sent you an email to reset your password.";

#[derive(Deserialize)]
pub struct SignupBody {
    client_id: Option<String>,
    client_secret: Option<String>,
    email: Option<String>,
    password: Option<String>,
    connection: Option<String>,
    username: Option<String>,
    given_name: Option<String>,
    family_name: Option<String>,
    name: Option<String>,
    nickname: Option<String>,
    picture: Option<String>,
    user_metadata: Option<Map<String, Value>>,
}

#[derive(Deserialize)]
pub struct ChangePasswordBody {
    client_id: Option<String>,
    client_secret: Option<String>,
    email: Option<String>,
    connection: Option<String>,
}

/// The `connection` member must name the database connection.
async fn database_connection(p: &Provider, connection: Option<&str>) -> Result<(), ApiError> {
    let Some(name) = connection.filter(|c| !c.is_empty()) else {
        return Err(ApiError::parameter(
            Shape::Database,
            "connection is required.",
        ));
    };
    match connections::resolve(p, name).await {
        Ok(Some(Connection::Database)) => Ok(()),
        Ok(_) => Err(ApiError::new(
            Shape::Database,
            StatusCode::BAD_REQUEST,
            "invalid_connection",
            &format!(
                "{} is not a database connection. Use {}.",
                portcullis_core::params::printable(name),
                connections::DEFAULT_DATABASE
            ),
        )),
        Err(e) => Err(ApiError::from_account(Shape::Database, &e.into())),
    }
}

pub async fn signup(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let p = &s.provider;
    let b: SignupBody = match json_body(Shape::Database, &headers, &body) {
        Ok(b) => b,
        Err(e) => return e.into_response(),
    };
    let client = match application(
        p,
        Shape::Database,
        b.client_id.as_deref(),
        b.client_secret.as_deref(),
        &ip,
    )
    .await
    {
        Ok(c) => c,
        Err(e) => return e.into_response(),
    };
    let answer = match start_signup(p, &b, &ip).await {
        Ok(answer) => no_store(Json(answer).into_response()),
        Err(e) => e.for_client(&client.client_id).into_response(),
    };
    for_origins(answer, &client)
}

async fn start_signup(p: &Provider, b: &SignupBody, ip: &str) -> Result<Value, ApiError> {
    database_connection(p, b.connection.as_deref()).await?;
    if b.username.as_deref().is_some_and(|u| !u.is_empty()) {
        return Err(ApiError::parameter(
            Shape::Database,
            "username is not supported: this connection signs users in by email.",
        ));
    }
    let email = b.email.as_deref().unwrap_or_default();
    let password = b.password.as_deref().unwrap_or_default();
    if email.is_empty() {
        return Err(ApiError::parameter(Shape::Database, "email is required."));
    }
    if password.is_empty() {
        return Err(ApiError::parameter(
            Shape::Database,
            "password is required.",
        ));
    }
    let issuer = &p.config.issuer;
    let confirm = |token: &str| issuer.endpoint(&format!("u/signup/confirm?token={token}"));
    let sign_in = issuer.endpoint("u/account");
    let reset = issuer.endpoint("u/reset");
    let form = SignUpForm {
        email,
        password,
        name: b.name.as_deref(),
        given_name: b.given_name.as_deref(),
        family_name: b.family_name.as_deref(),
        nickname: b.nickname.as_deref(),
        picture: b.picture.as_deref(),
        user_metadata: b.user_metadata.as_ref(),
    };
    let links = Links {
        confirm: &confirm,
        sign_in: &sign_in,
        reset: &reset,
    };
    let started = signup::start(p, form, ip, None, links, crate::ui::lang())
        .await
        .map_err(|e| ApiError::from_account(Shape::Database, &e))?;
    let mut answer = json!({
        "_id": started.user_id,
        "email": started.email,
        "email_verified": false,
    });
    if let Some(metadata) = b.user_metadata.as_ref().filter(|m| !m.is_empty()) {
        answer["user_metadata"] = Value::Object(metadata.clone());
    }
    // Auth0 echoes the profile members it was given.
    for (key, value) in [
        ("given_name", &b.given_name),
        ("family_name", &b.family_name),
        ("name", &b.name),
        ("nickname", &b.nickname),
        ("picture", &b.picture),
    ] {
        if let Some(v) = value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            answer[key] = json!(v);
        }
    }
    Ok(answer)
}

pub async fn change_password(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let p = &s.provider;
    let b: ChangePasswordBody = match json_body(Shape::Database, &headers, &body) {
        Ok(b) => b,
        Err(e) => return e.into_response(),
    };
    let client = match application(
        p,
        Shape::Database,
        b.client_id.as_deref(),
        b.client_secret.as_deref(),
        &ip,
    )
    .await
    {
        Ok(c) => c,
        Err(e) => return e.into_response(),
    };
    let answer = match request_reset(p, &b, &ip).await {
        Ok(()) => {
            let mut r = no_store((StatusCode::OK, RESET_SENT).into_response());
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            );
            r
        }
        Err(e) => e.for_client(&client.client_id).into_response(),
    };
    for_origins(answer, &client)
}

async fn request_reset(p: &Provider, b: &ChangePasswordBody, ip: &str) -> Result<(), ApiError> {
    database_connection(p, b.connection.as_deref()).await?;
    let email = b.email.as_deref().unwrap_or_default();
    if email.is_empty() {
        return Err(ApiError::parameter(Shape::Database, "email is required."));
    }
    let link = |token: &str| {
        p.config
            .issuer
            .endpoint(&format!("u/reset/confirm?token={token}"))
    };
    reset::request(p, email, ip, None, &link, crate::ui::lang())
        .await
        .map_err(|e| ApiError::from_account(Shape::Database, &e))
}
