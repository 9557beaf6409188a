//! actix-web integration (feature `actix`): the same `/auth/*` routes, session cookie, checks
//! and answers as the axum integration, from the same code.
//!
//! * [`PortcullisAuth::actix_routes`] registers the routes (and the client as app data):
//!   `App::new().configure(auth.actix_routes())`.
//! * [`session`] is the session middleware (the counterpart of
//!   [`session_layer`](PortcullisAuth::session_layer)):
//!   `.wrap(actix_web::middleware::from_fn(portcullis_axum::actix::session))`. It reads the
//!   cookie once per request and rewrites it only when the session changed or its rolling
//!   expiry is due.
//! * Extractors: [`Session`], [`User`] (`User<C>` with typed claims; `Option<User>` where
//!   signing in is optional) and [`AccessTokenInfo`] (refreshed when due), with the axum
//!   answers: pages without a signed-in user are redirected to the login with `returnTo`, API
//!   requests get `401` JSON.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode as ActixStatus;
use actix_web::http::header::{HeaderName as ActixHeaderName, HeaderValue as ActixHeaderValue};
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse, ResponseError, web};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

use crate::Error;
use crate::auth::PortcullisAuth;
use crate::cookies::RequestCookies;
use crate::extract::{AccessTokenInfo, Session, typed};
use crate::layer::{is_api_request, unauthenticated};
use crate::routes;
use crate::session::{SessionHandle, User};

type LocalBoxFuture<T> = Pin<Box<dyn Future<Output = T>>>;

/// An answer of the shared code (a redirect, a JSON error, an HTML page), ready for actix-web:
/// the rejection of the extractors.
#[derive(Debug, Clone)]
pub struct ActixAnswer {
    status: u16,
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
}

impl ActixAnswer {
    async fn from_response(response: Response) -> Self {
        let (parts, body) = response.into_parts();
        // The shared code builds only small bodies (JSON errors, error pages).
        let body = axum::body::to_bytes(body, 1 << 20)
            .await
            .map(|b| b.to_vec())
            .unwrap_or_default();
        ActixAnswer {
            status: parts.status.as_u16(),
            headers: parts
                .headers
                .iter()
                .map(|(n, v)| (n.as_str().to_owned(), v.as_bytes().to_vec()))
                .collect(),
            body,
        }
    }

    /// The status code of the answer.
    pub fn status(&self) -> u16 {
        self.status
    }

    fn to_http_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        for (name, value) in &self.headers {
            if let (Ok(name), Ok(value)) = (
                ActixHeaderName::from_bytes(name.as_bytes()),
                ActixHeaderValue::from_bytes(value),
            ) {
                response.append_header((name, value));
            }
        }
        response.body(self.body.clone())
    }
}

impl std::fmt::Display for ActixAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "portcullis-axum answered {}", self.status)
    }
}

impl ResponseError for ActixAnswer {
    fn status_code(&self) -> ActixStatus {
        ActixStatus::from_u16(self.status).unwrap_or(ActixStatus::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        self.to_http_response()
    }
}

async fn answer(response: Response) -> HttpResponse {
    ActixAnswer::from_response(response)
        .await
        .to_http_response()
}

async fn reject(error: Error) -> ActixAnswer {
    ActixAnswer::from_response(error.into_response()).await
}

/// The request's URI and headers as the `http` 1.x types the shared code reads.
fn http_parts(req: &HttpRequest) -> (http::Uri, http::HeaderMap) {
    let uri = req.uri().to_string().parse().unwrap_or_default();
    (uri, http_headers(req.headers()))
}

fn http_headers(from: &actix_web::http::header::HeaderMap) -> http::HeaderMap {
    let mut headers = http::HeaderMap::new();
    for (name, value) in from {
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(name.as_str().as_bytes()),
            http::HeaderValue::from_bytes(value.as_bytes()),
        ) {
            headers.append(name, value);
        }
    }
    headers
}

fn auth_of(req: &HttpRequest) -> Option<PortcullisAuth> {
    req.app_data::<web::Data<PortcullisAuth>>()
        .map(|d| d.get_ref().clone())
        .or_else(|| req.app_data::<PortcullisAuth>().cloned())
}

fn query_pairs(req: &HttpRequest) -> Vec<(String, String)> {
    url::form_urlencoded::parse(req.query_string().as_bytes())
        .into_owned()
        .collect()
}

/// The session middleware for actix-web: wrap the app in
/// `actix_web::middleware::from_fn(portcullis_axum::actix::session)`, with the client in app
/// data (done by [`PortcullisAuth::actix_routes`]).
pub async fn session(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if req.extensions().get::<SessionHandle>().is_some() {
        // An outer session middleware already handles this request.
        return next.call(req).await;
    }
    let Some(auth) = auth_of(req.request()) else {
        return Err(reject(Error::LayerMissing).await.into());
    };
    let cookies = RequestCookies::from_headers(&http_headers(req.headers()));
    let state = auth.load_session(&cookies).await;
    let handle = SessionHandle(Arc::new(tokio::sync::Mutex::new(state)));
    req.extensions_mut().insert(handle.clone());
    let mut response = next.call(req).await?;
    let state = handle.0.lock().await;
    for cookie in auth.save_session(&state, &cookies).await {
        if let Ok(v) = ActixHeaderValue::from_str(&cookie) {
            response
                .headers_mut()
                .append(actix_web::http::header::SET_COOKIE, v);
        }
    }
    Ok(response)
}

async fn session_of(req: &HttpRequest) -> Result<Session, ActixAnswer> {
    let handle = req.extensions().get::<SessionHandle>().cloned();
    match (handle, auth_of(req)) {
        (Some(handle), Some(auth)) => Ok(Session::new(handle, auth)),
        _ => Err(reject(Error::LayerMissing).await),
    }
}

/// The session of the current request (which may be signed out); needs the [`session`]
/// middleware.
impl FromRequest for Session {
    type Error = ActixAnswer;
    type Future = LocalBoxFuture<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { session_of(&req).await })
    }
}

/// Requires a signed-in user: pages are redirected to the login (with `returnTo`), API
/// requests get `401` JSON. `Option<User>` is `None` when signed out.
impl<C: DeserializeOwned + 'static> FromRequest for User<C> {
    type Error = ActixAnswer;
    type Future = LocalBoxFuture<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let session = session_of(&req).await?;
            match session.user().await {
                Some(user) => match typed::<C>(user) {
                    Ok(user) => Ok(user),
                    Err(e) => Err(reject(e).await),
                },
                None => {
                    let (uri, headers) = http_parts(&req);
                    Err(
                        ActixAnswer::from_response(unauthenticated(session.auth(), &uri, &headers))
                            .await,
                    )
                }
            }
        })
    }
}

/// The signed-in user's access token, refreshed when due (see [`Session::access_token`]).
/// When signing in again is the only way to get one, pages are redirected to the login and API
/// requests get `401` JSON; other failures (provider down) are `502`.
impl FromRequest for AccessTokenInfo {
    type Error = ActixAnswer;
    type Future = LocalBoxFuture<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let session = session_of(&req).await?;
            let e = match session.access_token().await {
                Ok(token) => return Ok(token),
                Err(e) => e,
            };
            let (uri, headers) = http_parts(&req);
            let response = if is_api_request(session.auth(), &uri, &headers) {
                e.json_response()
            } else if e.requires_login() {
                unauthenticated(session.auth(), &uri, &headers)
            } else {
                e.into_response()
            };
            Err(ActixAnswer::from_response(response).await)
        })
    }
}

async fn login(req: HttpRequest) -> Result<HttpResponse, ActixAnswer> {
    let Some(auth) = auth_of(&req) else {
        return Err(reject(Error::LayerMissing).await);
    };
    Ok(answer(routes::login_response(&auth, query_pairs(&req)).await).await)
}

async fn callback(req: HttpRequest, session: Session) -> HttpResponse {
    let params: HashMap<String, String> = query_pairs(&req).into_iter().collect();
    let headers = http_headers(req.headers());
    let auth = session.auth().clone();
    answer(routes::callback_response(&auth, session, &headers, params).await).await
}

async fn logout(req: HttpRequest, session: Session) -> HttpResponse {
    let params: HashMap<String, String> = query_pairs(&req).into_iter().collect();
    let auth = session.auth().clone();
    answer(routes::logout_response(&auth, session, params).await).await
}

async fn profile(session: Session) -> HttpResponse {
    answer(routes::profile(session).await).await
}

async fn access_token(session: Session) -> HttpResponse {
    answer(routes::access_token(session).await).await
}

async fn backchannel_logout(
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ActixAnswer> {
    let Some(auth) = auth_of(&req) else {
        return Err(reject(Error::LayerMissing).await);
    };
    let logout_token = url::form_urlencoded::parse(&body)
        .find(|(name, _)| name == "logout_token")
        .map(|(_, value)| value.into_owned())
        .unwrap_or_default();
    let request = crate::backchannel::LogoutRequest { logout_token };
    Ok(answer(crate::backchannel::backchannel_response(&auth, request).await).await)
}

/// What [`PortcullisAuth::actix_require`] returns: a middleware function for
/// `actix_web::middleware::from_fn`.
pub type RequireFn<B> = Box<
    dyn Fn(
        ServiceRequest,
        Next<B>,
    ) -> LocalBoxFuture<Result<ServiceResponse<EitherBody<B>>, actix_web::Error>>,
>;

impl PortcullisAuth {
    /// Lets only signed-in users through (the counterpart of
    /// [`require_auth`](Self::require_auth)): pages are redirected to the login with
    /// `returnTo`, API requests get `401` JSON. Wrap a scope in it, inside the [`session`]
    /// middleware: `web::scope("/account").wrap(from_fn(auth.actix_require_auth()))`.
    pub fn actix_require_auth<B: MessageBody + 'static>(&self) -> RequireFn<B> {
        self.actix_require(|_| true)
    }

    /// [`actix_require_auth`](Self::actix_require_auth), plus a rule on the user (the
    /// counterpart of [`require`](Self::require)): a signed-in user for whom `check` is false
    /// gets `403` (an HTML page, or JSON for API requests).
    pub fn actix_require<B: MessageBody + 'static>(
        &self,
        check: impl Fn(&User) -> bool + 'static,
    ) -> RequireFn<B> {
        let check = Rc::new(check);
        let auth = self.clone();
        Box::new(move |req: ServiceRequest, next: Next<B>| {
            let check = check.clone();
            let auth = auth.clone();
            Box::pin(async move {
                let handle = req.extensions().get::<SessionHandle>().cloned();
                let Some(handle) = handle else {
                    return Err(reject(Error::LayerMissing).await.into());
                };
                let user = handle.0.lock().await.data.as_ref().map(|d| d.user.clone());
                let (uri, headers) = http_parts(req.request());
                let refusal = match user {
                    None => Some(unauthenticated(&auth, &uri, &headers)),
                    Some(user) if !check(&user) => Some(if is_api_request(&auth, &uri, &headers) {
                        Error::Forbidden.json_response()
                    } else {
                        Error::Forbidden.into_response()
                    }),
                    Some(_) => None,
                };
                match refusal {
                    Some(response) => {
                        let response = answer(response).await;
                        Ok(req.into_response(response).map_into_right_body())
                    }
                    None => next
                        .call(req)
                        .await
                        .map(ServiceResponse::map_into_left_body),
                }
            })
        })
    }

    /// The `/auth/*` routes for actix-web (login, callback, logout, profile, access-token, at
    /// [`Config::routes`](crate::Config::routes)), with this client as app data:
    ///
    /// ```no_run
    /// use actix_web::{App, HttpServer, middleware::from_fn, web};
    /// use portcullis_axum::{PortcullisAuth, User};
    ///
    /// async fn home(user: Option<User>) -> String {
    ///     user.map_or("signed out".into(), |u| format!("Hello {}", u.sub()))
    /// }
    ///
    /// # async fn run(auth: PortcullisAuth) -> std::io::Result<()> {
    /// HttpServer::new(move || {
    ///     App::new()
    ///         .configure(auth.actix_routes())
    ///         .route("/", web::get().to(home))
    ///         .wrap(from_fn(portcullis_axum::actix::session))
    /// })
    /// .bind(("127.0.0.1", 3000))?
    /// .run()
    /// .await
    /// # }
    /// ```
    ///
    /// With a [`session_store`](crate::ConfigBuilder::session_store), also
    /// `POST /auth/backchannel-logout` (OpenID Connect Back-Channel Logout 1.0).
    pub fn actix_routes(&self) -> impl Fn(&mut web::ServiceConfig) + Clone + 'static {
        let auth = self.clone();
        move |cfg: &mut web::ServiceConfig| {
            let paths = &auth.config().routes;
            cfg.app_data(web::Data::new(auth.clone()))
                .route(&paths.login, web::get().to(login))
                .route(&paths.callback, web::get().to(callback))
                .route(&paths.logout, web::get().to(logout))
                .route(&paths.profile, web::get().to(profile))
                .route(&paths.access_token, web::get().to(access_token));
            if auth.config().session_store.is_some() {
                cfg.route(
                    &paths.backchannel_logout,
                    web::post().to(backchannel_logout),
                );
            }
        }
    }
}
