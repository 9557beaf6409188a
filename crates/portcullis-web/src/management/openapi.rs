//! The OpenAPI document of the Management API, generated from the handlers' `#[utoipa::path]`
//! annotations and served at `/api/v2/openapi.json`.

use super::error::ErrorBody;
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{OpenApi as Document, ServerBuilder};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Portcullis Management API",
        description = "Auth0-shaped Management API. Authenticate with an access token for the audience `{issuer}api/v2/` obtained with `client_credentials`; each operation names the scopes it accepts.",
    ),
    components(schemas(ErrorBody))
)]
struct Base;

/// The document before the endpoints are added.
pub fn base() -> Document {
    Base::openapi()
}

/// Adds what the handlers do not say: the base path and the bearer scheme.
pub fn finish(mut document: Document) -> Document {
    document.servers = Some(vec![ServerBuilder::new().url("/api/v2").build()]);
    let components = document.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .bearer_format("JWT")
                .build(),
        ),
    );
    document
}
