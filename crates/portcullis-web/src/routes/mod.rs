pub mod authorize;
pub mod discovery;
pub mod home;
pub mod login;
pub mod logout;
pub mod token;
pub mod userinfo;

use axum::extract::ConnectInfo;
use axum::http::Request;
use std::net::SocketAddr;

/// The client's address, for throttling. The socket peer address only: `X-Forwarded-For` is
/// trivially spoofed, so it is not trusted.
pub fn client_ip<B>(request: &Request<B>) -> String {
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or_else(|| "unknown".to_owned(), |c| c.0.ip().to_string())
}
