//! The SDKs against the real Portcullis. One binary, one module per feature.
#![allow(clippy::unwrap_used)]

mod app;
mod support;

mod actix_web_app;
mod app_state;
mod backchannel;
mod bearer;
mod rbac;
mod refresh;
mod session_cookie;
mod web_flow;
mod web_options;
