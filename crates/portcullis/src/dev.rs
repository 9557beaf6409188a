//! `portcullis dev`: a provider on localhost with the development tenant applied, and a printed
//! guide to using it.

use crate::cli::DevArgs;
use crate::config::{self, Config};
use crate::context::{Access, Tenant};
use crate::output::list;
use crate::{server, telemetry, tenant_file};
use anyhow::Context as _;
use portcullis_core::admin::apps::type_label;
use portcullis_core::admin::dev::*;
use portcullis_store::ApplicationType;
use std::net::SocketAddr;
use std::path::Path;
use tokio::net::TcpListener;

/// Files `--fresh` deletes from the development data directory.
const DEV_FILES: &[&str] = &[
    "portcullis.db",
    "portcullis.db-wal",
    "portcullis.db-shm",
    "master.key",
];

pub async fn run(config_path: Option<&Path>, args: DevArgs) -> anyhow::Result<()> {
    let (mut file, problems) = config::load_file(config_path).map_err(anyhow::Error::msg)?;
    if args.fresh {
        for name in DEV_FILES {
            let path = args.data_dir.join(name);
            match std::fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e).with_context(|| format!("deleting {}", path.display())),
            }
        }
    }
    let listener = server::bind(SocketAddr::from(([127, 0, 0, 1], args.port))).await?;
    let port = listener
        .local_addr()
        .context("reading the bound port")?
        .port();
    let mut listeners = vec![listener];
    // `localhost` may resolve to ::1 first (Node.js does): answer there too when possible.
    if let Ok(v6) = TcpListener::bind(SocketAddr::from(([0, 0, 0, 0, 0, 0, 0, 1], port))).await {
        listeners.push(v6);
    }

    let ignored: Vec<&str> = [
        ("listen", file.listen.take().is_some()),
        ("metrics_listen", file.metrics_listen.take().is_some()),
        ("data_dir", file.data_dir.take().is_some()),
        ("database_url", file.database_url.take().is_some()),
        ("master_key", file.master_key.take().is_some()),
        ("master_key_file", file.master_key_file.take().is_some()),
        ("tenant_file", file.tenant_file.take().is_some()),
    ]
    .into_iter()
    .filter_map(|(key, was_set)| was_set.then_some(key))
    .collect();
    if !ignored.is_empty() {
        eprintln!(
            "note: `portcullis dev` ignores {} (it uses --port and --data-dir, and its own tenant)",
            ignored.join(", ")
        );
    }
    file.listen = Some(format!("127.0.0.1:{port}"));
    // A configured issuer wins (e.g. the public URL of a tunnel to this machine).
    file.issuer
        .get_or_insert_with(|| format!("http://localhost:{port}/"));
    file.data_dir = Some(args.data_dir.display().to_string());
    let config = Config::from_file(file, problems).map_err(anyhow::Error::msg)?;
    telemetry::init(config.log_format, &config.log_level);

    let tenant = Tenant::open(config, Access::ReadWrite).await?;
    let dev_tenant = tenant_file::parse(DEV_TENANT_TOML, "the development tenant")?;
    let report = tenant_file::apply_file(&tenant, &dev_tenant).await?;
    tenant_file::log_report(&report, "the development tenant");
    let provider = server::provider(&tenant).await?;
    let mail = crate::mail::transport(&tenant.config)?;
    print_banner(&tenant).await?;
    tracing::info!(issuer = %tenant.config.provider.issuer, "listening on http://localhost:{port}");
    server::run(
        provider,
        server::web_options(&tenant.config),
        listeners,
        mail,
    )
    .await
}

async fn print_banner(tenant: &Tenant) -> anyhow::Result<()> {
    let issuer = tenant.config.provider.issuer.as_str();
    let store = tenant.store();
    let mut out = String::new();
    let mut line = |s: String| {
        out.push_str(&s);
        out.push('\n');
    };
    line(String::new());
    line(
        "Portcullis development tenant (fixed demo credentials: never use them in production)"
            .into(),
    );
    line(String::new());
    line(format!("  Issuer       {issuer}"));
    line(format!(
        "  Discovery    {issuer}.well-known/openid-configuration"
    ));
    line(format!(
        "  Data         {} (start over with --fresh)",
        tenant.config.data_dir.display()
    ));
    line(match &tenant.config.mail.smtp {
        Some(url) => format!("  Mail         sent through {url}"),
        None => format!(
            "  Mail         written to {} (links also logged)",
            tenant.config.data_dir.join("outbox").display()
        ),
    });
    line(String::new());
    line(format!(
        "  Demo user    {DEV_USER_EMAIL} / {DEV_USER_PASSWORD}"
    ));
    line(String::new());
    line("  Applications".into());
    let mut clients = store.list_clients().await?;
    clients.sort_by_key(|c| ApplicationType::ALL.iter().position(|t| *t == c.app_type));
    for c in clients {
        let secret = match c.client_id.as_str() {
            DEV_WEB_CLIENT_ID => DEV_WEB_CLIENT_SECRET.to_owned(),
            DEV_M2M_CLIENT_ID => DEV_M2M_CLIENT_SECRET.to_owned(),
            _ if c.secret_hash.is_some() => "(set; stored only as a hash)".to_owned(),
            _ => "none (public client: PKCE)".to_owned(),
        };
        line(format!(
            "    {}  ({}, {})",
            c.client_id,
            c.name,
            type_label(c.app_type)
        ));
        line(format!("      client_secret  {secret}"));
        if !c.redirect_uris.is_empty() {
            line(format!("      callbacks      {}", list(&c.redirect_uris)));
            line(format!(
                "      logout URLs    {}",
                list(&c.post_logout_redirect_uris)
            ));
            line(format!("      web origins    {}", list(&c.web_origins)));
        }
    }
    line(String::new());
    line("  APIs (audiences)".into());
    for a in store.list_apis().await? {
        let scopes: Vec<&str> = a.scopes.iter().map(|s| s.value.as_str()).collect();
        line(format!("    {}  scopes: {}", a.identifier, list(&scopes)));
    }
    for g in store.list_client_grants().await? {
        line(format!(
            "    {} may call {} with {}",
            g.client_id,
            g.audience,
            list(&g.scopes)
        ));
    }
    line(String::new());
    line("  nextjs-auth0 (.env.local), app on http://localhost:3000:".into());
    line(format!("    AUTH0_DOMAIN={}", issuer.trim_end_matches('/')));
    line(format!(
        "    AUTH0_ISSUER_BASE_URL={}",
        issuer.trim_end_matches('/')
    ));
    line(format!("    AUTH0_CLIENT_ID={DEV_WEB_CLIENT_ID}"));
    line(format!("    AUTH0_CLIENT_SECRET={DEV_WEB_CLIENT_SECRET}"));
    line("    AUTH0_SECRET=<output of: openssl rand -hex 32>".into());
    line("    APP_BASE_URL=http://localhost:3000".into());
    line("    AUTH0_BASE_URL=http://localhost:3000".into());
    line(format!(
        "    AUTH0_AUDIENCE={}",
        DEV_APIS.first().map(|a| a.0).unwrap_or_default()
    ));
    line(String::new());
    line("  Machine-to-machine token:".into());
    line(format!(
        "    curl -s {issuer}oauth/token -d grant_type=client_credentials -d client_id={DEV_M2M_CLIENT_ID} -d client_secret={DEV_M2M_CLIENT_SECRET} -d audience=https://api.billing.example"
    ));
    line(String::new());
    line("  Next steps".into());
    line("    1. Sign in as the demo user: open".into());
    line(format!("       {}", sign_in_url(issuer)));
    line("       (you land on http://localhost:3000/callback?code=…: nothing listens there until step 2)".into());
    line("    2. Run the demo web app on http://localhost:3000 (Rust; in another terminal), open it, click Log in:".into());
    line(format!(
        "       AUTH0_DOMAIN={} AUTH0_CLIENT_ID={DEV_WEB_CLIENT_ID} AUTH0_CLIENT_SECRET={DEV_WEB_CLIENT_SECRET} AUTH0_SECRET=$(openssl rand -hex 32) APP_BASE_URL=http://localhost:3000 cargo run -p portcullis-axum --example web-app",
        issuer.trim_end_matches('/')
    ));
    line(String::new());
    print!("{out}");
    Ok(())
}

/// The authorization request that signs the demo user in to `demo-web` (the README's step 2).
pub fn sign_in_url(issuer: &str) -> String {
    format!(
        "{issuer}authorize?client_id={DEV_WEB_CLIENT_ID}&response_type=code&redirect_uri=http://localhost:3000/callback&scope=openid%20profile%20email&state=hello"
    )
}
