//! billing-api: `GET /api/billing-info`, protected by a bearer-token layer.
//!
//! ```sh
//! ISSUER_BASE_URL=https://tenant.example.com/ AUDIENCE=https://billing.example.com \
//!   PORT=3001 cargo run -p portcullis-bearer --example billing-api
//! ```
use axum::{Json, Router, routing::get};
use portcullis_bearer::{Bearer, Validator};
use serde_json::{Value, json};

async fn billing_info(Bearer(token): Bearer) -> Json<Value> {
    Json(json!({
        "customer": token.subject,
        "plan": "pro",
        "balance_cents": 4200,
        "scopes": token.scopes,
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
        .realm("billing")
        .build()?;
    let app = Router::new()
        .route("/api/billing-info", get(billing_info))
        .layer(validator.layer())
        .with_state(validator);
    let port = env(&["PORT"]).unwrap_or_else(|| "3001".into());
    let listener = tokio::net::TcpListener::bind(format!("127.0.0.1:{port}")).await?;
    println!("billing-api listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}
