//! CORS for the endpoints browsers call directly (token, revocation, userinfo, and Auth0's
//! Authentication API: `/dbconnections/*`, `/passwordless/start`, `/co/authenticate`), only for
//! origins some application lists as an allowed web origin. `/authorize` never gets CORS
//! headers (RFC 9700 §2.6, checklist #34).

use crate::state::AppState;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::HashSet;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long the set of allowed origins is reused before it is read again.
const TTL: Duration = Duration::from_secs(10);

/// The union of every application's allowed web origins, read from the store at most every
/// [`TTL`].
#[derive(Default)]
pub struct OriginCache {
    inner: Mutex<Option<(Instant, HashSet<String>)>>,
}

impl OriginCache {
    async fn allows(&self, state: &AppState, origin: &str) -> bool {
        if let Ok(guard) = self.inner.lock()
            && let Some((at, set)) = guard.as_ref()
            && at.elapsed() < TTL
        {
            return set.contains(origin);
        }
        let Ok(clients) = state.provider.store.list_clients().await else {
            return false;
        };
        let set: HashSet<String> = clients.into_iter().flat_map(|c| c.web_origins).collect();
        let allowed = set.contains(origin);
        if let Ok(mut guard) = self.inner.lock() {
            *guard = Some((Instant::now(), set));
        }
        allowed
    }
}

/// Set by a handler on a response to a request it could attribute to one application: only that
/// application's allowed web origins may read it.
#[derive(Clone, Debug)]
pub struct ClientOrigins(pub Vec<String>);

pub async fn cors(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let origin = request
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let Some(origin) = origin else {
        return next.run(request).await;
    };
    let allowed = state.origins.allows(&state, &origin).await;
    // Cross-origin authentication is the one call made with credentials (its answer sets the
    // verifier cookie); it is still limited to the calling application's origins.
    let credentials = request.uri().path() == CREDENTIALED_PATH;
    if request.method() == Method::OPTIONS {
        if !allowed {
            return (StatusCode::FORBIDDEN, "origin not allowed").into_response();
        }
        let mut response = Response::new(Body::empty());
        *response.status_mut() = StatusCode::NO_CONTENT;
        let h = response.headers_mut();
        add_origin(h, &origin);
        h.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("GET, POST"),
        );
        h.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static("auth0-client, content-type, authorization, dpop"),
        );
        h.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static("86400"),
        );
        if credentials {
            allow_credentials(h);
        }
        return response;
    }
    let mut response = next.run(request).await;
    let allowed = match response.extensions().get::<ClientOrigins>() {
        Some(ClientOrigins(origins)) => origins.contains(&origin),
        None => allowed,
    };
    if allowed {
        add_origin(response.headers_mut(), &origin);
        if credentials {
            allow_credentials(response.headers_mut());
        }
    }
    response
}

/// The endpoint browsers call with credentials.
const CREDENTIALED_PATH: &str = "/co/authenticate";

fn allow_credentials(h: &mut axum::http::HeaderMap) {
    h.insert(
        header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
        HeaderValue::from_static("true"),
    );
}

fn add_origin(h: &mut axum::http::HeaderMap, origin: &str) {
    if let Ok(v) = HeaderValue::from_str(origin) {
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, v);
    }
    h.append(header::VARY, HeaderValue::from_static("Origin"));
}

/// `OPTIONS` that the CORS middleware did not answer: no `Origin`, so not a preflight.
pub async fn preflight_refused() -> StatusCode {
    StatusCode::FORBIDDEN
}
