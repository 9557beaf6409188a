//! Reading and writing a request's session: all in the cookie (default), or in the configured
//! [`SessionStore`](crate::SessionStore) with only its id in the cookie.

use serde_json::{Map, Value, json};

use crate::auth::PortcullisAuth;
use crate::cookies::RequestCookies;
use crate::random;
use crate::session::{SessionData, SessionState};

/// Store keys.
pub(crate) fn session_key(id: &str) -> String {
    format!("session:{id}")
}
pub(crate) fn sid_key(sid: &str) -> String {
    format!("sid:{sid}")
}
pub(crate) fn sub_key(sub: &str) -> String {
    format!("sub:{sub}")
}

impl PortcullisAuth {
    /// The session of a request, its cookie's expiry, and its id in the store.
    pub(crate) async fn load_session(&self, cookies: &RequestCookies) -> SessionState {
        let had_cookie = cookies.get_chunked(self.session_cookie()).is_some();
        let mut state = SessionState {
            had_cookie,
            ..SessionState::default()
        };
        let Some(store) = &self.config().session_store else {
            if let Some((data, exp)) = self.read_session(cookies) {
                state.data = Some(data);
                state.cookie_exp = Some(exp);
            }
            return state;
        };
        let Some((claims, exp)) = self.read_cookie(cookies) else {
            return state;
        };
        let Some(id) = claims.get("id").and_then(Value::as_str) else {
            return state;
        };
        let loaded = match store.load(&session_key(id)).await {
            Ok(loaded) => loaded,
            Err(e) => {
                tracing::error!(error = %e, "session store unavailable: treating the request as signed out");
                return state;
            }
        };
        let data = match loaded {
            Some(Value::Object(m)) => SessionData::from_claims(m),
            _ => None,
        };
        let absolute = self.config().absolute_duration.as_secs();
        if let Some(data) = data.filter(|d| self.config().now() < d.internal.created_at + absolute)
        {
            state.data = Some(data);
            state.cookie_exp = Some(exp);
            state.store_id = Some(id.to_owned());
        }
        state
    }

    /// The `Set-Cookie` values that save `state` (nothing when it needs no write), after
    /// saving it in the store when there is one.
    pub(crate) async fn save_session(
        &self,
        state: &SessionState,
        cookies: &RequestCookies,
    ) -> Vec<String> {
        let name = self.session_cookie();
        let data = match (&state.data, state.cookie_exp) {
            // Written only when this request changed the session, or to roll its expiry: a
            // response that rewrote an unchanged session could overwrite the cookie a
            // concurrent request wrote with rotated tokens.
            (Some(data), Some(exp)) if !state.changed && !self.rolling_due(data, exp) => {
                return Vec::new();
            }
            (Some(data), _) => data,
            // Signed out here, or a cookie that is no session (expired, another key, ended).
            (None, _) => {
                if let (Some(store), Some(id)) = (&self.config().session_store, &state.store_id)
                    && let Err(e) = store.delete(&session_key(id)).await
                {
                    tracing::error!(error = %e, "session store: could not delete a session");
                }
                if state.had_cookie {
                    return self.inner.cookie.delete_chunked(name, cookies);
                }
                return Vec::new();
            }
        };
        let Some(store) = &self.config().session_store else {
            return self.write_session(data, cookies);
        };
        let now = self.config().now();
        let expires = self.rolling_expiry(data, now);
        let id = state.store_id.clone().unwrap_or_else(random::token);
        let saved = async {
            store
                .save(&session_key(&id), Value::Object(data.to_claims()), expires)
                .await?;
            if let Some(sid) = &data.internal.sid {
                store.save(&sid_key(sid), json!(id), expires).await?;
            }
            let sub = data.user.sub();
            if !sub.is_empty() {
                let mut ids: Vec<Value> = match store.load(&sub_key(sub)).await? {
                    Some(Value::Array(ids)) => ids,
                    _ => Vec::new(),
                };
                if !ids.iter().any(|v| v == &json!(id)) {
                    ids.push(json!(id));
                }
                store
                    .save(&sub_key(sub), Value::Array(ids), expires)
                    .await?;
            }
            Ok::<_, crate::StoreError>(())
        };
        if let Err(e) = saved.await {
            tracing::error!(error = %e, "session store: could not save a session");
            return Vec::new();
        }
        let mut claims = Map::new();
        claims.insert("id".into(), json!(id));
        let jwe = self.inner.key.encrypt(&claims, expires);
        self.inner
            .cookie
            .set_chunked(name, &jwe, expires.saturating_sub(now), cookies)
    }
}
