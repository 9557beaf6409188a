//! Checklist B: the authorization endpoint.

use crate::support::*;
use reqwest::StatusCode;

async fn get(s: &TestServer, params: &[(&str, String)]) -> reqwest::Response {
    browser()
        .get(s.url("authorize"))
        .query(params)
        .send()
        .await
        .unwrap()
}

/// Asserts an error page: 4xx HTML, and never a redirect.
async fn assert_error_page(r: reqwest::Response, needle: &str) {
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.headers().get("location").is_none());
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let body = r.text().await.unwrap();
    assert!(body.contains(needle), "{needle:?} not in {body}");
}

/// Asserts an error redirect to the registered URI with error, state and iss.
fn assert_error_redirect(s: &TestServer, r: &reqwest::Response, error: &str) {
    assert_eq!(r.status(), StatusCode::FOUND);
    let to = location(r.headers());
    assert!(to.starts_with(WEB_CALLBACK), "{to}");
    let q = query_of(&to);
    assert_eq!(q["error"], error, "{q:?}");
    assert_eq!(q["state"], "st4te");
    assert_eq!(q["iss"], s.issuer);
}

#[tokio::test]
async fn unknown_client_gets_an_error_page_not_a_redirect() {
    let s = TestServer::start().await;
    let r = get(&s, &with(web_params(&s), "client_id", "nobody")).await;
    assert_error_page(r, "unknown client_id nobody").await;
    let r = get(&s, &without(web_params(&s), "client_id")).await;
    assert_error_page(r, "client_id").await;
}

#[tokio::test]
async fn redirect_uri_must_match_exactly_or_an_error_page_is_shown() {
    let s = TestServer::start().await;
    for bad in [
        "http://localhost:3000/callback?x=1",
        "http://localhost:3000/callback/",
        "http://localhost:3000/Callback",
        "http://localhost:3001/callback",
        "http://evil.example/callback",
        "http://localhost:3000/callback#frag",
    ] {
        let r = get(&s, &with(web_params(&s), "redirect_uri", bad)).await;
        assert_error_page(r, "not registered").await;
    }
}

#[tokio::test]
async fn missing_redirect_uri_is_an_error_page() {
    let s = TestServer::start().await;
    let r = get(&s, &without(web_params(&s), "redirect_uri")).await;
    assert_error_page(r, "redirect_uri").await;
}

#[tokio::test]
async fn missing_or_unsupported_response_type_redirects_with_error() {
    let s = TestServer::start().await;
    let r = get(&s, &without(web_params(&s), "response_type")).await;
    assert_error_redirect(&s, &r, "invalid_request");
    let r = get(&s, &with(web_params(&s), "response_type", "token")).await;
    assert_error_redirect(&s, &r, "unsupported_response_type");
}

/// RFC 6749 §3.3, as Auth0: a scope that cannot be granted is ignored, and the token response
/// says what was granted.
#[tokio::test]
async fn unknown_scope_is_ignored_and_the_granted_scope_returned() {
    let s = TestServer::start().await;
    let b = browser();
    let params = with(web_params(&s), "scope", "openid email launch:missiles");
    let cb = sign_in(&s, &b, &params).await;
    let r = redeem(&s, &cb["code"]).await;
    assert_eq!(r.status(), StatusCode::OK);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["scope"], "openid email");
}

/// The tenant file's `[tenant] strict_scopes = true` keeps the refusal.
#[tokio::test]
async fn unknown_scope_is_invalid_scope_with_strict_scopes() {
    let s = TestServer::start().await;
    s.provider
        .store
        .put_setting("strict_scopes", "true", 0)
        .await
        .unwrap();
    let r = get(&s, &with(web_params(&s), "scope", "openid launch:missiles")).await;
    assert_error_redirect(&s, &r, "invalid_scope");
}

/// Organizations do not exist: asking for one is an error, never silently ignored.
#[tokio::test]
async fn organization_and_invitation_are_refused() {
    let s = TestServer::start().await;
    for key in ["organization", "invitation"] {
        let r = get(&s, &with(web_params(&s), key, "org_123")).await;
        assert_error_redirect(&s, &r, "invalid_request");
        let query = query_of(&location(r.headers()));
        assert_eq!(
            query["error_description"], "organizations are not supported",
            "{key}"
        );
    }
}

#[tokio::test]
async fn unknown_audience_is_refused() {
    let s = TestServer::start().await;
    let r = get(
        &s,
        &with(web_params(&s), "audience", "https://nope.example"),
    )
    .await;
    assert_error_redirect(&s, &r, "access_denied");
}

#[tokio::test]
async fn duplicate_parameter_is_refused_without_redirect() {
    let s = TestServer::start().await;
    let mut params = web_params(&s);
    params.push(("state", "again".into()));
    let r = get(&s, &params).await;
    assert_error_page(r, "more than once").await;
}

#[tokio::test]
async fn unknown_parameters_are_ignored() {
    let s = TestServer::start().await;
    let params = with(web_params(&s), "auth0Client", "eyJuYW1lIjoieCJ9");
    let cb = sign_in(&s, &browser(), &with(params, "something_new", "1")).await;
    assert!(cb.contains_key("code"));
}

#[tokio::test]
async fn success_response_echoes_state_and_carries_iss() {
    let s = TestServer::start().await;
    let cb = sign_in(&s, &browser(), &with(web_params(&s), "state", "a b/c?d=é")).await;
    assert_eq!(cb["state"], "a b/c?d=é");
    assert_eq!(cb["iss"], s.issuer);
    assert_eq!(cb["code"].len(), 43);
}

#[tokio::test]
async fn authorize_accepts_post() {
    let s = TestServer::start().await;
    let r = browser()
        .post(s.url("authorize"))
        .form(&web_params(&s))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FOUND);
    assert!(location(r.headers()).starts_with("/u/login?state="));
}

#[tokio::test]
async fn prompt_none_without_session_is_login_required() {
    let s = TestServer::start().await;
    let r = get(&s, &with(web_params(&s), "prompt", "none")).await;
    assert_error_redirect(&s, &r, "login_required");
}

#[tokio::test]
async fn prompt_none_with_other_values_is_invalid_request() {
    let s = TestServer::start().await;
    let r = get(&s, &with(web_params(&s), "prompt", "none login")).await;
    assert_error_redirect(&s, &r, "invalid_request");
}

#[tokio::test]
async fn request_objects_are_not_supported() {
    let s = TestServer::start().await;
    let r = get(
        &s,
        &with(web_params(&s), "request", "eyJhbGciOiJub25lIn0.e30."),
    )
    .await;
    assert_error_redirect(&s, &r, "request_not_supported");
    let r = get(
        &s,
        &with(web_params(&s), "request_uri", "https://x.example/r"),
    )
    .await;
    assert_error_redirect(&s, &r, "request_uri_not_supported");
}

#[tokio::test]
async fn public_clients_must_use_pkce() {
    let s = TestServer::start().await;
    let params = vec![
        ("client_id", s.spa.client_id.clone()),
        ("response_type", "code".into()),
        ("redirect_uri", SPA_CALLBACK.into()),
        ("scope", "openid".into()),
        ("state", "st4te".into()),
    ];
    let r = get(&s, &params).await;
    assert_eq!(r.status(), StatusCode::FOUND);
    let q = query_of(&location(r.headers()));
    assert_eq!(q["error"], "invalid_request");
    assert!(q["error_description"].contains("PKCE"));
}

#[tokio::test]
async fn pkce_plain_unknown_method_and_malformed_challenge_are_refused() {
    let s = TestServer::start().await;
    for (method, challenge) in [
        ("plain", CHALLENGE),
        ("S512", CHALLENGE),
        ("S256", "too-short"),
        ("S256", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw+cM"),
    ] {
        let params = with(
            with(web_params(&s), "code_challenge_method", method),
            "code_challenge",
            challenge,
        );
        let r = get(&s, &params).await;
        assert_error_redirect(&s, &r, "invalid_request");
    }
}

#[tokio::test]
async fn authorize_never_sends_cors_headers() {
    let s = TestServer::start().await;
    let r = browser()
        .get(s.url("authorize"))
        .query(&web_params(&s))
        .header("origin", SPA_ORIGIN)
        .send()
        .await
        .unwrap();
    assert!(r.headers().get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn max_age_must_be_a_non_negative_integer() {
    let s = TestServer::start().await;
    let r = get(&s, &with(web_params(&s), "max_age", "-1")).await;
    assert_error_redirect(&s, &r, "invalid_request");
}

#[tokio::test]
async fn form_post_mode_renders_an_auto_submitting_form_to_the_redirect_uri() {
    let s = TestServer::start().await;
    let b = browser();
    let login = start_login(&s, &b, &with(web_params(&s), "response_mode", "form_post")).await;
    let r = submit_login(&b, &login, &s.user.email, PASSWORD).await;
    assert_eq!(r.status(), StatusCode::OK);
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    let html = r.text().await.unwrap();
    assert!(
        html.contains(&format!("action=\"{WEB_CALLBACK}\"")),
        "{html}"
    );
    assert_eq!(hidden(&html, "state"), "st4te");
    assert_eq!(hidden(&html, "code").len(), 43);
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .unwrap()
        .split('\'')
        .next()
        .unwrap();
    assert!(html.contains(&format!("<script nonce=\"{nonce}\">")));
}

#[tokio::test]
async fn web_message_silent_auth_posts_to_the_app_origin_only() {
    let s = TestServer::start().await;
    let b = browser();
    // Sign in once through the SPA (which also creates the IdP session).
    let spa = |mode: &str, prompt: Option<&str>| {
        let mut p = vec![
            ("client_id", s.spa.client_id.clone()),
            ("response_type", "code".into()),
            (
                "redirect_uri",
                if mode == "web_message" {
                    SPA_ORIGIN
                } else {
                    SPA_CALLBACK
                }
                .into(),
            ),
            ("scope", "openid profile".into()),
            ("state", "c3RhdGU=".into()),
            ("nonce", "bm9uY2U=".into()),
            ("code_challenge", CHALLENGE.into()),
            ("code_challenge_method", "S256".into()),
            ("response_mode", mode.into()),
        ];
        if let Some(prompt) = prompt {
            p.push(("prompt", prompt.into()));
        }
        p
    };
    // Without a session: login_required, delivered by postMessage.
    let r = b
        .get(s.url("authorize"))
        .query(&spa("web_message", Some("none")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains(&format!("frame-ancestors {SPA_ORIGIN}")),
        "{csp}"
    );
    assert!(r.headers().get("x-frame-options").is_none());
    let html = r.text().await.unwrap();
    assert!(html.contains("\"error\":\"login_required\""), "{html}");
    assert!(
        html.contains(&format!("var targetOrigin = \"{SPA_ORIGIN}\"")),
        "{html}"
    );
    assert!(html.contains("\"type\":\"authorization_response\""));
    assert!(html.contains("\"state\":\"c3RhdGU=\""));
    // Sign in, then silent authentication returns a code.
    let login = start_login(&s, &b, &spa("query", None)).await;
    let r = submit_login(&b, &login, &s.user.email, PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = b
        .get(s.url("authorize"))
        .query(&spa("web_message", Some("none")))
        .send()
        .await
        .unwrap();
    let html = r.text().await.unwrap();
    assert!(html.contains("\"code\":\""), "{html}");
    assert!(
        !html.contains("<script>"),
        "inline script must carry the CSP nonce"
    );
}

/// Checklist #28 (OIDC Core §15.1): these parameters are accepted without error; `login_hint`
/// pre-fills the sign-in form.
#[tokio::test]
async fn display_locales_hints_and_acr_values_are_accepted() {
    let s = TestServer::start().await;
    let mut params = web_params(&s);
    for (k, v) in [
        ("display", "page"),
        ("ui_locales", "fr-CA fr en"),
        ("claims_locales", "fr"),
        ("login_hint", "jane@example.com"),
        ("acr_values", "urn:mace:incommon:iap:silver"),
    ] {
        params = with(params, k, v);
    }
    let b = browser();
    let login = start_login(&s, &b, &params).await;
    let html = b.get(&login).send().await.unwrap().text().await.unwrap();
    assert!(
        html.contains("value=\"jane@example.com\""),
        "login_hint pre-fills the email"
    );
    let r = submit_login(&b, &login, &s.user.email, PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(query_of(&location(r.headers())).contains_key("code"));
}

/// Checklist #14 (RFC 8252 §7.3): a native app's loopback redirect may use any port, and nothing
/// else may vary.
#[tokio::test]
async fn native_loopback_redirect_may_change_only_the_port() {
    let s = TestServer::start().await;
    let native = s
        .add_app(portcullis_testkit::AppSpec {
            name: "native",
            app_type: portcullis_store::ApplicationType::Native,
            redirect_uris: vec!["http://127.0.0.1/callback".into()],
            post_logout_redirect_uris: vec![],
            web_origins: vec![],
        })
        .await;
    let params = |redirect: &str| {
        with(
            with(web_params(&s), "client_id", &native.client_id),
            "redirect_uri",
            redirect,
        )
    };
    let b = browser();
    let login = start_login(&s, &b, &params("http://127.0.0.1:53187/callback")).await;
    let r = submit_login(&b, &login, &s.user.email, PASSWORD).await;
    assert!(location(r.headers()).starts_with("http://127.0.0.1:53187/callback?code="));
    for bad in [
        "http://127.0.0.1:53187/other",
        "http://localhost:53187/callback",
        "https://127.0.0.1:53187/callback",
    ] {
        let r = b
            .get(s.url("authorize"))
            .query(&params(bad))
            .send()
            .await
            .unwrap();
        assert_error_page(r, "redirect_uri").await;
    }
}
