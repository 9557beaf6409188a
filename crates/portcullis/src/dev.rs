//! `portcullis dev`: a provider on localhost with the development tenant applied, and a printed
//! guide to using it.

use crate::cli::DevArgs;
use crate::config::{self, Config};
use crate::context::Tenant;
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
    let mut file = config::load_file(config_path).map_err(anyhow::Error::msg)?;
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

    file.listen = Some(format!("127.0.0.1:{port}"));
    file.issuer = Some(format!("http://localhost:{port}/"));
    file.data_dir = Some(args.data_dir.display().to_string());
    file.database_url = None;
    file.master_key = None;
    file.master_key_file = None;
    file.tenant_file = None;
    let config = Config::from_file(file).map_err(anyhow::Error::msg)?;
    telemetry::init(config.log_format, &config.log_level);

    let tenant = Tenant::open(config).await?;
    let dev_tenant = tenant_file::parse(DEV_TENANT_TOML, "the development tenant")?;
    let report = tenant_file::apply_file(&tenant, &dev_tenant).await?;
    tenant_file::log_report(&report, "the development tenant");
    let provider = server::provider(&tenant).await?;
    let mail = crate::mail::transport(&tenant.config)?;
    print_banner(&tenant, port).await?;
    tracing::info!(issuer = %tenant.config.provider.issuer, "listening on http://localhost:{port}");
    server::run(
        provider,
        server::web_options(&tenant.config),
        listeners,
        mail,
    )
    .await
}

async fn print_banner(tenant: &Tenant, port: u16) -> anyhow::Result<()> {
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
    line(format!("    AUTH0_DOMAIN=http://localhost:{port}"));
    line(format!("    AUTH0_ISSUER_BASE_URL=http://localhost:{port}"));
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
    print!("{out}");
    Ok(())
}
