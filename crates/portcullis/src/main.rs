//! The `portcullis` binary: the provider (`serve`, `dev`) and the tenant-management CLI.

mod cli;
mod commands;
mod config;
mod context;
mod database;
mod dev;
mod master_key;
mod output;
mod server;
mod telemetry;
mod tenant_file;
mod views;

use clap::Parser as _;
use cli::{Cli, Command};
use context::Tenant;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let config_path = cli.config.as_deref();
    if let Command::Dev(args) = cli.command {
        return dev::run(config_path, args).await;
    }
    let config = config::load(config_path).map_err(anyhow::Error::msg)?;
    let as_json = cli.json;
    match cli.command {
        Command::Serve => serve(config).await,
        Command::Migrate => migrate(&config, as_json).await,
        Command::Dev(_) => Ok(()),
        command => {
            let tenant = Tenant::open(config).await?;
            let result = match command {
                Command::Apply { file } => commands::apply::run(&tenant, &file, as_json).await,
                Command::Users(c) => commands::users::run(&tenant, c, as_json).await,
                Command::Apps(c) => commands::apps::run(&tenant, c, as_json).await,
                Command::Apis(c) => commands::apis::run(&tenant, c, as_json).await,
                Command::Grants(c) => commands::grants::run(&tenant, c, as_json).await,
                Command::Keys(c) => commands::keys::run(&tenant, c, as_json).await,
                Command::Serve | Command::Migrate | Command::Dev(_) => Ok(()),
            };
            tenant.database.close().await;
            result
        }
    }
}

/// `portcullis migrate`: for operators who run migrations as a separate step (before rolling
/// out replicas). Needs only `database_url`, not the master key.
async fn migrate(config: &config::Config, as_json: bool) -> anyhow::Result<()> {
    let db = database::open_store(&config.database_url).await?;
    let version = db.schema_version().await;
    db.close().await;
    let version = version?;
    let url = database::redacted(&config.database_url);
    if as_json {
        let out = serde_json::json!({ "database": url, "schema_version": version });
        println!("{out}");
    } else {
        println!("{url}: migrated, at schema migration {version}");
    }
    Ok(())
}

/// `portcullis serve`.
async fn serve(config: config::Config) -> anyhow::Result<()> {
    telemetry::init(config.log_format, &config.log_level);
    let listener = server::bind(config.listen).await?;
    let tenant = Tenant::open(config).await?;
    if let Some(path) = &tenant.config.tenant_file {
        let file = tenant_file::read(path)?;
        let report = tenant_file::apply_file(&tenant, &file).await?;
        tenant_file::log_report(&report, &path.display().to_string());
        tenant_file::print_generated_secrets(&report);
    }
    let provider = server::provider(&tenant).await?;
    let addr = listener.local_addr()?;
    println!(
        "listening on http://{addr} issuer {}",
        tenant.config.provider.issuer
    );
    let served = server::run(
        provider,
        server::web_options(&tenant.config),
        vec![listener],
    )
    .await;
    // Requests in flight have finished: hand the connections back to the database.
    tenant.database.close().await;
    served
}
