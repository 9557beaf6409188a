//! web-app: the guide's server-rendered model in Rust.
//!
//! * `/` — home page with log in / log out;
//! * `/account` — server-rendered, signed-in only; calls the billing API with the user's access
//!   token (refreshed when expired);
//! * `/api/session` — an API route reading the session (401 JSON when signed out).
//!
//! ```sh
//! AUTH0_DOMAIN=https://tenant.example.com/ AUTH0_CLIENT_ID=… AUTH0_CLIENT_SECRET=… \
//! AUTH0_SECRET=$(openssl rand -hex 32) APP_BASE_URL=http://localhost:3000 \
//! AUTH0_AUDIENCE=https://billing.example.com BILLING_API_URL=http://127.0.0.1:3001 \
//!   cargo run -p portcullis-axum --example web-app
//! ```
use axum::response::Html;
use axum::{Json, Router, routing::get};
use portcullis_axum::{PortcullisAuth, Session, User};
use serde_json::{Value, json};

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

async fn home(user: Option<User>) -> Html<String> {
    let body = match user {
        Some(u) => format!(
            "<p>Signed in as {}.</p><p><a href=\"/account\">Your account</a> · <a href=\"/auth/logout\">Log out</a></p>",
            escape(u.name().unwrap_or(u.sub()))
        ),
        None => "<p><a href=\"/auth/login\">Log in</a> · <a href=\"/auth/login?screen_hint=signup\">Sign up</a></p>".into(),
    };
    Html(format!(
        "<!doctype html><title>Web app</title><h1>Web app</h1>{body}"
    ))
}

async fn account(user: User, session: Session) -> Html<String> {
    let billing = match session.access_token().await {
        Ok(token) => {
            let url = format!(
                "{}/api/billing-info",
                std::env::var("BILLING_API_URL").unwrap_or_else(|_| "http://127.0.0.1:3001".into())
            );
            match reqwest::Client::new()
                .get(&url)
                .bearer_auth(&token.token)
                .send()
                .await
            {
                Ok(r) => format!("{} {}", r.status(), r.text().await.unwrap_or_default()),
                Err(e) => format!("billing API unreachable: {e}"),
            }
        }
        Err(e) => format!("no access token: {e}"),
    };
    Html(format!(
        "<!doctype html><title>Account</title><h1>Account</h1><p>{}</p><h2>Billing</h2><pre>{}</pre><p><a href=\"/\">Home</a></p>",
        escape(user.email().unwrap_or(user.sub())),
        escape(&billing)
    ))
}

async fn session_info(user: User) -> Json<Value> {
    Json(json!({"user": user}))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let auth = PortcullisAuth::from_env()?;
    let app = Router::new()
        .route("/", get(home))
        .route("/account", get(account))
        .route("/api/session", get(session_info))
        .merge(auth.router())
        .layer(auth.session_layer());
    let base = auth.config().app_base_url.clone();
    let port = base.port_or_known_default().unwrap_or(3000);
    let listener = tokio::net::TcpListener::bind(format!("127.0.0.1:{port}")).await?;
    println!(
        "web-app listening on http://{} (APP_BASE_URL {base})",
        listener.local_addr()?
    );
    axum::serve(listener, app).await?;
    Ok(())
}
