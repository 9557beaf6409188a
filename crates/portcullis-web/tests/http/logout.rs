//! Checklist G: RP-Initiated Logout and Auth0's /v2/logout.

use crate::support::*;
use reqwest::StatusCode;

const RETURN: &str = "http://localhost:3000/";

/// Signs in through the web app and returns the browser and the ID token.
async fn signed_in(s: &TestServer) -> (reqwest::Client, String) {
    let b = browser();
    let cb = sign_in(s, &b, &web_params(s)).await;
    let t: serde_json::Value = redeem(s, &cb["code"]).await.json().await.unwrap();
    (b, t["id_token"].as_str().unwrap().to_owned())
}

async fn assert_signed_out(s: &TestServer, b: &reqwest::Client) {
    let r = b
        .get(s.url("authorize"))
        .query(&with(web_params(s), "prompt", "none"))
        .send()
        .await
        .unwrap();
    assert_eq!(query_of(&location(r.headers()))["error"], "login_required");
}

#[tokio::test]
async fn oidc_logout_with_hint_redirects_to_the_registered_uri_with_state() {
    let s = TestServer::start().await;
    let (b, id_token) = signed_in(&s).await;
    let r = b
        .get(s.url("oidc/logout"))
        .query(&[
            ("id_token_hint", id_token.as_str()),
            ("post_logout_redirect_uri", RETURN),
            ("state", "bye"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FOUND);
    assert_eq!(location(r.headers()), "http://localhost:3000/?state=bye");
    assert_signed_out(&s, &b).await;
}

#[tokio::test]
async fn oidc_logout_accepts_post_and_an_expired_hint() {
    let s = TestServer::start().await;
    let (b, id_token) = signed_in(&s).await;
    s.clock.advance(36_001);
    let r = b
        .post(s.url("oidc/logout"))
        .form(&[
            ("id_token_hint", id_token.as_str()),
            ("post_logout_redirect_uri", RETURN),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "303 after a POST (RFC 9700 section 4.12)"
    );
}

#[tokio::test]
async fn unregistered_or_modified_return_url_is_never_redirected_to() {
    let s = TestServer::start().await;
    let (b, id_token) = signed_in(&s).await;
    for bad in [
        "http://evil.example/",
        "http://localhost:3000/?x=1",
        "http://localhost:3000",
    ] {
        let r = b
            .get(s.url("oidc/logout"))
            .query(&[
                ("id_token_hint", id_token.as_str()),
                ("post_logout_redirect_uri", bad),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{bad}");
        assert!(r.headers().get("location").is_none());
    }
}

#[tokio::test]
async fn bad_hints_are_refused() {
    let s = TestServer::start().await;
    let (b, id_token) = signed_in(&s).await;
    let (head, rest) = id_token.split_once('.').unwrap();
    let payload = rest.split('.').next().unwrap();
    for hint in [
        format!("{head}.{payload}.AAAA"),
        format!("eyJhbGciOiJub25lIn0.{payload}."),
        "garbage".to_owned(),
    ] {
        let r = b
            .get(s.url("oidc/logout"))
            .query(&[
                ("id_token_hint", hint.as_str()),
                ("post_logout_redirect_uri", RETURN),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        assert!(r.headers().get("location").is_none());
    }
    // client_id must be an audience of the hint.
    let r = b
        .get(s.url("oidc/logout"))
        .query(&[
            ("id_token_hint", id_token.as_str()),
            ("client_id", s.other_web.client_id.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn logout_without_hint_asks_for_confirmation_then_signs_out() {
    let s = TestServer::start().await;
    let (b, _) = signed_in(&s).await;
    let r = b.get(s.url("oidc/logout")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains("Sign out?"));
    // Still signed in until confirmed.
    let still = b
        .get(s.url("authorize"))
        .query(&with(web_params(&s), "prompt", "none"))
        .send()
        .await
        .unwrap();
    assert!(query_of(&location(still.headers())).contains_key("code"));
    // A forged confirmation is refused.
    let r = b
        .post(s.url("oidc/logout/confirm"))
        .form(&[("plan", hidden(&html, "plan")), ("csrf", "x".into())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = b
        .post(s.url("oidc/logout/confirm"))
        .form(&[
            ("plan", hidden(&html, "plan")),
            ("csrf", hidden(&html, "csrf")),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("signed out"));
    assert_signed_out(&s, &b).await;
}

#[tokio::test]
async fn confirmed_logout_redirects_with_303_to_the_registered_uri() {
    let s = TestServer::start().await;
    let (b, _) = signed_in(&s).await;
    let r = b
        .get(s.url("oidc/logout"))
        .query(&[
            ("client_id", s.web.client_id.as_str()),
            ("post_logout_redirect_uri", RETURN),
        ])
        .send()
        .await
        .unwrap();
    let html = r.text().await.unwrap();
    assert!(html.contains("Stay signed in"));
    let r = b
        .post(s.url("oidc/logout/confirm"))
        .form(&[
            ("plan", hidden(&html, "plan")),
            ("csrf", hidden(&html, "csrf")),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(r.headers()), RETURN);
    assert_signed_out(&s, &b).await;
}

#[tokio::test]
async fn logout_with_no_parameters_and_no_session_shows_the_signed_out_page() {
    let s = TestServer::start().await;
    let r = browser().get(s.url("oidc/logout")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("You are signed out"));
}

#[tokio::test]
async fn v2_logout_redirects_only_to_allowed_logout_urls() {
    let s = TestServer::start().await;
    let (b, _) = signed_in(&s).await;
    let r = b
        .get(s.url("v2/logout"))
        .query(&[
            ("client_id", s.web.client_id.as_str()),
            ("returnTo", "http://evil.example/"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.headers().get("location").is_none());
    let r = b
        .get(s.url("v2/logout"))
        .query(&[("returnTo", RETURN)])
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::BAD_REQUEST,
        "returnTo needs client_id"
    );
    let r = b
        .get(s.url("v2/logout"))
        .query(&[
            ("client_id", s.web.client_id.as_str()),
            ("returnTo", RETURN),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FOUND);
    assert_eq!(location(r.headers()), RETURN);
    assert_signed_out(&s, &b).await;
}

#[tokio::test]
async fn garbage_confirmation_posts_get_a_page_not_a_500() {
    let s = TestServer::start().await;
    for (ctype, body) in [
        ("application/json", b"{\"plan\": 1}".to_vec()),
        (
            "application/x-www-form-urlencoded",
            vec![0xff, 0xfe, b'=', 0x00],
        ),
        ("text/plain", b"plan=x&plan=y".to_vec()),
    ] {
        let r = browser()
            .post(s.url("oidc/logout/confirm"))
            .header("content-type", ctype)
            .body(body)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_client_error(), "{}", r.status());
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
    }
}
