//! The validated configuration, built once at start-up from a [`FileConfig`].

use super::file::{FileConfig, SecretString};
use portcullis_core::{Issuer, ProviderConfig};
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;

/// Default listen address.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:4000";
/// Default data directory.
pub const DEFAULT_DATA_DIR: &str = "./portcullis-data";
/// The data directory of `portcullis dev` (and of the CLI with `--dev`).
pub const DEV_DATA_DIR: &str = "./portcullis-dev-data";

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable, for a terminal.
    Pretty,
    /// One JSON object per line, for log collectors.
    Json,
}

/// Where the master key comes from.
#[derive(Debug, Clone)]
pub enum MasterKeySource {
    /// Given directly (`PORTCULLIS_MASTER_KEY` or `master_key`).
    Inline(SecretString),
    /// Read from, or created in, this file.
    File(PathBuf),
}

/// Everything the server and the CLI need, validated.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    /// Where Prometheus scrapes `/metrics`; `None`: metrics are off.
    pub metrics_listen: Option<SocketAddr>,
    pub data_dir: PathBuf,
    pub database_url: String,
    pub master_key: MasterKeySource,
    pub tenant_file: Option<PathBuf>,
    pub log_format: LogFormat,
    pub log_level: String,
    /// Proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// The issuer and every lifetime.
    pub provider: ProviderConfig,
    /// SMTP or the outbox, and the sender.
    pub mail: crate::mail::MailConfig,
}

/// Collects every problem, so a person fixes them all in one go.
#[derive(Default)]
struct Problems(Vec<String>);

impl Problems {
    fn add(&mut self, key: &str, message: impl std::fmt::Display) {
        self.0.push(format!("{key}: {message}"));
    }
}

impl Config {
    /// Applies defaults and validates. The error lists every problem (`earlier` ones first,
    /// e.g. settings of the wrong type), one per line, each starting with the setting's name.
    pub fn from_file(file: FileConfig, earlier: Vec<String>) -> Result<Config, String> {
        let mut problems = Problems(earlier);
        if let Some(v) = file.version.filter(|v| *v != 1) {
            problems.add("version", format!("{v} is not supported (only 1 exists)"));
        }
        let listen_text = file.listen.as_deref().unwrap_or(DEFAULT_LISTEN);
        let listen = listen_text
            .trim()
            .parse::<SocketAddr>()
            .unwrap_or_else(|_| {
                problems.add(
                    "listen",
                    format!(
                        "{listen_text:?} is not a socket address like 127.0.0.1:4000 or 0.0.0.0:443"
                    ),
                );
                SocketAddr::from(([127, 0, 0, 1], 4000))
            });
        let metrics_listen = file.metrics_listen.as_deref().and_then(|text| {
            let parsed = text.trim().parse::<SocketAddr>().ok();
            match parsed {
                Some(addr) if addr == listen => problems.add(
                    "metrics_listen",
                    format!("{text:?} is the listen address; metrics need a port of their own"),
                ),
                Some(_) => {}
                None => problems.add(
                    "metrics_listen",
                    format!("{text:?} is not a socket address like 127.0.0.1:9090"),
                ),
            }
            parsed
        });
        let issuer_text = file
            .issuer
            .clone()
            .unwrap_or_else(|| format!("http://localhost:{}/", listen.port()));
        let issuer = Issuer::parse(&issuer_text)
            .map_err(|e| problems.add("issuer", format!("{issuer_text:?}: {e}")))
            .ok();
        let data_dir = PathBuf::from(file.data_dir.as_deref().unwrap_or(DEFAULT_DATA_DIR));
        let database_url = file
            .database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("portcullis.db").display()));
        if !["sqlite:", "postgres://", "postgresql://"]
            .iter()
            .any(|scheme| database_url.starts_with(scheme))
        {
            problems.add(
                "database_url",
                format!(
                    "{:?}: use sqlite://PATH or postgres://USER@HOST/DATABASE",
                    crate::database::redacted(&database_url)
                ),
            );
        }
        let master_key = match (&file.master_key, &file.master_key_file) {
            (Some(key), _) => {
                if let Err(e) = portcullis_core::crypto::MasterKey::from_base64(key.expose()) {
                    problems.add("master_key", e);
                }
                MasterKeySource::Inline(key.clone())
            }
            (None, Some(path)) => MasterKeySource::File(PathBuf::from(path)),
            (None, None) => MasterKeySource::File(data_dir.join("master.key")),
        };
        let log_format = match file.log_format.as_deref().unwrap_or("pretty") {
            "pretty" | "text" => LogFormat::Pretty,
            "json" => LogFormat::Json,
            other => {
                problems.add("log_format", format!("{other:?}: use pretty or json"));
                LogFormat::Pretty
            }
        };
        let log_level = file.log_level.clone().unwrap_or_else(|| "info".to_owned());
        if let Err(e) = check_log_filter(&log_level) {
            problems.add("log_level", e);
        }
        if let Ok(rust_log) = std::env::var("RUST_LOG")
            && let Err(e) = check_log_filter(&rust_log)
        {
            problems.add("RUST_LOG", e);
        }
        let trusted_proxies = parse_proxies(file.trusted_proxies.as_deref(), &mut problems);
        let mail = crate::mail::MailConfig::from_settings(
            file.smtp_url.as_ref(),
            file.mail_from.as_deref(),
            issuer.as_ref(),
        )
        .map_err(|found| found.into_iter().for_each(|(k, m)| problems.add(k, m)))
        .ok();
        let provider =
            issuer.map(|issuer| lifetimes(ProviderConfig::new(issuer), &file, &mut problems));
        match (provider, mail) {
            (Some(provider), Some(mail)) if problems.0.is_empty() => Ok(Config {
                listen,
                metrics_listen,
                data_dir,
                database_url,
                master_key,
                tenant_file: file.tenant_file.map(PathBuf::from),
                log_format,
                log_level,
                trusted_proxies,
                provider,
                mail,
            }),
            _ => {
                let mut text = String::new();
                for p in &problems.0 {
                    let _ = writeln!(text, "  {p}");
                }
                Err(format!("invalid configuration:\n{}", text.trim_end()))
            }
        }
    }
}

/// The levels a log filter directive may name.
const LEVELS: &[&str] = &["trace", "debug", "info", "warn", "error", "off"];

/// Checks a tracing filter (`log_level`, `RUST_LOG`): comma-separated directives, each a level
/// or `target=level`. A bare word that is not a level is refused: tracing would read
/// `verbose` as "everything from the target named verbose" and log nothing at all.
pub fn check_log_filter(text: &str) -> Result<(), String> {
    let directives: Vec<&str> = text
        .split(',')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .collect();
    if directives.is_empty() {
        return Err("is empty; use a level such as info".to_owned());
    }
    for directive in directives {
        let level = match directive.rsplit_once('=') {
            Some((target, _)) if target.trim().is_empty() => {
                return Err(format!("{directive:?} names no target before ="));
            }
            Some((_, level)) => level,
            None => directive,
        };
        if !LEVELS.contains(&level.trim().to_ascii_lowercase().as_str()) {
            return Err(format!(
                "{directive:?} is not a level ({}) or a target=level directive such as portcullis_web=debug",
                LEVELS.join(", ")
            ));
        }
    }
    tracing_subscriber::EnvFilter::try_new(text)
        .map(|_| ())
        .map_err(|e| format!("{text:?}: {e}"))
}

/// Sets and checks the lifetimes: every one positive, codes at most 60 s, idle limits within
/// their absolute limits.
/// A logo address the pages may load: https, or http on a loopback host (for development).
fn check_logo_url(text: &str) -> Result<String, &'static str> {
    let url = url::Url::parse(text.trim()).map_err(|_| "not a URL")?;
    let loopback = match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    match url.scheme() {
        "https" if url.host().is_some() => {}
        "http" if loopback => {}
        _ => return Err("use an https URL (http only on loopback)"),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("no credentials in the URL");
    }
    Ok(url.to_string())
}

fn lifetimes(mut c: ProviderConfig, f: &FileConfig, problems: &mut Problems) -> ProviderConfig {
    let mut set = |key: &str, slot: &mut i64, value: Option<i64>, max: i64| {
        if let Some(v) = value {
            if !(1..=max).contains(&v) {
                problems.add(key, format!("{v} is out of range: use 1 to {max} seconds"));
            }
            *slot = v;
        }
    };
    const YEAR: i64 = 365 * 86_400;
    set("code_lifetime", &mut c.code_lifetime, f.code_lifetime, 60);
    set(
        "signup_lifetime",
        &mut c.signup_lifetime,
        f.signup_lifetime,
        7 * 86_400,
    );
    set(
        "reset_lifetime",
        &mut c.reset_lifetime,
        f.reset_lifetime,
        86_400,
    );
    set(
        "verification_lifetime",
        &mut c.verification_lifetime,
        f.verification_lifetime,
        30 * 86_400,
    );
    set(
        "id_token_lifetime",
        &mut c.id_token_lifetime,
        f.id_token_lifetime,
        30 * 86_400,
    );
    set(
        "userinfo_token_lifetime",
        &mut c.userinfo_token_lifetime,
        f.userinfo_token_lifetime,
        30 * 86_400,
    );
    set(
        "refresh_token_lifetime",
        &mut c.refresh_token_lifetime,
        f.refresh_token_lifetime,
        YEAR,
    );
    set(
        "refresh_token_idle_lifetime",
        &mut c.refresh_token_idle_lifetime,
        f.refresh_token_idle_lifetime,
        YEAR,
    );
    set(
        "session_lifetime",
        &mut c.session_lifetime,
        f.session_lifetime,
        YEAR,
    );
    set(
        "session_idle_lifetime",
        &mut c.session_idle_lifetime,
        f.session_idle_lifetime,
        YEAR,
    );
    set(
        "previous_key_lifetime",
        &mut c.previous_key_lifetime,
        f.previous_key_lifetime,
        YEAR,
    );
    set(
        "failed_login_window",
        &mut c.failed_login_window,
        f.failed_login_window,
        86_400,
    );
    if let Some(n) = f.max_failed_logins {
        c.max_failed_logins = n;
    }
    if let Some(n) = f.max_failed_client_auth {
        c.max_failed_client_auth = n;
    }
    if let Some(on) = f.signup {
        c.signup_enabled = on;
    }
    if let Some(mfa) = &f.mfa {
        match mfa.trim().parse() {
            Ok(policy) => c.mfa = policy,
            Err(why) => problems.add("mfa", why),
        }
    }
    if let Some(days) = f.audit_log_retention_days {
        if (1..=3650).contains(&days) {
            c.audit_log_retention_days = days;
        } else {
            problems.add(
                "audit_log_retention_days",
                format!("{days} is out of range: use 1 to 3650 days"),
            );
        }
    }
    if let Some(on) = f.audit_log_stdout {
        c.audit_log_stdout = on;
    }
    if let Some(n) = f.max_account_mails_per_email {
        c.max_account_mails_per_email = n;
    }
    if let Some(n) = f.max_account_requests_per_ip_per_minute {
        c.max_account_requests_per_ip_per_minute = n;
    }
    if let Some(n) = f.management_api_requests_per_minute {
        if n == 0 {
            problems.add("management_api_requests_per_minute", "must be at least 1");
        } else {
            c.management_api_requests_per_minute = n;
        }
    }
    if let Some(name) = &f.product_name {
        if name.trim().is_empty() || name.chars().count() > 60 {
            problems.add("product_name", "must be 1 to 60 characters");
        } else {
            c.product_name = name.trim().to_owned();
        }
    }
    if let Some(logo) = &f.logo_url {
        match check_logo_url(logo) {
            Ok(url) => c.logo_url = Some(url),
            Err(why) => problems.add("logo_url", format!("{logo:?}: {why}")),
        }
    }
    if let Some(color) = &f.primary_color {
        let color = color.trim();
        let hex = color.strip_prefix('#').unwrap_or("");
        if hex.len() == 6 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            c.primary_color = Some(color.to_ascii_lowercase());
        } else {
            problems.add(
                "primary_color",
                format!("{color:?}: use a hex colour like #3b4fd8"),
            );
        }
    }
    if let Some(decls) = &f.connections {
        match portcullis_core::upstream::declaration::resolve_all(decls, |v| std::env::var(v).ok())
        {
            Ok(list) => c.connections = list.into_iter().map(std::sync::Arc::new).collect(),
            Err(e) => problems.add("connections", e),
        }
    }
    if c.refresh_token_idle_lifetime > c.refresh_token_lifetime {
        problems.add(
            "refresh_token_idle_lifetime",
            "must not exceed refresh_token_lifetime",
        );
    }
    if c.session_idle_lifetime > c.session_lifetime {
        problems.add("session_idle_lifetime", "must not exceed session_lifetime");
    }
    c
}

/// `10.0.0.0/8, 192.168.1.5, ::1`: CIDR ranges or single addresses.
fn parse_proxies(text: Option<&str>, problems: &mut Problems) -> Vec<ipnet::IpNet> {
    let mut nets = Vec::new();
    for item in text
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let net = item.parse::<ipnet::IpNet>().ok().or_else(|| {
            item.parse::<std::net::IpAddr>()
                .ok()
                .map(ipnet::IpNet::from)
        });
        match net {
            Some(net) => nets.push(net),
            None => problems.add(
                "trusted_proxies",
                format!("{item:?} is not an address or CIDR range like 10.0.0.0/8"),
            ),
        }
    }
    nets
}
