//! Extractors: [`Session`], [`User`] and `Option<User>`.

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::response::{IntoResponse, Response};
use http::request::Parts;
use serde::Serialize;

use crate::Error;
use crate::auth::PortcullisAuth;
use crate::layer::unauthenticated;
use crate::session::{SessionData, SessionHandle, User};

/// The session of the current request (which may be signed out).
///
/// Changes made through it (sign-in data, refreshed tokens) are written back to the cookie by
/// the session layer when the response leaves.
#[derive(Clone, Debug)]
pub struct Session {
    handle: SessionHandle,
    auth: PortcullisAuth,
}

/// An access token for calling APIs, as `/auth/access-token` returns it.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct AccessTokenInfo {
    /// The access token.
    pub token: String,
    /// Granted scope.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// Expiry, seconds since the epoch.
    pub expires_at: u64,
    /// Seconds until expiry.
    pub expires_in: u64,
    /// Token type (`Bearer`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_type: Option<String>,
}

impl Session {
    /// The signed-in user, if any.
    pub async fn user(&self) -> Option<User> {
        self.handle
            .0
            .lock()
            .await
            .data
            .as_ref()
            .map(|d| d.user.clone())
    }

    /// A copy of the whole session, if signed in.
    pub async fn data(&self) -> Option<SessionData> {
        self.handle.0.lock().await.data.clone()
    }

    /// Replaces the session (e.g. to add your own fields in [`SessionData::extra`]).
    pub async fn set(&self, data: SessionData) {
        self.handle.0.lock().await.data = Some(data);
    }

    /// Signs the user out locally (the cookie is deleted on the way out).
    pub async fn clear(&self) {
        self.handle.0.lock().await.data = None;
    }

    /// The access token, refreshed with the refresh token first if it has expired (the updated
    /// session is written back to the cookie).
    pub async fn access_token(&self) -> Result<AccessTokenInfo, Error> {
        let mut state = self.handle.0.lock().await;
        let data = state.data.as_mut().ok_or(Error::NotAuthenticated)?;
        self.auth.refresh_if_expired(data).await?;
        let now = self.auth.config().now();
        let ts = &data.token_set;
        Ok(AccessTokenInfo {
            token: ts.access_token.clone(),
            scope: ts.scope.clone(),
            expires_at: ts.expires_at,
            expires_in: ts.expires_at.saturating_sub(now),
            token_type: ts.token_type.clone(),
        })
    }

    /// The client this session belongs to.
    pub fn auth(&self) -> &PortcullisAuth {
        &self.auth
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Session {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let handle = parts.extensions.get::<SessionHandle>().cloned();
        let auth = parts.extensions.get::<PortcullisAuth>().cloned();
        match (handle, auth) {
            (Some(handle), Some(auth)) => Ok(Session { handle, auth }),
            _ => Err(Error::LayerMissing.into_response()),
        }
    }
}

fn original_uri(parts: &Parts) -> http::Uri {
    parts
        .extensions
        .get::<axum::extract::OriginalUri>()
        .map_or_else(|| parts.uri.clone(), |o| o.0.clone())
}

/// Requires a signed-in user: otherwise pages redirect to the login (with `returnTo`) and API
/// requests get `401` JSON. Use `Option<User>` where signing in is optional.
impl<S: Send + Sync> FromRequestParts<S> for User {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let session = Session::from_request_parts(parts, state).await?;
        match session.user().await {
            Some(user) => Ok(user),
            None => Err(unauthenticated(&original_uri(parts), &parts.headers)),
        }
    }
}

impl<S: Send + Sync> OptionalFromRequestParts<S> for User {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        let session = <Session as FromRequestParts<S>>::from_request_parts(parts, state).await?;
        Ok(session.user().await)
    }
}
