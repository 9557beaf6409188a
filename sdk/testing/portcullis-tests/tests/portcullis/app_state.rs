//! An axum app with its own state type: sub-states reached through `FromRef` (the client
//! itself among them), and the SDK's extractors (`Session`, `User`, `Option<User>`,
//! `AccessTokenInfo`) in the same handlers, against the real Portcullis.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::extract::{FromRef, State};
use axum::routing::get;
use portcullis_axum::{AccessTokenInfo, Config, PortcullisAuth, Session, User};
use reqwest::StatusCode;

use crate::app::{SCOPE, WebApp};
use crate::support::{API, EMAIL, Portcullis, browser, location};

/// The app's own state.
#[derive(Clone)]
struct AppState {
    auth: PortcullisAuth,
    greeting: Greeting,
    visits: Visits,
}

#[derive(Clone)]
struct Greeting(&'static str);

#[derive(Clone, Default)]
struct Visits(Arc<AtomicUsize>);

impl FromRef<AppState> for PortcullisAuth {
    fn from_ref(state: &AppState) -> Self {
        state.auth.clone()
    }
}

impl FromRef<AppState> for Greeting {
    fn from_ref(state: &AppState) -> Self {
        state.greeting.clone()
    }
}

impl FromRef<AppState> for Visits {
    fn from_ref(state: &AppState) -> Self {
        state.visits.clone()
    }
}

async fn home(State(greeting): State<Greeting>, user: Option<User>) -> String {
    match user {
        Some(user) => format!("{} {}", greeting.0, user.email().unwrap_or_default()),
        None => format!("{} stranger", greeting.0),
    }
}

async fn account(
    State(visits): State<Visits>,
    State(auth): State<PortcullisAuth>,
    user: User,
    session: Session,
    token: AccessTokenInfo,
) -> String {
    let n = visits.0.fetch_add(1, Ordering::SeqCst) + 1;
    let same = session.access_token().await.ok().map(|t| t.token) == Some(token.token);
    format!(
        "visit {n} of {} at {} (token consistent: {same})",
        user.email().unwrap_or_default(),
        auth.config().client_id
    )
}

#[tokio::test]
async fn extractors_work_in_an_app_with_its_own_state() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let op = Portcullis::start(&base).await;
    let auth = PortcullisAuth::new(
        Config::builder()
            .issuer(op.issuer.clone())
            .client_id(op.web.client_id.clone())
            .client_secret(op.web.secret().to_owned())
            .secret("a-test-secret-that-is-at-least-32-characters")
            .app_base_url(base.clone())
            .scope(SCOPE)
            .audience(API)
            .clock(op.sdk_clock())
            .build()
            .unwrap(),
    )
    .unwrap();
    let state = AppState {
        auth: auth.clone(),
        greeting: Greeting("hello"),
        visits: Visits::default(),
    };
    let visits = state.visits.clone();
    let app: Router = Router::new()
        .route("/", get(home))
        .route("/account", get(account))
        .merge(auth.router::<AppState>())
        .layer(auth.session_layer())
        .with_state(state);
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let app = WebApp { op, base };
    let b = browser();

    let res = b.get(app.url("/")).send().await.unwrap();
    assert_eq!(res.text().await.unwrap(), "hello stranger");
    let res = b.get(app.url("/account")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FOUND);
    assert_eq!(location(&res), "/auth/login?returnTo=%2Faccount");
    assert_eq!(
        visits.0.load(Ordering::SeqCst),
        0,
        "the handler did not run"
    );

    app.sign_in(&b).await;
    let res = b.get(app.url("/")).send().await.unwrap();
    assert_eq!(res.text().await.unwrap(), format!("hello {EMAIL}"));
    let res = b.get(app.url("/account")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.text().await.unwrap(),
        format!(
            "visit 1 of {EMAIL} at {} (token consistent: true)",
            app.op.web.client_id
        )
    );
    let (status, profile) = app.get_json(&b, "/auth/profile").await;
    assert_eq!(status, StatusCode::OK, "{profile}");
    assert_eq!(profile["email"], EMAIL);
}
