//! tv-shows-api: `GET /api/my/shows`, which needs the `read:shows` scope (the guide's MyShows).
//! It answers the same JSON as `examples/apis-express/tv-shows.mjs`, so the React SPA
//! (`examples/spa-react`) can use either.
//!
//! ```sh
//! ISSUER_BASE_URL=http://localhost:4000/ AUDIENCE=https://api.tv-shows.example \
//!   PORT=4001 CORS_ORIGINS=http://localhost:5173 \
//!   cargo run -p portcullis-bearer --example tv-shows-api
//! ```
use axum::http::{HeaderValue, Method, header};
use axum::{Json, Router, routing::get};
use portcullis_bearer::{Authorized, Guard, Validator, requirement};
use serde_json::{Value, json};
use tower_http::cors::{AllowOrigin, CorsLayer};

requirement!(ReadShows = Guard::all_scopes(["read:shows"]));

/// The signed-in user's subscriptions (`auth` proves a valid token with `read:shows`).
async fn my_shows(_auth: Authorized<ReadShows>) -> Json<Value> {
    Json(json!([
        {"id": 1, "title": "The Expanse"},
        {"id": 2, "title": "Severance"},
        {"id": 3, "title": "Halt and Catch Fire"},
        {"id": 4, "title": "Mr. Robot"},
    ]))
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
    let origins = env(&["CORS_ORIGINS"]).unwrap_or_else(|| "http://localhost:5173".into());
    let origins: Vec<HeaderValue> = origins
        .split(',')
        .filter(|o| !o.is_empty())
        .map(|o| HeaderValue::from_str(o.trim()))
        .collect::<Result<_, _>>()?;
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([Method::GET])
        .allow_headers([header::AUTHORIZATION])
        .expose_headers([header::WWW_AUTHENTICATE]);
    let app = Router::new()
        .route("/api/my/shows", get(my_shows))
        .with_state(validator)
        .layer(cors);
    let port = env(&["PORT"]).unwrap_or_else(|| "4001".into());
    let listener = tokio::net::TcpListener::bind(format!("127.0.0.1:{port}")).await?;
    println!(
        "tv-shows-api listening on http://{}",
        listener.local_addr()?
    );
    axum::serve(listener, app).await?;
    Ok(())
}
