//! The development tenant applied by `portcullis dev`: a demo user, a regular web app, a SPA, an
//! M2M app and two APIs, with fixed credentials that are printed (never use them in production).

/// The development tenant, as a tenant file (TOML).
pub const DEV_TENANT_TOML: &str = include_str!("dev_tenant.toml");

/// The demo user's email.
pub const DEV_USER_EMAIL: &str = "demo@example.com";
/// The demo user's password (printed by `portcullis dev`).
pub const DEV_USER_PASSWORD: &str = "demo-password";
/// The regular web application.
pub const DEV_WEB_CLIENT_ID: &str = "demo-web";
/// Its fixed development secret.
pub const DEV_WEB_CLIENT_SECRET: &str = "demo-web-secret-for-development-only-0000";
/// The single-page application (public client).
pub const DEV_SPA_CLIENT_ID: &str = "demo-spa";
/// The machine-to-machine application.
pub const DEV_M2M_CLIENT_ID: &str = "demo-m2m";
/// Its fixed development secret.
pub const DEV_M2M_CLIENT_SECRET: &str = "demo-m2m-secret-for-development-only-0000";
/// The APIs: `(identifier, scope)`.
pub const DEV_APIS: &[(&str, &str)] = &[
    ("https://api.tv-shows.example", "read:shows"),
    ("https://api.billing.example", "read:billing"),
];
