//! The session layer (decrypts the cookie once per request; on the way out rewrites it only
//! when the session changed or its rolling expiry is due) and the `require_auth` layer.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::response::{IntoResponse, Response};
use http::{HeaderValue, Request, StatusCode, header};

use crate::Error;
use crate::auth::PortcullisAuth;
use crate::cookies::RequestCookies;
use crate::session::{SessionHandle, User};

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
        RequireAuthLayer {
            auth: self.clone(),
            check: None,
        }
    }

    /// [`require_auth`](Self::require_auth), plus a rule on the user: a signed-in user for whom
    /// `check` is false gets `403` (an HTML page, or JSON for API requests).
    ///
    /// ```
    /// # fn f(auth: portcullis_axum::PortcullisAuth) {
    /// let admins = auth.require(|user| {
    ///     user.claim("https://example.com/roles")
    ///         .and_then(|r| r.as_array())
    ///         .is_some_and(|roles| roles.iter().any(|r| r == "admin"))
    /// });
    /// # let _ = admins; }
    /// ```
    pub fn require(
        &self,
        check: impl Fn(&User) -> bool + Send + Sync + 'static,
    ) -> RequireAuthLayer {
        RequireAuthLayer {
            auth: self.clone(),
            check: Some(Arc::new(check)),
        }
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
        Box::pin(async move {
            let state = auth.load_session(&cookies).await;
            let handle = SessionHandle(Arc::new(tokio::sync::Mutex::new(state)));
            request.extensions_mut().insert(handle.clone());
            request.extensions_mut().insert(auth.clone());
            request.extensions_mut().insert(cookies.clone());
            let mut response = inner.call(request).await?;
            let state = handle.0.lock().await;
            for c in auth.save_session(&state, &cookies).await {
                if let Ok(v) = HeaderValue::from_str(&c) {
                    response.headers_mut().append(header::SET_COOKIE, v);
                }
            }
            Ok(response)
        })
    }
}

/// Whether a request wants a JSON answer rather than a redirect: its path is under one of the
/// configured API prefixes, or it accepts JSON and not HTML.
pub(crate) fn is_api_request(
    auth: &PortcullisAuth,
    uri: &http::Uri,
    headers: &http::HeaderMap,
) -> bool {
    let path = uri.path();
    let under = |prefix: &String| {
        let prefix = prefix.trim_end_matches('/');
        path == prefix
            || path
                .strip_prefix(prefix)
                .is_some_and(|rest| rest.starts_with('/'))
    };
    if auth.config().api_prefixes.iter().any(under) {
        return true;
    }
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    accept.contains("application/json") && !accept.contains("text/html")
}

/// The answer for a request that needs a signed-in user but has none: `401` JSON for APIs, a
/// redirect to the login (with `returnTo`) for pages.
pub(crate) fn unauthenticated(
    auth: &PortcullisAuth,
    uri: &http::Uri,
    headers: &http::HeaderMap,
) -> Response {
    if is_api_request(auth, uri, headers) {
        return Error::NotAuthenticated.json_response();
    }
    let return_to = uri.path_and_query().map_or("/", |p| p.as_str());
    let location = format!(
        "{}?returnTo={}",
        auth.config().routes.login,
        url::form_urlencoded::byte_serialize(return_to.as_bytes()).collect::<String>()
    );
    let mut r = StatusCode::FOUND.into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

/// The predicate of [`PortcullisAuth::require`].
type UserCheck = Arc<dyn Fn(&User) -> bool + Send + Sync>;

/// See [`PortcullisAuth::require_auth`] and [`PortcullisAuth::require`].
#[derive(Clone)]
pub struct RequireAuthLayer {
    auth: PortcullisAuth,
    check: Option<UserCheck>,
}

impl std::fmt::Debug for RequireAuthLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequireAuthLayer")
            .field("check", &self.check.is_some())
            .finish_non_exhaustive()
    }
}

impl<S> tower::Layer<S> for RequireAuthLayer {
    type Service = RequireAuth<S>;
    fn layer(&self, inner: S) -> Self::Service {
        RequireAuth {
            inner,
            layer: self.clone(),
        }
    }
}

/// The service of [`RequireAuthLayer`].
#[derive(Clone, Debug)]
pub struct RequireAuth<S> {
    inner: S,
    layer: RequireAuthLayer,
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
        let layer = self.layer.clone();
        Box::pin(async move {
            let Some(handle) = request.extensions().get::<SessionHandle>().cloned() else {
                return Ok(Error::LayerMissing.into_response());
            };
            let user = handle.0.lock().await.data.as_ref().map(|d| d.user.clone());
            let uri = request
                .extensions()
                .get::<axum::extract::OriginalUri>()
                .map_or_else(|| request.uri().clone(), |o| o.0.clone());
            let Some(user) = user else {
                return Ok(unauthenticated(&layer.auth, &uri, request.headers()));
            };
            if let Some(check) = &layer.check
                && !check(&user)
            {
                let error = Error::Forbidden;
                return Ok(if is_api_request(&layer.auth, &uri, request.headers()) {
                    error.json_response()
                } else {
                    error.into_response()
                });
            }
            inner.call(request).await
        })
    }
}
