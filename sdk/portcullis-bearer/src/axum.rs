//! axum extractors and a tower layer.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::extract::FromRequestParts;
use axum::response::{IntoResponse, Response};
use http::request::Parts;
use http::{Request, header};
use serde::de::DeserializeOwned;

use crate::Error;
use crate::claims::{AccessToken, NoCustomClaims};
use crate::guard::Guard;
use crate::validator::Validator;

/// Reads the token from `Authorization: Bearer …` (RFC 6750 §2.1).
///
/// No header, or another scheme, is "no credentials" (401 without an error code); a `Bearer`
/// header with no token, or several `Authorization` headers, is `invalid_request`.
pub fn bearer_token(headers: &http::HeaderMap) -> Result<&str, Error> {
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let Some(value) = values.next() else {
        return Err(Error::MissingToken);
    };
    if values.next().is_some() {
        return Err(Error::InvalidRequest(
            "more than one Authorization header".into(),
        ));
    }
    let value = value
        .to_str()
        .map_err(|_| Error::InvalidRequest("Authorization header is not ASCII".into()))?;
    let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(Error::MissingToken);
    }
    let token = rest.trim();
    let token68 = |c: char| c.is_ascii_alphanumeric() || "-._~+/=".contains(c);
    if token.is_empty() || !token.chars().all(token68) {
        return Err(Error::InvalidRequest("malformed bearer token".into()));
    }
    Ok(token)
}

/// What the layer leaves in request extensions for the extractors.
#[derive(Clone)]
struct Validated(AccessToken<NoCustomClaims>);

async fn validated_from_parts(parts: &mut Parts) -> Result<AccessToken<NoCustomClaims>, Response> {
    if let Some(Validated(token)) = parts.extensions.get::<Validated>() {
        return Ok(token.clone());
    }
    let Some(validator) = parts.extensions.get::<Validator>().cloned() else {
        return Err(Error::Config(
            "portcullis-bearer extractor used without a Validator: add `.layer(axum::Extension(validator))` or `validator.layer()`"
                .into(),
        )
        .into_response());
    };
    let result = match bearer_token(&parts.headers) {
        Ok(token) => validator.validate(token).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(token) => {
            parts.extensions.insert(Validated(token.clone()));
            Ok(token)
        }
        Err(e) => Err(e.to_response(validator.realm())),
    }
}

fn realm_of(parts: &Parts) -> Option<String> {
    parts
        .extensions
        .get::<Validator>()
        .and_then(|v| v.realm().map(str::to_owned))
}

/// Extracts a validated access token, with custom claims `C`.
///
/// Needs the [`Validator`] in request extensions (`.layer(Extension(validator))`, or any
/// [`BearerLayer`]). Rejects with the RFC 6750 answer.
#[derive(Debug, Clone)]
pub struct Bearer<C = NoCustomClaims>(pub AccessToken<C>);

impl<S, C> FromRequestParts<S> for Bearer<C>
where
    S: Send + Sync,
    C: DeserializeOwned + Send + 'static,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let token = validated_from_parts(parts).await?;
        token
            .with_custom::<C>()
            .map(Bearer)
            .map_err(|e| e.to_response(realm_of(parts).as_deref()))
    }
}

/// A named requirement for the [`Authorized`] extractor; declare one with [`requirement!`](crate::requirement).
pub trait Requirement: Send + Sync + 'static {
    /// The guard to check.
    fn guard() -> &'static Guard;
}

/// Declares a [`Requirement`] type from a [`Guard`] expression.
///
/// ```
/// use portcullis_bearer::{Guard, requirement};
/// requirement!(pub ReadShows = Guard::all_scopes(["read:shows"]));
/// requirement!(CanBill = Guard::claim_includes_any("permissions", ["billing:read", "admin"]));
/// ```
#[macro_export]
macro_rules! requirement {
    ($vis:vis $name:ident = $guard:expr) => {
        #[doc = concat!("Requirement `", stringify!($name), "`: `", stringify!($guard), "`.")]
        #[derive(Debug, Clone, Copy)]
        $vis struct $name;
        impl $crate::Requirement for $name {
            fn guard() -> &'static $crate::Guard {
                static GUARD: ::std::sync::OnceLock<$crate::Guard> = ::std::sync::OnceLock::new();
                GUARD.get_or_init(|| $guard)
            }
        }
    };
}

/// Extracts a validated token that also satisfies requirement `R`:
/// `Authorized<ReadShows>` answers 403 `insufficient_scope` when `read:shows` is missing.
pub struct Authorized<R, C = NoCustomClaims>(pub AccessToken<C>, PhantomData<R>);

impl<R, C> Authorized<R, C> {
    /// The validated token.
    pub fn into_inner(self) -> AccessToken<C> {
        self.0
    }
}

impl<R, C: std::fmt::Debug> std::fmt::Debug for Authorized<R, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Authorized").field(&self.0).finish()
    }
}

impl<S, R, C> FromRequestParts<S> for Authorized<R, C>
where
    S: Send + Sync,
    R: Requirement,
    C: DeserializeOwned + Send + 'static,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let token = validated_from_parts(parts).await?;
        let realm = realm_of(parts);
        R::guard()
            .check(&token)
            .map_err(|e| e.to_response(realm.as_deref()))?;
        token
            .with_custom::<C>()
            .map(|t| Authorized(t, PhantomData))
            .map_err(|e| e.to_response(realm.as_deref()))
    }
}

impl Validator {
    /// A layer that requires a valid token on every request and leaves it (and this validator)
    /// in the request extensions for the extractors.
    pub fn layer(&self) -> BearerLayer {
        BearerLayer {
            validator: self.clone(),
            guard: None,
        }
    }

    /// A layer that requires a valid token satisfying `guard`.
    pub fn require(&self, guard: Guard) -> BearerLayer {
        BearerLayer {
            validator: self.clone(),
            guard: Some(Arc::new(guard)),
        }
    }
}

/// Tower layer built by [`Validator::layer`] or [`Validator::require`].
#[derive(Clone, Debug)]
pub struct BearerLayer {
    validator: Validator,
    guard: Option<Arc<Guard>>,
}

impl<S> tower::Layer<S> for BearerLayer {
    type Service = BearerService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        BearerService {
            inner,
            validator: self.validator.clone(),
            guard: self.guard.clone(),
        }
    }
}

/// The service of [`BearerLayer`].
#[derive(Clone, Debug)]
pub struct BearerService<S> {
    inner: S,
    validator: Validator,
    guard: Option<Arc<Guard>>,
}

impl<S, B> tower::Service<Request<B>> for BearerService<S>
where
    S: tower::Service<Request<B>, Response = Response> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let validator = self.validator.clone();
        let guard = self.guard.clone();
        Box::pin(async move {
            let result = match bearer_token(request.headers()) {
                Ok(token) => validator.validate(token).await,
                Err(e) => Err(e),
            };
            let result = result.and_then(|token| match &guard {
                Some(guard) => guard.check(&token).map(|()| token),
                None => Ok(token),
            });
            match result {
                Ok(token) => {
                    request.extensions_mut().insert(Validated(token));
                    request.extensions_mut().insert(validator);
                    inner.call(request).await
                }
                Err(e) => Ok(e.to_response(validator.realm())),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(values: &[&str]) -> http::HeaderMap {
        let mut h = http::HeaderMap::new();
        for v in values {
            h.append(header::AUTHORIZATION, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn reads_bearer_header_rfc6750_2_1() {
        assert_eq!(
            bearer_token(&headers(&["Bearer abc.def-_~+/="])).unwrap(),
            "abc.def-_~+/="
        );
        assert_eq!(bearer_token(&headers(&["bearer abc"])).unwrap(), "abc");
        assert!(matches!(
            bearer_token(&headers(&[])),
            Err(Error::MissingToken)
        ));
        assert!(matches!(
            bearer_token(&headers(&["Basic abc"])),
            Err(Error::MissingToken)
        ));
        assert!(matches!(
            bearer_token(&headers(&["Bearer "])),
            Err(Error::InvalidRequest(_))
        ));
        assert!(matches!(
            bearer_token(&headers(&["Bearer a b"])),
            Err(Error::InvalidRequest(_))
        ));
        assert!(matches!(
            bearer_token(&headers(&["Bearer a", "Bearer b"])),
            Err(Error::InvalidRequest(_))
        ));
    }
}
