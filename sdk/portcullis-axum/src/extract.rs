//! Extractors: [`Session`], [`User`] and `Option<User>`.

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::response::{IntoResponse, Response};
use http::request::Parts;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::Error;
use crate::auth::PortcullisAuth;
use crate::layer::{is_api_request, unauthenticated};
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
        let mut state = self.handle.0.lock().await;
        state.data = Some(data);
        state.changed = true;
    }

    /// Signs the user out locally (the cookie is deleted on the way out).
    pub async fn clear(&self) {
        let mut state = self.handle.0.lock().await;
        state.data = None;
        state.changed = true;
    }

    /// The access token, refreshed first with the refresh token when it expires within the
    /// [`refresh_margin`](crate::ConfigBuilder::refresh_margin) (default 60 s); the updated
    /// session is written back to the cookie.
    ///
    /// When the provider refuses the refresh (`invalid_grant`), the session is cleared and
    /// [`Error::ReauthenticationRequired`] returned ([`Error::requires_login`] is true).
    pub async fn access_token(&self) -> Result<AccessTokenInfo, Error> {
        self.token(false).await
    }

    /// Refreshes the access token now, whatever its expiry (e.g. after the user's permissions
    /// changed at the provider), and returns the new one.
    pub async fn refresh_access_token(&self) -> Result<AccessTokenInfo, Error> {
        self.token(true).await
    }

    /// An access token for another API (`audience`) and/or a narrower `scope`, obtained with
    /// the session's refresh token and cached in the session until it is due for a refresh
    /// (nextjs-auth0 v4's `getAccessToken({audience, scope})`). The provider must allow it:
    /// Auth0 with Multi-Resource Refresh Tokens; Portcullis for narrower scopes of the same API.
    pub async fn access_token_for(
        &self,
        audience: &str,
        scope: Option<&str>,
    ) -> Result<AccessTokenInfo, Error> {
        let mut state = self.handle.0.lock().await;
        let data = state.data.as_mut().ok_or(Error::NotAuthenticated)?;
        match self.auth.token_for(data, audience, scope).await {
            Ok((info, changed)) => {
                state.changed |= changed;
                Ok(info)
            }
            Err(e @ Error::ReauthenticationRequired(_)) => {
                state.data = None;
                state.changed = true;
                Err(e)
            }
            Err(e) => Err(e),
        }
    }

    async fn token(&self, force: bool) -> Result<AccessTokenInfo, Error> {
        let mut state = self.handle.0.lock().await;
        let data = state.data.as_mut().ok_or(Error::NotAuthenticated)?;
        match self.auth.refresh_if_due(data, force).await {
            Ok(false) => {}
            Ok(true) => state.changed = true,
            Err(e @ Error::ReauthenticationRequired(_)) => {
                state.data = None;
                state.changed = true;
                return Err(e);
            }
            Err(e) => return Err(e),
        }
        let Some(data) = state.data.as_ref() else {
            return Err(Error::NotAuthenticated);
        };
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

    /// The session of one request, shared by its extractors (used by the actix-web adapter).
    #[cfg_attr(not(feature = "actix"), allow(dead_code))]
    pub(crate) fn new(handle: SessionHandle, auth: PortcullisAuth) -> Self {
        Session { handle, auth }
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

/// The user's claims as `C`; a session whose claims do not fit `C` is a 500 (the app's type
/// does not match what the provider sends or what [`ConfigBuilder::user_claims`](crate::ConfigBuilder::user_claims) keeps).
pub(crate) fn typed<C: DeserializeOwned>(user: User) -> Result<User<C>, Error> {
    user.with_custom::<C>().map_err(|e| {
        Error::Config(format!(
            "the session's user claims do not fit the custom claims type: {e}"
        ))
    })
}

/// Requires a signed-in user: otherwise pages redirect to the login (with `returnTo`) and API
/// requests get `401` JSON. Use `Option<User>` where signing in is optional, and `User<C>` for
/// typed custom claims.
impl<S, C> FromRequestParts<S> for User<C>
where
    S: Send + Sync,
    C: DeserializeOwned + Send + 'static,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let session = Session::from_request_parts(parts, state).await?;
        match session.user().await {
            Some(user) => typed(user).map_err(IntoResponse::into_response),
            None => Err(unauthenticated(
                &session.auth,
                &original_uri(parts),
                &parts.headers,
            )),
        }
    }
}

/// The signed-in user's access token, refreshed when due (see [`Session::access_token`]).
/// When signing in again is the only way to get one, pages are redirected to the login (with
/// `returnTo`) and API requests get `401` JSON; other failures (provider down) are `502`.
impl<S: Send + Sync> FromRequestParts<S> for AccessTokenInfo {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let session = Session::from_request_parts(parts, state).await?;
        let e = match session.access_token().await {
            Ok(token) => return Ok(token),
            Err(e) => e,
        };
        let uri = original_uri(parts);
        Err(if is_api_request(&session.auth, &uri, &parts.headers) {
            e.json_response()
        } else if e.requires_login() {
            unauthenticated(&session.auth, &uri, &parts.headers)
        } else {
            e.into_response()
        })
    }
}

impl<S, C> OptionalFromRequestParts<S> for User<C>
where
    S: Send + Sync,
    C: DeserializeOwned + Send + 'static,
{
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        let session = <Session as FromRequestParts<S>>::from_request_parts(parts, state).await?;
        session
            .user()
            .await
            .map(typed)
            .transpose()
            .map_err(IntoResponse::into_response)
    }
}
