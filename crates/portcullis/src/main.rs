//! The `portcullis` binary: the provider (`serve`, `dev`) and the tenant-management CLI.

mod cli;
mod commands;
mod config;
mod context;
mod data_dir;
mod database;
mod dev;
mod mail;
mod master_key;
mod metrics;
mod output;
mod server;
mod suggest;
mod telemetry;
mod tenant_file;
mod views;

use anyhow::bail;
use clap::Parser as _;
use cli::{Cli, Command};
use context::{Access, Tenant};
use std::process::ExitCode;

/// mimalloc rather than the C library's malloc: glibc keeps what each thread freed in per-thread
/// arenas, so every blocking thread that once ran argon2id (19 MiB a hash) kept its block and the
/// resident size climbed with the threads; mimalloc returns freed pages to the system (issue #12,
/// measured in bench/README.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The runtime, as `#[tokio::main]` builds it, except that an idle blocking-pool thread exits
/// after one second instead of ten. Password hashing runs there: each thread that hashed keeps
/// argon2id's 19 MiB block in its allocator heap until the thread allocates again or exits, so
/// after a burst of sign-ins the resident size stayed ~40 MB higher; with threads that exit soon
/// it comes back down (bench/README.md). Creating a thread again costs microseconds against a
/// hash's ~20 ms.
fn main() -> ExitCode {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_keep_alive(std::time::Duration::from_secs(1))
        .build();
    match runtime {
        Ok(runtime) => runtime.block_on(cli_main()),
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn cli_main() -> ExitCode {
    let cli = Cli::parse();
    for warning in
        config::unknown_variables(std::env::vars_os().filter_map(|(k, _)| k.into_string().ok()))
    {
        eprintln!("{warning}");
    }
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
    let command = match cli.command {
        Command::Dev(args) => return dev::run(config_path, args).await,
        Command::Serve if cli.dev => {
            bail!(
                "--dev picks the data of `portcullis dev` for management commands; to run that provider, use `portcullis dev`"
            )
        }
        command => command,
    };
    let config = if cli.dev {
        config::load_dev(config_path)
    } else {
        config::load(config_path)
    }
    .map_err(anyhow::Error::msg)?;
    let as_json = cli.json;
    match command {
        Command::Serve => serve(config).await,
        Command::Apply { file } => {
            let parsed = tenant_file::read(&file)?;
            tenant_file::check_before_creating(&config, &parsed).await?;
            let tenant = Tenant::open(config, Access::ReadWrite).await?;
            let result = commands::apply::run(&tenant, &parsed, as_json).await;
            tenant.database.close().await;
            result
        }
        Command::Migrate => migrate(&config, as_json).await,
        Command::Backup { file, force } => {
            commands::backup::run(&config, &file, force, as_json).await
        }
        command => {
            let access = if command.is_read_only() {
                Access::ReadOnly
            } else {
                Access::ReadWrite
            };
            let tenant = Tenant::open(config, access).await?;
            let result = match command {
                Command::Users(c) => commands::users::run(&tenant, c, as_json).await,
                Command::Apps(c) => commands::apps::run(&tenant, c, as_json).await,
                Command::Apis(c) => commands::apis::run(&tenant, c, as_json).await,
                Command::Grants(c) => commands::grants::run(&tenant, c, as_json).await,
                Command::Roles(c) => commands::roles::run(&tenant, c, as_json).await,
                Command::Keys(c) => commands::keys::run(&tenant, c, as_json).await,
                Command::Mail(c) => commands::mail::run(&tenant, c, as_json).await,
                Command::Connections(c) => commands::connections::run(&tenant, c, as_json).await,
                Command::Logs(args) => commands::logs::run(&tenant, args, as_json).await,
                Command::Import(c) => commands::import::run(&tenant, c, as_json).await,
                Command::Serve
                | Command::Migrate
                | Command::Backup { .. }
                | Command::Dev(_)
                | Command::Apply { .. } => Ok(()),
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
    let tenant_file = match &config.tenant_file {
        Some(path) => {
            let file = tenant_file::read(path)?;
            tenant_file::check_before_creating(&config, &file).await?;
            Some((path.display().to_string(), file))
        }
        None => None,
    };
    let listener = server::bind(config.listen).await?;
    let metrics_listener = match config.metrics_listen {
        Some(addr) => Some(server::bind(addr).await?),
        None => None,
    };
    let tenant = Tenant::open(config, Access::ReadWrite).await?;
    let metrics_server = match metrics_listener {
        Some(listener) => {
            let handle = metrics::install()?;
            println!("metrics on http://{}/metrics", listener.local_addr()?);
            Some(tokio::spawn(metrics::serve(
                listener,
                handle,
                tenant.database.clone(),
            )))
        }
        None => None,
    };
    if let Some((path, file)) = &tenant_file {
        let report = tenant_file::apply_file(&tenant, file).await?;
        tenant_file::log_report(&report, path);
        tenant_file::print_generated_secrets(&report);
    }
    let provider = server::provider(&tenant).await?;
    let mail = mail::transport(&tenant.config)?;
    let addr = listener.local_addr()?;
    println!(
        "listening on http://{addr} issuer {}",
        tenant.config.provider.issuer
    );
    let served = server::run(
        provider,
        server::web_options(&tenant.config),
        vec![listener],
        mail,
    )
    .await;
    if let Some(task) = metrics_server {
        task.abort();
    }
    // Requests in flight have finished: hand the connections back to the database.
    tenant.database.close().await;
    served
}
