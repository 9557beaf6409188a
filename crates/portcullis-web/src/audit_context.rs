//! Gives the audit log who is calling: every request runs in a
//! [`portcullis_core::audit::RequestContext`] with the client address (after the trusted-proxy
//! rules, as throttling sees it) and the user agent.

use crate::client_ip::ClientIp;
use crate::state::AppState;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;
use portcullis_core::audit::RequestContext;

/// Middleware: runs the request in its audit context.
pub async fn scope(State(s): State<AppState>, request: Request, next: Next) -> Response {
    let (mut parts, body) = request.into_parts();
    let Ok(ClientIp(ip)) = ClientIp::from_request_parts(&mut parts, &s).await;
    let user_agent = parts
        .headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok());
    let context = RequestContext::new(Some(ip), user_agent);
    let request = Request::from_parts(parts, body);
    context.scope(next.run(request)).await
}
