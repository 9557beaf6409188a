//! `/auth/login`, `/auth/callback`, `/auth/logout`, `/auth/profile`, `/auth/access-token`.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use serde_json::{Map, Value, json};
use url::Url;

use crate::Error;
use crate::auth::{IdTokenExpectations, PortcullisAuth, TXN_MAX_AGE, TXN_PREFIX};
use crate::cookies::RequestCookies;
use crate::extract::Session;
use crate::hooks::CallbackOutcome;
use crate::random;
use crate::session::SessionData;

/// Authorize parameters the SDK sets itself and never takes from `/auth/login`'s query.
const RESERVED: &[&str] = &[
    "returnTo",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "client_id",
    "redirect_uri",
    "response_type",
    "response_mode",
    "request",
    "request_uri",
];

impl PortcullisAuth {
    /// The `/auth/*` routes. Wrap the app that contains them in
    /// [`session_layer`](Self::session_layer) (the router also works alone: it carries the
    /// layer itself, which stands aside when an outer one is present).
    ///
    /// The paths are [`Config::routes`](crate::Config::routes) (`/auth/…` by default).
    pub fn router<S: Clone + Send + Sync + 'static>(&self) -> Router<S> {
        let routes = &self.config().routes;
        let mut router = Router::new()
            .route(&routes.login, get(login))
            .route(&routes.callback, get(callback))
            .route(&routes.logout, get(logout))
            .route(&routes.profile, get(profile))
            .route(&routes.access_token, get(access_token));
        if self.config().session_store.is_some() {
            router = router.route(
                &routes.backchannel_logout,
                axum::routing::post(crate::backchannel::backchannel_logout),
            );
        }
        router.with_state(self.clone()).layer(self.session_layer())
    }
}

fn redirect(location: &str) -> Response {
    let mut r = StatusCode::FOUND.into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// Confines `returnTo` to the application: a same-origin path (`/account?x=1`), or an absolute
/// URL on the application's origin (reduced to its path). Anything else — other origins,
/// protocol-relative `//host`, backslashes, control characters, `javascript:` — becomes `/`.
pub(crate) fn safe_return_to(raw: Option<&str>, base: &Url) -> String {
    let Some(raw) = raw.map(str::trim) else {
        return "/".into();
    };
    if raw.chars().any(|c| c.is_control() || c == '\\') {
        return "/".into();
    }
    let candidate = if raw.starts_with('/') {
        if raw.starts_with("//") {
            return "/".into();
        }
        base.join(raw).ok()
    } else {
        Url::parse(raw).ok()
    };
    match candidate {
        Some(u) if u.origin() == base.origin() => {
            let mut out = u.path().to_owned();
            if let Some(q) = u.query() {
                out.push('?');
                out.push_str(q);
            }
            if let Some(f) = u.fragment() {
                out.push('#');
                out.push_str(f);
            }
            out
        }
        _ => "/".into(),
    }
}

async fn login(
    State(auth): State<PortcullisAuth>,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    login_response(&auth, query).await
}

/// `/auth/login`, framework-neutral (the axum and actix-web handlers call it).
pub(crate) async fn login_response(
    auth: &PortcullisAuth,
    query: Vec<(String, String)>,
) -> Response {
    match login_inner(auth, query).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn login_inner(
    auth: &PortcullisAuth,
    query: Vec<(String, String)>,
) -> Result<Response, Error> {
    let config = auth.config();
    let metadata = auth.metadata().await?;
    let endpoint = metadata
        .authorization_endpoint
        .as_deref()
        .ok_or_else(|| Error::Provider("no authorization_endpoint in discovery".into()))?;
    let mut url = Url::parse(endpoint)
        .map_err(|e| Error::Provider(format!("authorization_endpoint: {e}")))?;

    let get = |k: &str| query.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let return_to = safe_return_to(get("returnTo"), &config.app_base_url);
    let scope = get("scope").map_or_else(|| config.scope.clone(), str::to_owned);
    let audience = get("audience")
        .map(str::to_owned)
        .or_else(|| config.audience.clone());
    let max_age = match get("max_age") {
        Some(v) => Some(
            v.parse::<u64>()
                .map_err(|_| Error::InvalidCallback("max_age must be a number".into()))?,
        ),
        None => config.max_age,
    };
    let state = random::token();
    let nonce = random::token();
    let verifier = random::token();

    {
        let mut q = url.query_pairs_mut();
        q.append_pair("client_id", &config.client_id)
            .append_pair("redirect_uri", &config.redirect_uri())
            .append_pair("response_type", "code")
            .append_pair("scope", &scope)
            .append_pair("state", &state)
            .append_pair("nonce", &nonce)
            .append_pair("code_challenge", &random::s256(&verifier))
            .append_pair("code_challenge_method", "S256");
        if let Some(a) = &audience {
            q.append_pair("audience", a);
        }
        if let (Some(m), None) = (max_age, get("max_age")) {
            q.append_pair("max_age", &m.to_string());
        }
        for (k, v) in &query {
            if !RESERVED.contains(&k.as_str()) && k != "scope" && k != "audience" {
                q.append_pair(k, v);
            }
        }
    }

    let mut txn = Map::new();
    txn.insert("state".into(), json!(state));
    txn.insert("nonce".into(), json!(nonce));
    txn.insert("codeVerifier".into(), json!(verifier));
    txn.insert("responseType".into(), json!("code"));
    txn.insert("returnTo".into(), json!(return_to));
    txn.insert("scope".into(), json!(scope));
    if let Some(a) = &audience {
        txn.insert("audience".into(), json!(a));
    }
    if let Some(m) = max_age {
        txn.insert("maxAge".into(), json!(m));
    }
    let jwe = auth.inner.key.encrypt(&txn, config.now() + TXN_MAX_AGE);
    let cookie = auth
        .inner
        .txn_cookie
        .set(&format!("{TXN_PREFIX}{state}"), &jwe, TXN_MAX_AGE);

    let mut r = redirect(url.as_str());
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(r)
}

async fn callback(
    State(auth): State<PortcullisAuth>,
    session: Session,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    callback_response(&auth, session, &headers, params).await
}

/// `/auth/callback`, framework-neutral.
pub(crate) async fn callback_response(
    auth: &PortcullisAuth,
    session: Session,
    headers: &HeaderMap,
    params: HashMap<String, String>,
) -> Response {
    let cookies = RequestCookies::from_headers(headers);
    // The transaction cookie is single use: delete it whatever happens.
    let txn_name = params
        .get("state")
        .filter(|s| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        .map(|s| format!("{TXN_PREFIX}{s}"))
        .filter(|n| cookies.get(n).is_some());
    let config = auth.config();
    let (result, return_to) =
        match callback_inner(auth, &cookies, txn_name.as_deref(), &params).await {
            Ok((data, return_to)) => {
                session.set(data.clone()).await;
                (Ok(data), return_to)
            }
            Err(e) => (Err(e), "/".to_owned()),
        };
    let default_response = match &result {
        Ok(_) => redirect(
            &config
                .app_base_url
                .join(&return_to)
                .map_or_else(|_| config.app_url("/"), |u| u.to_string()),
        ),
        Err(e) => e.clone().into_response(),
    };
    let mut response = match &config.hooks.on_callback {
        Some(hook) => {
            hook(CallbackOutcome {
                result,
                return_to,
                default_response,
            })
            .await
        }
        None => default_response,
    };
    if let Some(name) = txn_name
        && let Ok(v) = HeaderValue::from_str(&auth.inner.txn_cookie.delete(&name))
    {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    response
}

/// The callback's checks and code exchange: the session to save and where to go next.
async fn callback_inner(
    auth: &PortcullisAuth,
    cookies: &RequestCookies,
    txn_name: Option<&str>,
    params: &HashMap<String, String>,
) -> Result<(SessionData, String), Error> {
    let config = auth.config();
    let txn = txn_name
        .and_then(|n| cookies.get(n))
        .and_then(|v| auth.inner.key.decrypt(v, config.now()))
        .ok_or(Error::InvalidState)?;
    let s = |k: &str| txn.get(k).and_then(Value::as_str);
    if s("state") != params.get("state").map(String::as_str) {
        return Err(Error::InvalidState);
    }
    if let Some(error) = params.get("error") {
        return Err(Error::Authorization {
            error: error.clone(),
            description: params.get("error_description").cloned(),
        });
    }
    let metadata = auth.metadata().await?;
    match params.get("iss") {
        Some(iss) if iss != &metadata.issuer => {
            return Err(Error::InvalidCallback(
                "iss does not match the issuer (RFC 9207)".into(),
            ));
        }
        None if metadata
            .extra
            .get("authorization_response_iss_parameter_supported")
            .and_then(Value::as_bool)
            == Some(true) =>
        {
            return Err(Error::InvalidCallback("missing iss (RFC 9207)".into()));
        }
        _ => {}
    }
    let code = params
        .get("code")
        .filter(|c| !c.is_empty())
        .ok_or_else(|| Error::InvalidCallback("missing code".into()))?;
    let verifier = s("codeVerifier").ok_or(Error::InvalidState)?;
    let tokens = auth
        .token_request(vec![
            ("grant_type", "authorization_code".into()),
            ("code", code.clone()),
            ("redirect_uri", config.redirect_uri()),
            ("code_verifier", verifier.to_owned()),
        ])
        .await
        .map_err(|e| match e {
            Error::Token(detail) | Error::ReauthenticationRequired(detail) => {
                Error::CodeExchange(detail)
            }
            other => other,
        })?;
    let id_token = tokens
        .id_token
        .clone()
        .ok_or_else(|| Error::CodeExchange("no id_token in the token response".into()))?;
    let claims = auth
        .validate_id_token(
            &id_token,
            IdTokenExpectations {
                nonce: Some(s("nonce").ok_or(Error::InvalidState)?),
                max_age: txn.get("maxAge").and_then(Value::as_u64),
            },
        )
        .await?;
    let data = auth.new_session(
        &claims,
        tokens,
        s("scope").map(str::to_owned),
        s("audience").map(str::to_owned),
    );
    let data = config.hooks.before_session_saved(data, &claims).await?;
    Ok((data, safe_return_to(s("returnTo"), &config.app_base_url)))
}

async fn logout(
    State(auth): State<PortcullisAuth>,
    session: Session,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    logout_response(&auth, session, params).await
}

/// `/auth/logout`, framework-neutral.
pub(crate) async fn logout_response(
    auth: &PortcullisAuth,
    session: Session,
    params: HashMap<String, String>,
) -> Response {
    let config = auth.config();
    let data = session.data().await;
    session.clear().await;
    let return_to = match params.get("returnTo") {
        Some(r) => {
            let path = safe_return_to(Some(r), &config.app_base_url);
            config
                .app_base_url
                .join(&path)
                .map_or_else(|_| config.app_base_url.to_string(), |u| u.to_string())
        }
        None => config
            .post_logout_redirect
            .clone()
            .unwrap_or_else(|| config.app_base_url.to_string()),
    };
    if let Some(rt) = data
        .as_ref()
        .and_then(|d| d.token_set.refresh_token.as_deref())
    {
        auth.revoke(rt).await;
    }
    let metadata = match auth.metadata().await {
        Ok(m) => m,
        Err(e) => {
            tracing::warn!(error = %e, "logout without the provider: discovery failed");
            return redirect(&return_to);
        }
    };
    let target = match metadata.end_session_endpoint.as_deref().map(Url::parse) {
        Some(Ok(mut url)) => {
            {
                let mut q = url.query_pairs_mut();
                q.append_pair("client_id", &config.client_id)
                    .append_pair("post_logout_redirect_uri", &return_to);
                if let Some(d) = &data {
                    if let Some(id_token) = &d.token_set.id_token {
                        q.append_pair("id_token_hint", id_token);
                    }
                    if let Some(sid) = &d.internal.sid {
                        q.append_pair("logout_hint", sid);
                    }
                }
            }
            url.to_string()
        }
        _ => {
            let base = metadata.issuer.trim_end_matches('/');
            let query: String = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("client_id", &config.client_id)
                .append_pair("returnTo", &return_to)
                .finish();
            format!("{base}/v2/logout?{query}")
        }
    };
    redirect(&target)
}

/// `/auth/profile` (framework-neutral: the actix-web handler calls it too).
pub(crate) async fn profile(session: Session) -> Response {
    match session.user().await {
        Some(user) => {
            let mut r = Json(user).into_response();
            r.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            r
        }
        None => Error::NotAuthenticated.json_response(),
    }
}

/// `/auth/access-token` (framework-neutral: the actix-web handler calls it too).
pub(crate) async fn access_token(session: Session) -> Response {
    match session.access_token().await {
        Ok(info) => {
            let mut r = Json(info).into_response();
            r.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            r
        }
        Err(e) => {
            if !e.requires_login() {
                tracing::warn!(error = %e, "access token unavailable");
            }
            e.json_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn return_to_never_leaves_the_app() {
        let base = Url::parse("https://app.example.com").unwrap();
        let ok = [
            (None, "/"),
            (Some("/account"), "/account"),
            (Some("/a/b?x=1#frag"), "/a/b?x=1#frag"),
            (
                Some("https://app.example.com/settings?tab=2"),
                "/settings?tab=2",
            ),
        ];
        for (input, expected) in ok {
            assert_eq!(safe_return_to(input, &base), expected, "{input:?}");
        }
        let evil = [
            "https://evil.example/",
            "//evil.example/x",
            "/\\evil.example",
            "\\\\evil.example",
            "/\t/evil.example",
            "javascript:alert(1)",
            "http://app.example.com/",
            "https://app.example.com:8443/",
            "https://app.example.com.evil.example/",
            "evil.example",
        ];
        for input in evil {
            assert_eq!(safe_return_to(Some(input), &base), "/", "{input:?}");
        }
    }
}
