//! Social and enterprise sign-in (issue #14): a second Portcullis on loopback is the upstream
//! OpenID Connect provider (discovery, JWKS, PKCE, nonce, all real), and small axum servers stand
//! in for Google's token and key endpoints (so tests can hand out wrong ID tokens) and GitHub's
//! OAuth and user API. Each browser is a cookie jar per site, as real browsers keep them.

use crate::support::*;
use axum::extract::State;
use axum::http::HeaderMap as AxumHeaders;
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use portcullis_core::upstream::connection::{Connection, Endpoints, Secret};
use portcullis_store::{ApplicationType, Client};
use portcullis_testkit::{AppSpec, Server};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

const UPSTREAM_PASSWORD: &str = "upstream horse battery staple";

/// The Portcullis under test, with three connections (`corp`: oidc at a second Portcullis;
/// `google`: google-oauth2 at a stand-in; `github`: github at a stand-in).
struct World {
    server: TestServer,
    upstream: Server,
    upstream_user: portcullis_store::User,
    google: Arc<Mutex<GoogleState>>,
    github: Arc<Mutex<GithubState>>,
}

/// What the Google stand-in puts in the next ID token, and what it checks.
#[derive(Default)]
struct GoogleState {
    claims: Value,
    /// The PKCE challenge the authorization request carried.
    challenge: String,
    client_secret: String,
    /// What its UserInfo endpoint answers to the access token `ya29.x`.
    userinfo: Value,
}

#[derive(Default)]
struct GithubState {
    emails: Value,
    login: String,
}

async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{addr}")
}

/// Google's token endpoint and JWKS, signing with a throwaway Portcullis's key.
async fn google_standin(keys: Server, state: Arc<Mutex<GoogleState>>) -> String {
    async fn token(
        State((keys, state)): State<(Arc<Server>, Arc<Mutex<GoogleState>>)>,
        headers: AxumHeaders,
        Form(form): Form<HashMap<String, String>>,
    ) -> (axum::http::StatusCode, Json<Value>) {
        let s = state.lock().unwrap();
        let basic = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let expected = {
            use base64::Engine as _;
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD
                    .encode(format!("google-client:{}", s.client_secret))
            )
        };
        let verifier = form.get("code_verifier").cloned().unwrap_or_default();
        let pkce_ok = portcullis_core::pkce::verify_s256(&verifier, &s.challenge);
        if basic != expected || !pkce_ok || form.get("code").map(String::as_str) != Some("g-code") {
            return (
                axum::http::StatusCode::BAD_REQUEST,
                Json(json!({"error": "invalid_grant"})),
            );
        }
        let ring = keys.provider.keys.ring();
        let id_token = portcullis_core::jwt::sign(ring.current(), "JWT", &s.claims).unwrap();
        (
            axum::http::StatusCode::OK,
            Json(json!({"access_token": "ya29.x", "token_type": "Bearer", "id_token": id_token})),
        )
    }
    async fn jwks(State((keys, _)): State<(Arc<Server>, Arc<Mutex<GoogleState>>)>) -> Json<Value> {
        Json(keys.provider.keys.ring().jwks().clone())
    }
    async fn userinfo(
        State((_, state)): State<(Arc<Server>, Arc<Mutex<GoogleState>>)>,
        headers: AxumHeaders,
    ) -> (axum::http::StatusCode, Json<Value>) {
        let bearer = headers.get("authorization").and_then(|v| v.to_str().ok());
        if bearer != Some("Bearer ya29.x") {
            return (axum::http::StatusCode::UNAUTHORIZED, Json(json!({})));
        }
        let info = state.lock().unwrap().userinfo.clone();
        (axum::http::StatusCode::OK, Json(info))
    }
    serve(
        Router::new()
            .route("/token", post(token))
            .route("/certs", get(jwks))
            .route("/userinfo", get(userinfo))
            .with_state((Arc::new(keys), state)),
    )
    .await
}

/// GitHub's OAuth token endpoint and REST API.
async fn github_standin(state: Arc<Mutex<GithubState>>) -> String {
    async fn token(Form(form): Form<HashMap<String, String>>) -> Json<Value> {
        let ok = form.get("client_id").map(String::as_str) == Some("gh-client")
            && form.get("client_secret").map(String::as_str) == Some("gh-secret")
            && form.get("code").map(String::as_str) == Some("gh-code")
            && form.get("code_verifier").is_some_and(|v| v.len() >= 43);
        // GitHub answers a bad code with 200 and an `error` member.
        Json(if ok {
            json!({"access_token": "gho_token", "token_type": "bearer", "scope": "read:user,user:email"})
        } else {
            json!({"error": "bad_verification_code"})
        })
    }
    fn authorized(headers: &AxumHeaders) -> bool {
        headers.get("authorization").and_then(|v| v.to_str().ok()) == Some("Bearer gho_token")
    }
    async fn user(
        State(state): State<Arc<Mutex<GithubState>>>,
        headers: AxumHeaders,
    ) -> (axum::http::StatusCode, Json<Value>) {
        if !authorized(&headers) {
            return (axum::http::StatusCode::UNAUTHORIZED, Json(json!({})));
        }
        let login = state.lock().unwrap().login.clone();
        (
            axum::http::StatusCode::OK,
            Json(
                json!({"id": 4242, "login": login, "name": null, "email": "public@example.com",
                        "avatar_url": "https://avatars.example/u/4242"}),
            ),
        )
    }
    async fn emails(
        State(state): State<Arc<Mutex<GithubState>>>,
        headers: AxumHeaders,
    ) -> (axum::http::StatusCode, Json<Value>) {
        if !authorized(&headers) {
            return (axum::http::StatusCode::UNAUTHORIZED, Json(json!([])));
        }
        (
            axum::http::StatusCode::OK,
            Json(state.lock().unwrap().emails.clone()),
        )
    }
    serve(
        Router::new()
            .route("/login/oauth/access_token", post(token))
            .route("/user", get(user))
            .route("/user/emails", get(emails))
            .with_state(state),
    )
    .await
}

async fn world() -> World {
    let upstream = Server::start().await;
    let corp_app = upstream
        .add_app(AppSpec {
            name: "downstream",
            app_type: ApplicationType::RegularWeb,
            redirect_uris: vec!["http://placeholder.invalid/".into()],
            post_logout_redirect_uris: vec![],
            web_origins: vec![],
        })
        .await;
    let upstream_user = upstream
        .add_user("ada@corp.example", UPSTREAM_PASSWORD)
        .await;
    let google = Arc::new(Mutex::new(GoogleState {
        client_secret: "google-secret".into(),
        ..GoogleState::default()
    }));
    let google_url = google_standin(Server::start().await, google.clone()).await;
    let github = Arc::new(Mutex::new(GithubState {
        login: "octocat".into(),
        emails: json!([
            {"email": "octo@secondary.example", "primary": false, "verified": true},
            {"email": "Octo@Users.Example", "primary": true, "verified": true},
        ]),
    }));
    let github_url = github_standin(github.clone()).await;

    let corp = Connection::new(
        "corp",
        "oidc",
        &corp_app.client_id,
        Secret(corp_app.secret().to_owned()),
        Some(upstream.issuer.clone()),
        Endpoints::default(),
    )
    .unwrap();
    let google_conn = Connection::new(
        "google-oauth2",
        "google-oauth2",
        "google-client",
        Secret("google-secret".into()),
        None,
        Endpoints {
            issuer: Some("https://accounts.google.com".into()),
            authorization_endpoint: Some(format!("{google_url}/auth")),
            token_endpoint: Some(format!("{google_url}/token")),
            jwks_uri: Some(format!("{google_url}/certs")),
            userinfo_endpoint: Some(format!("{google_url}/userinfo")),
            ..Endpoints::default()
        },
    )
    .unwrap();
    let github_conn = Connection::new(
        "github",
        "github",
        "gh-client",
        Secret("gh-secret".into()),
        None,
        Endpoints {
            authorization_endpoint: Some(format!("{github_url}/login/oauth/authorize")),
            token_endpoint: Some(format!("{github_url}/login/oauth/access_token")),
            user_endpoint: Some(format!("{github_url}/user")),
            emails_endpoint: Some(format!("{github_url}/user/emails")),
            ..Endpoints::default()
        },
    )
    .unwrap();
    let server = TestServer::around(
        Server::start_configured(portcullis_web::WebOptions::default(), |config| {
            config.connections = vec![Arc::new(corp), Arc::new(google_conn), Arc::new(github_conn)];
        })
        .await,
    )
    .await;
    // The upstream application's callback is the downstream's /login/callback.
    let mut client: Client = upstream
        .provider
        .store
        .get_client(&corp_app.client_id)
        .await
        .unwrap()
        .unwrap();
    client.redirect_uris = vec![server.url("login/callback")];
    upstream
        .provider
        .store
        .update_client(&client)
        .await
        .unwrap();
    World {
        server,
        upstream,
        upstream_user,
        google,
        github,
    }
}

/// `/authorize?connection=NAME` for the regular web app: the redirect to the upstream, which
/// also set the pending sign-in cookie in `b`.
async fn go_upstream(w: &World, b: &reqwest::Client, connection: &str) -> String {
    let params = with(web_params(&w.server), "connection", connection);
    let r = b
        .get(w.server.url("authorize"))
        .query(&params)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FOUND, "{:?}", r.text().await);
    location(r.headers())
}

/// Signs in at the upstream Portcullis with its own browser; returns the callback URL it sends
/// the user back with.
async fn upstream_sign_in(w: &World, authorize_url: &str) -> String {
    upstream_sign_in_as(w, authorize_url, &w.upstream_user.email).await
}

async fn upstream_sign_in_as(w: &World, authorize_url: &str, email: &str) -> String {
    assert!(
        authorize_url.starts_with(&w.upstream.issuer),
        "{authorize_url}"
    );
    let ub = browser();
    w.upstream
        .sign_in(&ub, authorize_url, email, UPSTREAM_PASSWORD)
        .await
}

/// Follows the callback in `b`; expects the redirect to the application; returns its query.
async fn finish(b: &reqwest::Client, callback: &str) -> HashMap<String, String> {
    let r = b.get(callback).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{:?}", r.text().await);
    let to = location(r.headers());
    assert!(to.starts_with(WEB_CALLBACK), "{to}");
    query_of(&to)
}

async fn id_token_claims(w: &World, code: &str) -> Value {
    let r = redeem(&w.server, code).await;
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    claims(body["id_token"].as_str().unwrap())
}

#[tokio::test]
async fn oidc_connection_signs_in_through_a_real_provider_and_keeps_one_account() {
    let w = world().await;
    let b = browser();
    let to = go_upstream(&w, &b, "corp").await;
    let q = query_of(&to);
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(q["redirect_uri"], w.server.url("login/callback"));
    assert!(q["nonce"].len() >= 43 && q["state"].len() >= 43);
    let callback = upstream_sign_in(&w, &to).await;
    assert!(
        callback.starts_with(&w.server.url("login/callback")),
        "{callback}"
    );
    let app = finish(&b, &callback).await;
    assert_eq!(app["state"], "st4te");
    let c = id_token_claims(&w, &app["code"]).await;
    let user_id = format!("oidc|corp|{}", w.upstream_user.user_id);
    assert_eq!(c["sub"], user_id);
    assert_eq!(c["email"], "ada@corp.example");
    assert_eq!(c["email_verified"], true);
    assert_eq!(c["nonce"], "n0nce");

    // The upstream changes the email; the next sign-in (a new browser) refreshes it, and it is
    // the same account.
    let mut changed = w.upstream_user.clone();
    changed.email = "ada.lovelace@corp.example".into();
    w.upstream
        .provider
        .store
        .update_user(&changed)
        .await
        .unwrap();
    let b2 = browser();
    let to = go_upstream(&w, &b2, "corp").await;
    let callback = upstream_sign_in_as(&w, &to, &changed.email).await;
    let app = finish(&b2, &callback).await;
    let c = id_token_claims(&w, &app["code"]).await;
    assert_eq!(c["sub"], user_id, "same user twice: one account");
    assert_eq!(c["email"], "ada.lovelace@corp.example");
    let store = &w.server.provider.store;
    let users = store.list_users().await.unwrap();
    assert_eq!(
        users
            .iter()
            .filter(|u| u.user_id.starts_with("oidc|"))
            .count(),
        1
    );
    let identities = store.list_user_identities(&user_id).await.unwrap();
    assert_eq!(identities.len(), 1);
    assert_eq!(identities[0].connection, "corp");
    assert_eq!(
        identities[0].email.as_deref(),
        Some("ada.lovelace@corp.example")
    );
}

#[tokio::test]
async fn the_sign_in_page_offers_a_button_per_enabled_connection() {
    let w = world().await;
    let b = browser();
    let login = start_login(&w.server, &b, &web_params(&w.server)).await;
    let html = b.get(&login).send().await.unwrap().text().await.unwrap();
    for label in [
        "Continue with corp",
        "Continue with Google",
        "Continue with GitHub",
    ] {
        assert!(html.contains(label), "{label} in {html}");
    }
    let state = login.split("state=").nth(1).unwrap();
    let href = format!("/u/login/connection?state={state}&amp;connection=corp");
    assert!(html.contains(&href), "{href} in {html}");
    let r = b
        .get(w.server.url(&href.replace("&amp;", "&")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FOUND);
    let to = location(r.headers());
    let callback = upstream_sign_in(&w, &to).await;
    let app = finish(&b, &callback).await;
    let c = id_token_claims(&w, &app["code"]).await;
    assert_eq!(c["sub"], format!("oidc|corp|{}", w.upstream_user.user_id));

    // The password user of the same email is another account (no automatic linking).
    let ada = w.server.add_user("ada@corp.example", PASSWORD).await;
    assert_ne!(ada.user_id, c["sub"].as_str().unwrap());
    let found = w
        .server
        .provider
        .store
        .get_user_by_email("ada@corp.example")
        .await
        .unwrap();
    assert_eq!(found.map(|u| u.user_id), Some(ada.user_id));
}

#[tokio::test]
async fn unknown_or_disabled_connections_are_refused_to_the_application() {
    let w = world().await;
    let b = browser();
    let params = with(web_params(&w.server), "connection", "nope");
    let r = b
        .get(w.server.url("authorize"))
        .query(&params)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FOUND);
    let q = query_of(&location(r.headers()));
    assert_eq!(q["error"], "invalid_request");
    assert!(q["error_description"].contains("nope"), "{q:?}");
    // The database connection's name means the hosted page.
    let params = with(
        web_params(&w.server),
        "connection",
        "Username-Password-Authentication",
    );
    start_login(&w.server, &b, &params).await;
}

#[tokio::test]
async fn upstream_errors_reach_the_application_as_access_denied() {
    let w = world().await;
    let b = browser();
    let to = go_upstream(&w, &b, "corp").await;
    let state = query_of(&to)["state"].clone();
    let r = b
        .get(w.server.url("login/callback"))
        .query(&[
            ("error", "access_denied"),
            ("error_description", "The user said no"),
            ("state", &state),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FOUND);
    let to = location(r.headers());
    assert!(to.starts_with(WEB_CALLBACK), "{to}");
    let q = query_of(&to);
    assert_eq!(q["error"], "access_denied");
    assert_eq!(q["state"], "st4te");
    assert!(q["error_description"].contains("The user said no"), "{q:?}");
}

#[tokio::test]
async fn bad_state_and_replayed_callbacks_are_refused() {
    let w = world().await;
    let b = browser();
    let params = with(web_params(&w.server), "connection", "corp");
    // A plain client, to send the pending cookie by hand.
    let raw = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = raw
        .get(w.server.url("authorize"))
        .query(&params)
        .send()
        .await
        .unwrap();
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned())
        .find(|c| c.starts_with("portcullis_upstream="))
        .expect("the pending sign-in cookie");
    let to = location(r.headers());
    let callback = upstream_sign_in(&w, &to).await;

    // Another browser (no cookie) cannot use the callback: login CSRF.
    let r = b.get(&callback).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("not valid or has expired"));
    // A wrong state with the right cookie.
    let wrong = callback.replace("state=", "state=x");
    let r = raw
        .get(&wrong)
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    // The real one works once…
    let r = raw
        .get(&callback)
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{:?}", r.text().await);
    assert!(location(r.headers()).starts_with(WEB_CALLBACK));
    // …and a replay with the same cookie is refused.
    let r = raw
        .get(&callback)
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("already completed"));
}

/// Starts a Google sign-in in `b`; returns (state, nonce) and primes the stand-in's checks.
async fn google_start(w: &World, b: &reqwest::Client) -> (String, String) {
    let to = go_upstream(w, b, "google-oauth2").await;
    let q = query_of(&to);
    assert_eq!(q["client_id"], "google-client");
    assert_eq!(q["scope"], "openid profile email");
    w.google.lock().unwrap().challenge = q["code_challenge"].clone();
    (q["state"].clone(), q["nonce"].clone())
}

fn google_claims(w: &World, nonce: &str) -> Value {
    let now = w.server.provider.now();
    json!({
        "iss": "https://accounts.google.com", "aud": "google-client", "azp": "google-client",
        "sub": "1098765", "email": "Grace@Gmail.example", "email_verified": true,
        "name": "Grace Hopper", "picture": "https://lh3.example/grace.png",
        "iat": now, "exp": now + 3600, "nonce": nonce,
    })
}

async fn google_callback(w: &World, b: &reqwest::Client, state: &str) -> reqwest::Response {
    b.get(w.server.url("login/callback"))
        .query(&[("code", "g-code"), ("state", state)])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn google_connection_validates_the_id_token() {
    let w = world().await;
    // Each broken claim gets a readable page, and no account.
    let cases: [(&str, Value, &str); 4] = [
        ("nonce", json!("another-nonce"), "nonce"),
        ("iss", json!("https://evil.example"), "another issuer"),
        ("aud", json!("someone-else"), "another application"),
        ("exp", json!(w.server.provider.now() - 3600), "expired"),
    ];
    for (claim, value, message) in cases {
        let b = browser();
        let (state, nonce) = google_start(&w, &b).await;
        let mut claims = google_claims(&w, &nonce);
        claims[claim] = value;
        w.google.lock().unwrap().claims = claims;
        let r = google_callback(&w, &b, &state).await;
        assert_eq!(r.status(), StatusCode::BAD_GATEWAY, "{claim}");
        let html = r.text().await.unwrap();
        assert!(html.contains(message), "{claim}: {html}");
    }
    let store = &w.server.provider.store;
    assert_eq!(store.get_user("google-oauth2|1098765").await.unwrap(), None);

    // A good token signs in, with the profile mapped.
    let b = browser();
    let (state, nonce) = google_start(&w, &b).await;
    w.google.lock().unwrap().claims = google_claims(&w, &nonce);
    let r = google_callback(&w, &b, &state).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{:?}", r.text().await);
    let app = query_of(&location(r.headers()));
    let c = id_token_claims(&w, &app["code"]).await;
    assert_eq!(c["sub"], "google-oauth2|1098765");
    assert_eq!(c["email"], "grace@gmail.example");
    assert_eq!(c["name"], "Grace Hopper");
    assert_eq!(c["picture"], "https://lh3.example/grace.png");

    // A wrong client secret at the token endpoint is a failed sign-in, not a crash.
    w.google.lock().unwrap().client_secret = "rotated".into();
    let b = browser();
    let (state, nonce) = google_start(&w, &b).await;
    w.google.lock().unwrap().claims = google_claims(&w, &nonce);
    let r = google_callback(&w, &b, &state).await;
    assert_eq!(r.status(), StatusCode::BAD_GATEWAY);
    assert!(r.text().await.unwrap().contains("code exchange failed"));
}

/// An upstream ID token without profile claims: they come from its UserInfo endpoint, and only
/// when the UserInfo response is for the same subject.
#[tokio::test]
async fn profile_claims_missing_from_the_id_token_come_from_userinfo() {
    let w = world().await;
    let sign_in = |userinfo: Value| {
        let w = &w;
        async move {
            let b = browser();
            let (state, nonce) = google_start(w, &b).await;
            let mut claims = google_claims(w, &nonce);
            for claim in ["email", "email_verified", "name", "picture"] {
                claims.as_object_mut().unwrap().remove(claim);
            }
            {
                let mut g = w.google.lock().unwrap();
                g.claims = claims;
                g.userinfo = userinfo;
            }
            let r = google_callback(w, &b, &state).await;
            assert_eq!(r.status(), StatusCode::SEE_OTHER, "{:?}", r.text().await);
            w.server
                .provider
                .store
                .get_user("google-oauth2|1098765")
                .await
                .unwrap()
                .unwrap()
        }
    };
    // Another subject's UserInfo is not used.
    let user = sign_in(json!({"sub": "someone-else", "email": "eve@evil.example",
        "email_verified": true, "name": "Eve"}))
    .await;
    assert_eq!(user.name, None);
    assert!(!user.email.contains("eve"), "{}", user.email);
    // The same subject's fills the profile (refreshed at this sign-in).
    let user = sign_in(json!({"sub": "1098765", "email": "Grace@Gmail.example",
        "email_verified": true, "name": "Grace Hopper",
        "picture": "https://lh3.example/grace.png"}))
    .await;
    assert_eq!(user.name.as_deref(), Some("Grace Hopper"));
    assert_eq!(
        user.picture.as_deref(),
        Some("https://lh3.example/grace.png")
    );
    assert!(user.email_verified);
    let identities = w
        .server
        .provider
        .store
        .list_user_identities("google-oauth2|1098765")
        .await
        .unwrap();
    assert_eq!(identities[0].email.as_deref(), Some("grace@gmail.example"));
}

/// A GitHub sign-in in a new browser; the ID token's claims.
async fn github_sign_in(w: &World) -> Value {
    let b = browser();
    let to = go_upstream(w, &b, "github").await;
    let q = query_of(&to);
    assert!(!q.contains_key("nonce"), "GitHub has no ID token");
    assert_eq!(q["scope"], "read:user user:email");
    let r = b
        .get(w.server.url("login/callback"))
        .query(&[("code", "gh-code"), ("state", &q["state"])])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{:?}", r.text().await);
    let app = query_of(&location(r.headers()));
    id_token_claims(w, &app["code"]).await
}

#[tokio::test]
async fn github_connection_reads_the_user_and_its_verified_primary_email() {
    let w = world().await;
    let c = github_sign_in(&w).await;
    assert_eq!(c["sub"], "github|4242");
    assert_eq!(c["email"], "octo@users.example");
    assert_eq!(c["email_verified"], true);
    assert_eq!(c["nickname"], "octocat");
    assert_eq!(c["name"], "octocat");

    // No verified primary email: no email (the public profile email is not proof).
    w.github.lock().unwrap().emails =
        json!([{"email": "octo@users.example", "primary": true, "verified": false}]);
    let c = github_sign_in(&w).await;
    assert_eq!(c["sub"], "github|4242");
    assert_eq!(c.get("email"), None, "{c}");
    assert_eq!(c.get("email_verified"), None, "{c}");

    // A refused code (GitHub's 200 with `error`) is a failed sign-in.
    let b = browser();
    let to = go_upstream(&w, &b, "github").await;
    let state = query_of(&to)["state"].clone();
    let r = b
        .get(w.server.url("login/callback"))
        .query(&[("code", "stale"), ("state", &state)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_GATEWAY);
    assert!(r.text().await.unwrap().contains("bad_verification_code"));
}

/// Links GitHub from the account page of the user signed in in `b`; the final response.
async fn link_github(w: &World, b: &reqwest::Client) -> reqwest::Response {
    let page = b.get(w.server.url("u/account")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("Connect GitHub"), "{html}");
    let r = b
        .post(w.server.url("u/account/connections"))
        .header("origin", w.server.url("").trim_end_matches('/'))
        .form(&[("csrf", hidden(&html, "csrf")), ("id", "github".into())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{:?}", r.text().await);
    let state = query_of(&location(r.headers()))["state"].clone();
    b.get(w.server.url("login/callback"))
        .query(&[("code", "gh-code"), ("state", &state)])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_signed_in_user_links_github_from_the_account_page() {
    let w = world().await;
    let b = browser();
    sign_in(&w.server, &b, &web_params(&w.server)).await;
    let r = link_github(&w, &b).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(r.headers()), "/u/account?linked=github");
    let page = b
        .get(w.server.url("u/account?linked=github"))
        .send()
        .await
        .unwrap();
    let html = page.text().await.unwrap();
    assert!(html.contains("Your GitHub account is connected"), "{html}");
    let identities = w
        .server
        .provider
        .store
        .list_user_identities(&w.server.user.user_id)
        .await
        .unwrap();
    assert_eq!(identities.len(), 1);
    assert_eq!(
        (
            identities[0].connection.as_str(),
            identities[0].subject.as_str()
        ),
        ("github", "4242")
    );
    // Signing in with GitHub now signs in the password user; no github| user is created.
    let c = github_sign_in(&w).await;
    assert_eq!(c["sub"], w.server.user.user_id);
    assert_eq!(
        w.server
            .provider
            .store
            .get_user("github|4242")
            .await
            .unwrap(),
        None
    );

    // The same GitHub account cannot be linked to another user.
    let other = w.server.add_user("grace@example.com", PASSWORD).await;
    let b2 = browser();
    let login = start_login(&w.server, &b2, &web_params(&w.server)).await;
    let r = submit_login(&b2, &login, &other.email, PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = link_github(&w, &b2).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("already signs in another account")
    );
}

// ---------------------------------------------------------------------------------------------
// Linking: a password added to an upstream user; an upstream user merged into a password user.

const NEW_PASSWORD: &str = "plum tractor galaxy 42";

/// A Google sign-in in `b` as `email` (its session cookie stays in `b`).
async fn google_sign_in_as(w: &World, b: &reqwest::Client, email: &str) {
    let (state, nonce) = google_start(w, b).await;
    let mut claims = google_claims(w, &nonce);
    claims["email"] = json!(email);
    w.google.lock().unwrap().claims = claims;
    let r = google_callback(w, b, &state).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{:?}", r.text().await);
}

/// Posts an account-page form of the browser's account page.
async fn account_post(
    w: &World,
    b: &reqwest::Client,
    path: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let html = b
        .get(w.server.url("u/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = hidden(&html, "csrf");
    let mut form = vec![("csrf", csrf.as_str())];
    form.extend_from_slice(fields);
    b.post(w.server.url(path))
        .header("origin", w.server.url("").trim_end_matches('/'))
        .form(&form)
        .send()
        .await
        .unwrap()
}

/// Opens the mailed confirmation link in `b` and presses its button.
async fn confirm_added_password(w: &World, b: &reqwest::Client, link: &str) -> reqwest::Response {
    let page = b.get(link).send().await.unwrap();
    if page.status() != StatusCode::OK {
        return page;
    }
    let html = page.text().await.unwrap();
    b.post(w.server.url("u/account/password/confirm"))
        .header("origin", w.server.url("").trim_end_matches('/'))
        .form(&[
            ("token", hidden(&html, "token")),
            ("csrf", hidden(&html, "csrf")),
        ])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn an_upstream_user_adds_a_password_proven_by_a_mailed_link() {
    let w = world().await;
    let store = &w.server.provider.store;
    let b = browser();
    google_sign_in_as(&w, &b, "grace@gmail.example").await;
    let html = b
        .get(w.server.url("u/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("action=\"/u/account/password/add\""),
        "{html}"
    );
    assert!(
        !html.contains("current_password"),
        "no current password to ask"
    );

    // The policy of every password applies; nothing is mailed for a refused one.
    let r = account_post(
        &w,
        &b,
        "u/account/password/add",
        &[("new_password", "short")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(mails_to(&w.server, "grace@gmail.example").await.is_empty());

    let r = account_post(
        &w,
        &b,
        "u/account/password/add",
        &[("new_password", NEW_PASSWORD)],
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("We sent a link"));
    let mails = mails_to(&w.server, "grace@gmail.example").await;
    assert_eq!(mails.len(), 1);
    let link = link_in(&mails[0], "/u/account/password/confirm");
    assert!(!mails[0].text_body.contains(NEW_PASSWORD));

    // Not signed in, or signed in as someone else: the link adds nothing.
    let r = browser().get(&link).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let jane = browser();
    sign_in(&w.server, &jane, &web_params(&w.server)).await;
    let r = confirm_added_password(&w, &jane, &link).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("another account"));
    assert!(
        store
            .get_user_by_email("grace@gmail.example")
            .await
            .unwrap()
            .is_none()
    );

    // In the browser that asked, it adds the password: Grace signs in with it as herself.
    let r = confirm_added_password(&w, &b, &link).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("Your password is added"));
    let grace = store
        .get_user_by_email("grace@gmail.example")
        .await
        .unwrap()
        .expect("a database user now");
    assert_eq!(grace.user_id, "google-oauth2|1098765");
    assert!(grace.email_verified);
    let r = confirm_added_password(&w, &b, &link).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST, "the link works once");
    let b2 = browser();
    let login = start_login(&w.server, &b2, &web_params(&w.server)).await;
    let r = submit_login(&b2, &login, "grace@gmail.example", NEW_PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let app = query_of(&location(r.headers()));
    let c = id_token_claims(&w, &app["code"]).await;
    assert_eq!(c["sub"], "google-oauth2|1098765");

    // Google still signs her in; its email no longer renames her sign-in address.
    google_sign_in_as(&w, &browser(), "grace.new@gmail.example").await;
    let grace = store
        .get_user("google-oauth2|1098765")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(grace.email, "grace@gmail.example");
    let identities = store
        .list_user_identities("google-oauth2|1098765")
        .await
        .unwrap();
    assert_eq!(
        identities[0].email.as_deref(),
        Some("grace.new@gmail.example")
    );
}

#[tokio::test]
async fn a_password_account_address_is_never_given_to_an_upstream_user() {
    let w = world().await;
    let jane_email = w.server.user.email.clone();
    let b = browser();
    google_sign_in_as(&w, &b, &jane_email).await;
    let r = account_post(
        &w,
        &b,
        "u/account/password/add",
        &[("new_password", NEW_PASSWORD)],
    )
    .await;
    assert_eq!(
        r.status(),
        StatusCode::OK,
        "the same answer as for a free address"
    );
    let mails = mails_to(&w.server, &jane_email).await;
    assert_eq!(mails.len(), 1);
    assert!(
        mails[0].text_body.contains("already have an account"),
        "{}",
        mails[0].text_body
    );
    assert!(!mails[0].text_body.contains("/u/account/password/confirm"));
    let jane = w
        .server
        .provider
        .store
        .get_user_by_email(&jane_email)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(jane.user_id, w.server.user.user_id);
}

#[tokio::test]
async fn linking_an_upstream_account_merges_the_user_it_signed_in() {
    let w = world().await;
    let store = &w.server.provider.store;
    // GitHub first signs in a user of its own.
    let c = github_sign_in(&w).await;
    assert_eq!(c["sub"], "github|4242");
    let mut github_user = store.get_user("github|4242").await.unwrap().unwrap();
    github_user.app_metadata = serde_json::from_value(json!({"plan": "free"})).unwrap();
    store.update_user(&github_user).await.unwrap();
    // Signed in with her password, Jane connects that GitHub account: she proves both, so the
    // GitHub-only user is merged into hers.
    let b = browser();
    sign_in(&w.server, &b, &web_params(&w.server)).await;
    let r = link_github(&w, &b).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{:?}", r.text().await);
    assert_eq!(location(r.headers()), "/u/account?linked=github");
    assert_eq!(store.get_user("github|4242").await.unwrap(), None);
    assert!(
        store
            .list_user_sessions("github|4242")
            .await
            .unwrap()
            .is_empty()
    );
    let identity = store.get_identity("github", "4242").await.unwrap().unwrap();
    assert_eq!(identity.user_id, w.server.user.user_id);
    let c = github_sign_in(&w).await;
    assert_eq!(c["sub"], w.server.user.user_id);
    w.server.provider.audit.flush().await;
    let logs = store
        .list_log_events(&Default::default(), Default::default(), 0, 1000)
        .await
        .unwrap();
    assert!(
        logs.iter()
            .any(|e| e.event_type == "du" && e.user_id.as_deref() == Some("github|4242")),
        "the merge is in the audit log"
    );
}
