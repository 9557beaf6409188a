//! The audit log over HTTP: each security event recorded with Auth0's type code, the caller's
//! address and user agent, the application, and never a secret.

use crate::support::*;
use portcullis_store::{LogEvent, LogFilter, LogOrder};
use portcullis_testkit::Server;
use reqwest::StatusCode;

const AGENT: &str = "audit-test/1.0";

/// Every event written so far, oldest first.
async fn events(s: &Server) -> Vec<LogEvent> {
    s.provider.audit.flush().await;
    s.provider
        .store
        .list_log_events(&LogFilter::default(), LogOrder::OldestFirst, 0, 1000)
        .await
        .unwrap()
}

fn types(events: &[LogEvent]) -> Vec<&str> {
    events.iter().map(|e| e.event_type.as_str()).collect()
}

fn agent_browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .user_agent(AGENT)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

#[tokio::test]
async fn sign_in_exchanges_and_logout_are_recorded_with_auth0_types() {
    let s = TestServer::start().await;
    let b = agent_browser();

    // fu (unknown email), fp (wrong password), then s (success) on the hosted page.
    let login = start_login(&s, &b, &web_params(&s)).await;
    let r = submit_login(&b, &login, "nobody@example.com", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = submit_login(&b, &login, &s.user.email, "not the password").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = submit_login(&b, &login, &s.user.email, PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let code = query_of(&location(r.headers()))["code"].clone();

    // seacft.
    let r = redeem(&s, &code).await;
    assert_eq!(r.status(), StatusCode::OK);
    let tokens: serde_json::Value = r.json().await.unwrap();
    let refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
    let access = tokens["access_token"].as_str().unwrap().to_owned();

    // sertft, then feacft for the replayed code, then fertft for an unknown refresh token.
    let refresh_form = |token: String| {
        vec![
            ("grant_type", "refresh_token".to_owned()),
            ("refresh_token", token),
            ("client_id", s.web.client_id.clone()),
            ("client_secret", s.web.secret().to_owned()),
        ]
    };
    let http = reqwest::Client::builder()
        .user_agent(AGENT)
        .build()
        .unwrap();
    let r = http
        .post(s.url("oauth/token"))
        .form(&refresh_form(refresh.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(redeem(&s, &code).await.status(), StatusCode::BAD_REQUEST);
    let r = http
        .post(s.url("oauth/token"))
        .form(&refresh_form("no-such-token".to_owned()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);

    // seccft, then feccft for a wrong secret.
    let m2m = |secret: &str| {
        vec![
            ("grant_type", "client_credentials".to_owned()),
            ("audience", API.to_owned()),
            ("client_id", s.m2m.client_id.clone()),
            ("client_secret", secret.to_owned()),
        ]
    };
    let r = http
        .post(s.url("oauth/token"))
        .form(&m2m(s.m2m.secret()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = http
        .post(s.url("oauth/token"))
        .form(&m2m("wrong-secret-wrong-secret"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    // slo.
    let r = b
        .get(s.url("v2/logout"))
        .query(&[("client_id", s.web.client_id.as_str())])
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success() || r.status().is_redirection());

    let all = events(&s).await;
    assert_eq!(
        types(&all),
        [
            "fu", "fp", "s", "seacft", "sertft", "feacft", "fertft", "seccft", "feccft", "slo"
        ]
    );
    let by_type = |t: &str| all.iter().find(|e| e.event_type == t).unwrap();

    let fu = by_type("fu");
    assert_eq!(fu.user_name.as_deref(), Some("nobody@example.com"));
    assert_eq!(fu.user_id, None);
    let fp = by_type("fp");
    assert_eq!(fp.user_id.as_deref(), Some(s.user.user_id.as_str()));
    let ok = by_type("s");
    assert_eq!(ok.user_id.as_deref(), Some(s.user.user_id.as_str()));
    assert_eq!(ok.user_name.as_deref(), Some(s.user.email.as_str()));
    assert_eq!(ok.client_id.as_deref(), Some(s.web.client_id.as_str()));
    assert!(
        ok.client_name.is_some(),
        "the application's name is filled in"
    );
    for e in [fu, fp, ok] {
        assert_eq!(e.ip.as_deref(), Some("127.0.0.1"), "{e:?}");
        assert_eq!(e.user_agent.as_deref(), Some(AGENT), "{e:?}");
        assert_eq!(e.client_id.as_deref(), Some(s.web.client_id.as_str()));
    }
    let exchange = by_type("seacft");
    assert_eq!(
        exchange.client_id.as_deref(),
        Some(s.web.client_id.as_str())
    );
    let details: serde_json::Value =
        serde_json::from_str(exchange.details.as_deref().unwrap()).unwrap();
    assert_eq!(details["grant_type"], "authorization_code");
    let failed = by_type("feccft");
    assert_eq!(failed.client_id.as_deref(), Some(s.m2m.client_id.as_str()));
    let details: serde_json::Value =
        serde_json::from_str(failed.details.as_deref().unwrap()).unwrap();
    assert_eq!(details["error"], "invalid_client");
    assert_eq!(details["reason"], "wrong client secret");
    assert_eq!(
        by_type("slo").user_id.as_deref(),
        Some(s.user.user_id.as_str())
    );

    // Never a secret: no password, client secret, code or token anywhere in the log.
    let text = serde_json::to_string(&all).unwrap();
    for secret in [
        PASSWORD,
        "not the password",
        s.web.secret(),
        s.m2m.secret(),
        "wrong-secret-wrong-secret",
        code.as_str(),
        refresh.as_str(),
        access.as_str(),
    ] {
        assert!(!text.contains(secret), "the log holds a secret: {secret}");
    }
}

#[tokio::test]
async fn a_blocked_account_is_recorded_as_limit_wc() {
    let server = Server::start_configured(Default::default(), |c| c.max_failed_logins = 2).await;
    let s = TestServer::around(server).await;
    let b = agent_browser();
    let login = start_login(&s, &b, &web_params(&s)).await;
    for _ in 0..2 {
        let r = submit_login(&b, &login, &s.user.email, "wrong password").await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    let r = submit_login(&b, &login, &s.user.email, PASSWORD).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let all = events(&s).await;
    assert_eq!(types(&all), ["fp", "fp", "limit_wc"]);
    assert_eq!(all[2].user_name.as_deref(), Some(s.user.email.as_str()));
    assert_eq!(all[2].ip.as_deref(), Some("127.0.0.1"));
}

#[tokio::test]
async fn audit_lines_go_to_the_store_in_auth0_shape() {
    let s = TestServer::start().await;
    let b = agent_browser();
    sign_in(&s, &b, &web_params(&s)).await;
    let all = events(&s).await;
    let line = portcullis_core::audit::auth0_json(&all[0]);
    for key in [
        "log_id",
        "date",
        "type",
        "description",
        "client_id",
        "client_name",
        "user_id",
        "user_name",
        "ip",
        "user_agent",
        "details",
    ] {
        assert!(line.get(key).is_some(), "{key} missing: {line}");
    }
    assert_eq!(line["type"], "s");
    assert!(line["date"].as_str().unwrap().ends_with('Z'));
}
