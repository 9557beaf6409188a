//! The session layer (decrypts the cookie once per request, rolls and rewrites it on the way
//! out) and the `require_auth` layer.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::response::{IntoResponse, Response};
use http::{HeaderValue, Request, StatusCode, header};

use crate::Error;
use crate::auth::{PortcullisAuth, SESSION_COOKIE};
use crate::cookies::RequestCookies;
use crate::session::{SessionHandle, SessionState};

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl PortcullisAuth {
    /// The session layer: wrap your whole app (including [`router`](Self::router)) in it.
    pub fn session_layer(&self) -> SessionLayer {
        SessionLayer { auth: self.clone() }
    }

    /// A layer that lets only signed-in users through: pages are redirected to
    /// `/auth/login?returnTo=…`; API requests (path under `/api`, or `Accept: application/json`
    /// without `text/html`) get `401` JSON. Put it inside [`session_layer`](Self::session_layer).
    pub fn require_auth(&self) -> RequireAuthLayer {
        RequireAuthLayer
    }
}

/// See [`PortcullisAuth::session_layer`].
#[derive(Clone, Debug)]
pub struct SessionLayer {
    auth: PortcullisAuth,
}

impl<S> tower::Layer<S> for SessionLayer {
    type Service = SessionService<S>;
    fn layer(&self, inner: S) -> Self::Service {
        SessionService {
            inner,
            auth: self.auth.clone(),
        }
    }
}

/// The service of [`SessionLayer`].
#[derive(Clone, Debug)]
pub struct SessionService<S> {
    inner: S,
    auth: PortcullisAuth,
}

impl<S, B> tower::Service<Request<B>> for SessionService<S>
where
    S: tower::Service<Request<B>, Response = Response> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = Response;
    type Error = S::Error;
    type Future = BoxFuture<Result<Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        if request.extensions().get::<SessionHandle>().is_some() {
            // An outer session layer already handles this request.
            return Box::pin(inner.call(request));
        }
        let auth = self.auth.clone();
        let cookies = RequestCookies::from_headers(request.headers());
        let state = SessionState {
            data: auth.read_session(&cookies),
            had_cookie: cookies.get_chunked(SESSION_COOKIE).is_some(),
            untouched: false,
        };
        let handle = SessionHandle(Arc::new(tokio::sync::Mutex::new(state)));
        request.extensions_mut().insert(handle.clone());
        request.extensions_mut().insert(auth.clone());
        request.extensions_mut().insert(cookies.clone());
        Box::pin(async move {
            let mut response = inner.call(request).await?;
            let state = handle.0.lock().await;
            if state.untouched {
                return Ok(response);
            }
            let set_cookies = match &state.data {
                Some(data) => auth.write_session(data, &cookies),
                None if state.had_cookie => {
                    auth.inner.cookie.delete_chunked(SESSION_COOKIE, &cookies)
                }
                None => Vec::new(),
            };
            for c in set_cookies {
                if let Ok(v) = HeaderValue::from_str(&c) {
                    response.headers_mut().append(header::SET_COOKIE, v);
                }
            }
            Ok(response)
        })
    }
}

/// Whether a request wants a JSON answer rather than a redirect.
pub(crate) fn is_api_request(parts_uri: &http::Uri, headers: &http::HeaderMap) -> bool {
    let path = parts_uri.path();
    if path == "/api" || path.starts_with("/api/") {
        return true;
    }
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    accept.contains("application/json") && !accept.contains("text/html")
}

/// The answer for a request that needs a signed-in user but has none.
pub(crate) fn unauthenticated(uri: &http::Uri, headers: &http::HeaderMap) -> Response {
    if is_api_request(uri, headers) {
        return Error::NotAuthenticated.json_response();
    }
    let return_to = uri.path_and_query().map_or("/", |p| p.as_str());
    let location = format!(
        "/auth/login?returnTo={}",
        url::form_urlencoded::byte_serialize(return_to.as_bytes()).collect::<String>()
    );
    let mut r = StatusCode::FOUND.into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

/// See [`PortcullisAuth::require_auth`].
#[derive(Clone, Copy, Debug)]
pub struct RequireAuthLayer;

impl<S> tower::Layer<S> for RequireAuthLayer {
    type Service = RequireAuth<S>;
    fn layer(&self, inner: S) -> Self::Service {
        RequireAuth { inner }
    }
}

/// The service of [`RequireAuthLayer`].
#[derive(Clone, Debug)]
pub struct RequireAuth<S> {
    inner: S,
}

impl<S, B> tower::Service<Request<B>> for RequireAuth<S>
where
    S: tower::Service<Request<B>, Response = Response> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = Response;
    type Error = S::Error;
    type Future = BoxFuture<Result<Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        Box::pin(async move {
            let Some(handle) = request.extensions().get::<SessionHandle>().cloned() else {
                return Ok(Error::LayerMissing.into_response());
            };
            let signed_in = handle.0.lock().await.data.is_some();
            if signed_in {
                return inner.call(request).await;
            }
            let uri = request
                .extensions()
                .get::<axum::extract::OriginalUri>()
                .map_or_else(|| request.uri().clone(), |o| o.0.clone());
            Ok(unauthenticated(&uri, request.headers()))
        })
    }
}
