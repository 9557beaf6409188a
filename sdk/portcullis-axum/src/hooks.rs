//! Hooks into sign-in, as nextjs-auth0 v4's `beforeSessionSaved` and `onCallback`.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use axum::response::Response;
use serde_json::{Map, Value};

use crate::Error;
use crate::session::SessionData;

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

pub(crate) type BeforeSessionSaved = Arc<
    dyn Fn(SessionData, Map<String, Value>) -> BoxFuture<Result<SessionData, Error>> + Send + Sync,
>;
pub(crate) type OnCallback = Arc<dyn Fn(CallbackOutcome) -> BoxFuture<Response> + Send + Sync>;

/// What [`ConfigBuilder::on_callback`](crate::ConfigBuilder::on_callback) receives.
#[derive(Debug)]
#[non_exhaustive]
pub struct CallbackOutcome {
    /// The new session (already saved), or why the sign-in failed.
    pub result: Result<SessionData, Error>,
    /// Where the user asked to go (a same-origin path).
    pub return_to: String,
    /// What the SDK would answer without the hook: a redirect to `return_to`, or the error page.
    pub default_response: Response,
}

#[derive(Clone, Default)]
pub(crate) struct Hooks {
    pub(crate) before_session_saved: Option<BeforeSessionSaved>,
    pub(crate) on_callback: Option<OnCallback>,
}

impl Hooks {
    pub(crate) fn set_before_session_saved<F, Fut>(&mut self, hook: F)
    where
        F: Fn(SessionData, Map<String, Value>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<SessionData, Error>> + Send + 'static,
    {
        self.before_session_saved = Some(Arc::new(move |s, c| Box::pin(hook(s, c))));
    }

    pub(crate) fn set_on_callback<F, Fut>(&mut self, hook: F)
    where
        F: Fn(CallbackOutcome) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Response> + Send + 'static,
    {
        self.on_callback = Some(Arc::new(move |o| Box::pin(hook(o))));
    }

    /// Runs `before_session_saved`, if set.
    pub(crate) async fn before_session_saved(
        &self,
        session: SessionData,
        id_token_claims: &Map<String, Value>,
    ) -> Result<SessionData, Error> {
        match &self.before_session_saved {
            Some(hook) => hook(session, id_token_claims.clone()).await,
            None => Ok(session),
        }
    }
}
