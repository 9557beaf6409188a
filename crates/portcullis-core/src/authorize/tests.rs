//! Authorization endpoint rules, without HTTP, on a fixed clock.

use super::*;
use crate::ErrorCode;
use crate::testing::*;

async fn code_for(f: &Fixture, extra: &[(&str, &str)]) -> AuthorizationResponse {
    let req = validate(&f.p, authorize_params(extra)).await.unwrap();
    match decide(&f.p, &req, Some((&f.session, &f.user)), false)
        .await
        .unwrap()
    {
        Decision::Respond(r) => r,
        Decision::Login => panic!("expected a response"),
    }
}

fn param<'a>(r: &'a AuthorizationResponse, name: &str) -> Option<&'a str> {
    r.params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

#[tokio::test]
async fn rfc6749_4_1_2_code_response_carries_state_and_rfc9207_iss() {
    let f = fixture().await;
    let r = code_for(&f, &[]).await;
    assert!(r.error.is_none());
    assert_eq!(param(&r, "state"), Some("xyz"));
    assert_eq!(param(&r, "iss"), Some("https://id.example.com/"));
    assert_eq!(param(&r, "code").map(str::len), Some(43));
    assert!(r.query_url().starts_with(&format!("{CALLBACK}?code=")));
}

#[tokio::test]
async fn rfc6749_4_1_2_1_client_and_redirect_errors_are_never_redirected() {
    let f = fixture().await;
    for extra in [
        vec![("client_id", "nobody")],
        vec![("client_id", "")],
        vec![("redirect_uri", "https://app.example.com/callback?x")],
        vec![("redirect_uri", "")],
        vec![("response_mode", "jwt")],
        vec![("response_type", "id_token"), ("response_mode", "query")],
    ] {
        match validate(&f.p, authorize_params(&extra)).await {
            Err(AuthorizeFailure::ErrorPage(e)) => assert!(!e.redirectable, "{extra:?}"),
            other => panic!("{extra:?}: expected an error page, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn other_errors_go_to_the_redirect_uri_with_state() {
    let f = fixture().await;
    for (extra, code) in [
        (
            vec![("response_type", "token")],
            ErrorCode::UnsupportedResponseType,
        ),
        (vec![("response_type", "")], ErrorCode::InvalidRequest),
        (vec![("organization", "org_123")], ErrorCode::InvalidRequest),
        (vec![("invitation", "inv_1")], ErrorCode::InvalidRequest),
        (
            vec![("code_challenge_method", "plain")],
            ErrorCode::InvalidRequest,
        ),
        (vec![("prompt", "none login")], ErrorCode::InvalidRequest),
        (vec![("max_age", "soon")], ErrorCode::InvalidRequest),
        (vec![("request", "x")], ErrorCode::RequestNotSupported),
        (
            vec![("audience", "https://unknown.example")],
            ErrorCode::AccessDenied,
        ),
    ] {
        match validate(&f.p, authorize_params(&extra)).await {
            Err(AuthorizeFailure::Respond(r)) => {
                assert_eq!(r.error.as_ref().map(|e| e.code), Some(code), "{extra:?}");
                assert_eq!(param(&r, "state"), Some("xyz"));
                assert_eq!(param(&r, "error"), Some(code.as_str()));
            }
            other => panic!("{extra:?}: expected a redirect, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn api_scopes_need_their_audience() {
    let f = fixture().await;
    let ok = validate(
        &f.p,
        authorize_params(&[("audience", API), ("scope", "openid read:things")]),
    )
    .await;
    assert_eq!(ok.unwrap().scopes.to_string(), "openid read:things");
    // Without its API, an API scope cannot be granted: it is left out (RFC 6749 §3.3)…
    let req = validate(&f.p, authorize_params(&[("scope", "openid read:things")]))
        .await
        .unwrap();
    assert_eq!(req.scopes.to_string(), "openid");
    // …or refused with the tenant's strict_scopes.
    f.p.store
        .put_setting("strict_scopes", "true", 0)
        .await
        .unwrap();
    let err = validate(&f.p, authorize_params(&[("scope", "openid read:things")])).await;
    match err {
        Err(AuthorizeFailure::Respond(r)) => assert_eq!(param(&r, "error"), Some("invalid_scope")),
        other => panic!("expected invalid_scope, got {other:?}"),
    }
}

#[tokio::test]
async fn oidc_3_1_2_6_prompt_none_without_session_is_login_required() {
    let f = fixture().await;
    let req = validate(&f.p, authorize_params(&[("prompt", "none")]))
        .await
        .unwrap();
    match decide(&f.p, &req, None, false).await.unwrap() {
        Decision::Respond(r) => assert_eq!(param(&r, "error"), Some("login_required")),
        Decision::Login => panic!("prompt=none must not show UI"),
    }
    let req = validate(&f.p, authorize_params(&[])).await.unwrap();
    assert!(matches!(
        decide(&f.p, &req, None, false).await.unwrap(),
        Decision::Login
    ));
}

#[tokio::test]
async fn oidc_3_1_2_1_max_age_and_prompt_login_need_a_fresh_sign_in() {
    let f = fixture().await;
    let req = validate(&f.p, authorize_params(&[("max_age", "300")]))
        .await
        .unwrap();
    let s = Some((&f.session, &f.user));
    assert!(matches!(
        decide(&f.p, &req, s, false).await.unwrap(),
        Decision::Respond(_)
    ));
    f.clock.advance(301);
    assert!(matches!(
        decide(&f.p, &req, s, false).await.unwrap(),
        Decision::Login
    ));
    assert!(matches!(
        decide(&f.p, &req, s, true).await.unwrap(),
        Decision::Respond(_)
    ));
    let req = validate(&f.p, authorize_params(&[("prompt", "login")]))
        .await
        .unwrap();
    assert!(matches!(
        decide(&f.p, &req, s, false).await.unwrap(),
        Decision::Login
    ));
    assert!(matches!(
        decide(&f.p, &req, s, true).await.unwrap(),
        Decision::Respond(_)
    ));
}

#[tokio::test]
async fn blocked_users_get_access_denied() {
    let f = fixture().await;
    let mut user = f.user.clone();
    user.blocked = true;
    let req = validate(&f.p, authorize_params(&[])).await.unwrap();
    match decide(&f.p, &req, Some((&f.session, &user)), false)
        .await
        .unwrap()
    {
        Decision::Respond(r) => assert_eq!(param(&r, "error"), Some("access_denied")),
        Decision::Login => panic!(),
    }
}

#[tokio::test]
async fn rfc7636_4_4_1_public_clients_must_send_a_challenge() {
    let f = fixture().await;
    let params = authorize_params(&[
        ("client_id", "spa"),
        ("code_challenge", ""),
        ("code_challenge_method", ""),
    ]);
    assert!(matches!(
        validate(&f.p, params).await,
        Err(AuthorizeFailure::Respond(_))
    ));
    let params = authorize_params(&[("code_challenge", ""), ("code_challenge_method", "")]);
    assert!(
        validate(&f.p, params).await.is_ok(),
        "optional for confidential clients"
    );
}
