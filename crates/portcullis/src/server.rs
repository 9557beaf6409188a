//! Running the provider: build it from an opened tenant and serve HTTP until ctrl-c or SIGTERM.

use crate::context::Tenant;
use anyhow::Context as _;
use portcullis_core::Provider;
use portcullis_core::clock::SystemClock;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

/// How often each replica reloads signing keys and purges expired records.
const MAINTENANCE_EVERY: Duration = Duration::from_secs(60);

/// Builds the provider (creating the first signing keys if needed).
pub async fn provider(tenant: &Tenant) -> anyhow::Result<Provider> {
    Provider::new(
        tenant.store.clone(),
        tenant.config.provider.clone(),
        Arc::new(SystemClock),
        &tenant.master_key,
    )
    .await
    .context("loading the signing keys")
}

/// Binds the configured address, with a readable error.
pub async fn bind(addr: SocketAddr) -> anyhow::Result<TcpListener> {
    TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr} (is another process using the port?)"))
}

/// Serves `provider` on every listener until ctrl-c or SIGTERM, then finishes in-flight
/// requests.
pub async fn run(provider: Provider, listeners: Vec<TcpListener>) -> anyhow::Result<()> {
    let maintenance = tokio::spawn(portcullis_core::maintenance::run(
        provider.clone(),
        MAINTENANCE_EVERY,
    ));
    let app = portcullis_web::router(provider);
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut servers = tokio::task::JoinSet::new();
    for listener in listeners {
        let mut stop = stop_rx.clone();
        let service = app
            .clone()
            .into_make_service_with_connect_info::<SocketAddr>();
        servers.spawn(async move {
            axum::serve(listener, service)
                .with_graceful_shutdown(async move {
                    let _ = stop.wait_for(|stopped| *stopped).await;
                })
                .await
        });
    }
    tokio::spawn(async move {
        shutdown_signal().await;
        let _ = stop_tx.send(true);
    });
    let mut result = Ok(());
    while let Some(joined) = servers.join_next().await {
        match joined {
            Ok(Ok(())) => {}
            Ok(Err(e)) => result = Err(anyhow::Error::new(e).context("serving HTTP")),
            Err(e) => result = Err(anyhow::Error::new(e).context("the HTTP server task failed")),
        }
    }
    maintenance.abort();
    tracing::info!("stopped");
    result
}

/// Resolves on ctrl-c or (on Unix) SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down");
}
