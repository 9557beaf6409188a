pub mod authorize;
pub mod discovery;
pub mod home;
pub mod login;
pub mod logout;
pub mod token;
pub mod userinfo;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use std::net::SocketAddr;

/// The client's address, for throttling: the socket peer address only (`X-Forwarded-For` is
/// trivially spoofed, so it is not trusted). Never fails: without connect info it is `unknown`.
pub struct ClientIp(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map_or_else(|| "unknown".to_owned(), |c| c.0.ip().to_string()),
        ))
    }
}
