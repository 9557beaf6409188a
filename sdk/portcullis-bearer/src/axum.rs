//! axum extractors and a tower layer.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::extract::{FromRef, FromRequestParts, OptionalFromRequestParts};
use axum::response::Response;
use http::Request;
use http::request::Parts;
use serde::de::DeserializeOwned;

use crate::Error;
use crate::claims::{AccessToken, NoCustomClaims};
use crate::guard::{Guard, Requirement};
use crate::validator::Validator;

/// What the layer leaves in request extensions for the extractors.
#[derive(Clone)]
struct Validated(AccessToken<NoCustomClaims>);

/// The token validated by a [`BearerLayer`] on the way in, else `validator`'s verdict on the
/// request's `Authorization` header.
async fn validated_from_parts(
    parts: &mut Parts,
    validator: &Validator,
) -> Result<AccessToken<NoCustomClaims>, Error> {
    if let Some(Validated(token)) = parts.extensions.get::<Validated>() {
        return Ok(token.clone());
    }
    let uri = parts
        .extensions
        .get::<axum::extract::OriginalUri>()
        .map_or_else(|| parts.uri.clone(), |o| o.0.clone());
    let token = validator
        .validate_request(&parts.method, &uri, &parts.headers)
        .await?;
    parts.extensions.insert(Validated(token.clone()));
    Ok(token)
}

/// Extracts a validated access token, with custom claims `C` (your `serde` type; namespaced
/// claims with `#[serde(rename = "https://example.com/tenant")]`).
///
/// The [`Validator`] comes from the router state (`.with_state(validator)`, or your own state
/// with `impl FromRef<AppState> for Validator`), so a missing validator is a compile error.
/// Rejects with the RFC 6750 answer. `Option<Bearer>` is `None` without an `Authorization`
/// header (optional sign-in) and still rejects an invalid token.
#[derive(Debug, Clone)]
pub struct Bearer<C = NoCustomClaims>(pub AccessToken<C>);

impl<S, C> FromRequestParts<S> for Bearer<C>
where
    Validator: FromRef<S>,
    S: Send + Sync,
    C: DeserializeOwned + Send + 'static,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let validator = Validator::from_ref(state);
        validated_from_parts(parts, &validator)
            .await
            .and_then(|token| token.with_custom::<C>())
            .map(Bearer)
            .map_err(|e| validator.error_response(&e))
    }
}

impl<S, C> OptionalFromRequestParts<S> for Bearer<C>
where
    Validator: FromRef<S>,
    S: Send + Sync,
    C: DeserializeOwned + Send + 'static,
{
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        let validator = Validator::from_ref(state);
        match validated_from_parts(parts, &validator)
            .await
            .and_then(|token| token.with_custom::<C>())
        {
            Ok(token) => Ok(Some(Bearer(token))),
            // No credentials (no header, or another scheme such as Basic): signed out.
            Err(Error::MissingToken) => Ok(None),
            Err(e) => Err(validator.error_response(&e)),
        }
    }
}

/// Extracts a validated token that also satisfies requirement `R` (validator from the state,
/// as for [`Bearer`]):
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
    Validator: FromRef<S>,
    S: Send + Sync,
    R: Requirement,
    C: DeserializeOwned + Send + 'static,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let validator = Validator::from_ref(state);
        validated_from_parts(parts, &validator)
            .await
            .and_then(|token| R::guard().check(&token).map(|()| token))
            .and_then(|token| token.with_custom::<C>())
            .map(|t| Authorized(t, PhantomData))
            .map_err(|e| validator.error_response(&e))
    }
}

impl Validator {
    /// A layer that requires a valid token on every request and leaves it in the request
    /// extensions, where the extractors find it without validating again.
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
            let uri = request
                .extensions()
                .get::<axum::extract::OriginalUri>()
                .map_or_else(|| request.uri().clone(), |o| o.0.clone());
            let result = validator
                .validate_request(request.method(), &uri, request.headers())
                .await;
            let result = result.and_then(|token| match &guard {
                Some(guard) => guard.check(&token).map(|()| token),
                None => Ok(token),
            });
            match result {
                Ok(token) => {
                    request.extensions_mut().insert(Validated(token));
                    inner.call(request).await
                }
                Err(e) => Ok(validator.error_response(&e)),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bearer_token;
    use http::header;

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
