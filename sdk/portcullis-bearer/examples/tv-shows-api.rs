//! tv-shows-api: `GET /api/my/shows`, which needs the `read:shows` scope (the guide's MyShows).
//!
//! ```sh
//! ISSUER_BASE_URL=https://tenant.example.com/ AUDIENCE=https://tv-shows.example.com \
//!   PORT=3002 cargo run -p portcullis-bearer --example tv-shows-api
//! ```
use axum::{Json, Router, routing::get};
use portcullis_bearer::{Authorized, Guard, Validator, requirement};
use serde_json::{Value, json};

requirement!(ReadShows = Guard::all_scopes(["read:shows"]));

async fn my_shows(auth: Authorized<ReadShows>) -> Json<Value> {
    let token = auth.into_inner();
    Json(json!({
        "user": token.subject,
        "shows": [
            {"title": "The Expanse", "seasons": 6},
            {"title": "Severance", "seasons": 2},
        ],
    }))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let env = |names: &[&str]| names.iter().find_map(|n| std::env::var(n).ok());
    let issuer = env(&["ISSUER_BASE_URL", "PORTCULLIS_ISSUER"]).ok_or("set ISSUER_BASE_URL")?;
    let audience = env(&["AUDIENCE"]).ok_or("set AUDIENCE")?;
    let validator = Validator::builder()
        .issuer(issuer)
        .audience(audience)
        .build()?;
    let app = Router::new()
        .route("/api/my/shows", get(my_shows))
        .layer(axum::Extension(validator));
    let port = env(&["PORT"]).unwrap_or_else(|| "3002".into());
    let listener = tokio::net::TcpListener::bind(format!("127.0.0.1:{port}")).await?;
    println!(
        "tv-shows-api listening on http://{}",
        listener.local_addr()?
    );
    axum::serve(listener, app).await?;
    Ok(())
}
