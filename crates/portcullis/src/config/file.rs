//! The configuration file schema: what `portcullis.toml` and the `PORTCULLIS_*` environment
//! variables may set. Every key is optional; [`super::Config::from_file`] fills in defaults and
//! validates. `docs/configuration.md` documents each key.

use serde::Deserialize;
use std::fmt;

/// The raw settings, merged from the file and the environment.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// Format version; only `1` exists.
    pub version: Option<u32>,
    /// The issuer URL (`https://id.example.com/`). Default: `http://localhost:<listen port>/`.
    pub issuer: Option<String>,
    /// The socket address to listen on. Default `127.0.0.1:4000`.
    pub listen: Option<String>,
    /// A second socket address serving only Prometheus `GET /metrics`. Default: none (no
    /// metrics are collected).
    pub metrics_listen: Option<String>,
    /// Where the database and the master key live. Default `./portcullis-data`.
    pub data_dir: Option<String>,
    /// Default `sqlite://<data_dir>/portcullis.db`.
    pub database_url: Option<String>,
    /// The master key (base64 of 32 bytes). Prefer the environment or the key file.
    pub master_key: Option<SecretString>,
    /// Where the master key is kept when `master_key` is not set. Default `<data_dir>/master.key`.
    pub master_key_file: Option<String>,
    /// A tenant file applied at start-up.
    pub tenant_file: Option<String>,
    /// `pretty` (default) or `json`.
    pub log_format: Option<String>,
    /// A tracing filter, e.g. `info` or `portcullis=debug,info`. Default `info`.
    pub log_level: Option<String>,
    /// Proxies whose `X-Forwarded-For` names the client: comma-separated addresses or CIDR
    /// ranges (`10.0.0.0/8, 192.168.1.5`). Default: none (the header is ignored).
    pub trusted_proxies: Option<String>,

    pub code_lifetime: Option<i64>,
    pub id_token_lifetime: Option<i64>,
    pub userinfo_token_lifetime: Option<i64>,
    pub refresh_token_lifetime: Option<i64>,
    pub refresh_token_idle_lifetime: Option<i64>,
    pub session_lifetime: Option<i64>,
    pub session_idle_lifetime: Option<i64>,
    pub previous_key_lifetime: Option<i64>,
    pub max_failed_logins: Option<u32>,
    pub failed_login_window: Option<i64>,
    pub max_failed_client_auth: Option<u32>,
    pub signup: Option<bool>,
    pub signup_lifetime: Option<i64>,
    /// Multi-factor authentication: `off`, `optional` (default) or `required`; the tenant
    /// file's `[tenant] mfa` takes precedence.
    pub mfa: Option<String>,
    pub reset_lifetime: Option<i64>,
    pub verification_lifetime: Option<i64>,
    pub max_account_mails_per_email: Option<u32>,
    pub max_account_requests_per_ip_per_minute: Option<u32>,
    pub management_api_requests_per_minute: Option<u32>,
    pub product_name: Option<String>,
    /// A logo shown instead of the built-in one: https, or http on loopback.
    pub logo_url: Option<String>,
    /// The accent colour of the pages, `#rrggbb`.
    pub primary_color: Option<String>,
    /// Days audit log events are kept (1–3650, default 30).
    pub audit_log_retention_days: Option<i64>,
    /// Also print every audit log event to standard output as a JSON line (default false).
    pub audit_log_stdout: Option<bool>,

    /// Where mail is sent: `smtp://127.0.0.1:25`, `smtp://host:587?tls=starttls`,
    /// `smtps://user:pass@host:465`. Unset: `.eml` files in `<data_dir>/outbox/`.
    pub smtp_url: Option<SecretString>,
    /// The `From` of every mail. Default `Portcullis <no-reply@ISSUER_HOST>`.
    pub mail_from: Option<String>,

    /// Upstream connections (`[[connections]]` tables; the file only, not the environment).
    pub connections: Option<Vec<portcullis_core::upstream::ConnectionDecl>>,
}

/// Every key of [`FileConfig`], i.e. every `PORTCULLIS_<KEY>` environment variable read.
pub const KEYS: &[&str] = &[
    "version",
    "issuer",
    "listen",
    "metrics_listen",
    "data_dir",
    "database_url",
    "master_key",
    "master_key_file",
    "tenant_file",
    "log_format",
    "log_level",
    "trusted_proxies",
    "code_lifetime",
    "id_token_lifetime",
    "userinfo_token_lifetime",
    "refresh_token_lifetime",
    "refresh_token_idle_lifetime",
    "session_lifetime",
    "session_idle_lifetime",
    "previous_key_lifetime",
    "max_failed_logins",
    "failed_login_window",
    "max_failed_client_auth",
    "signup",
    "signup_lifetime",
    "mfa",
    "reset_lifetime",
    "verification_lifetime",
    "max_account_mails_per_email",
    "max_account_requests_per_ip_per_minute",
    "management_api_requests_per_minute",
    "product_name",
    "logo_url",
    "primary_color",
    "audit_log_retention_days",
    "audit_log_stdout",
    "smtp_url",
    "mail_from",
];

/// A string that is never printed: `Debug` shows `<redacted>`.
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct SecretString(String);

impl SecretString {
    pub fn new(secret: String) -> SecretString {
        SecretString(secret)
    }

    /// The secret itself.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}
