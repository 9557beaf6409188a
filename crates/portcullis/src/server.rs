//! Running the provider: build it from an opened tenant and serve HTTP until ctrl-c or SIGTERM.

use crate::context::Tenant;
use anyhow::Context as _;
use portcullis_core::Provider;
use portcullis_core::clock::SystemClock;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

/// How often each replica reloads the signing keys: a rotation made by the CLI or another
/// replica is used and published everywhere within this delay (issue #11: 10 seconds).
const RELOAD_KEYS_EVERY: Duration = Duration::from_secs(5);
/// How often each replica purges expired records.
const PURGE_EVERY: Duration = Duration::from_secs(60);

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

/// The HTTP layer's settings from the configuration.
pub fn web_options(config: &crate::config::Config) -> portcullis_web::WebOptions {
    portcullis_web::WebOptions {
        trusted_proxies: config.trusted_proxies.clone(),
        metrics: config.metrics_listen.is_some(),
    }
}

/// How long shutdown waits for a mail delivery round in progress. Whatever it leaves is still
/// queued in the database (a claimed mail is retried once its lease ends).
const MAIL_STOP_GRACE: Duration = Duration::from_secs(10);

/// How long shutdown waits for the audit log's queued events to be written.
const AUDIT_FLUSH_GRACE: Duration = Duration::from_secs(5);

/// Serves `provider` on every listener until ctrl-c or SIGTERM, then finishes in-flight
/// requests; delivers queued mail through `mail` meanwhile.
pub async fn run(
    provider: Provider,
    options: portcullis_web::WebOptions,
    listeners: Vec<TcpListener>,
    mail: Arc<dyn portcullis_core::mail::MailTransport>,
) -> anyhow::Result<()> {
    portcullis_core::token::password::warn_if_enabled(&provider)
        .await
        .context("listing the applications allowed the password grant")?;
    // Passkeys need a relying party id, the issuer's host: say once why there is none.
    match portcullis_core::mfa::passkey::relying_party_of(&provider) {
        Ok(_) => tracing::info!(
            rp_id = provider.config.issuer.host().unwrap_or_default(),
            origin = %provider.config.issuer.origin(),
            "passkeys available"
        ),
        Err(e) => tracing::warn!("{e}"),
    }
    let maintenance = tokio::spawn(portcullis_core::maintenance::run(
        provider.clone(),
        RELOAD_KEYS_EVERY,
        PURGE_EVERY,
    ));
    let (mail_stop, mail_stop_rx) = tokio::sync::watch::channel(false);
    let mut mailer = tokio::spawn(crate::mail::worker(provider.clone(), mail, mail_stop_rx));
    let audit = provider.audit.clone();
    let app = portcullis_web::router_with(provider, options);
    // Install the signal handlers before accepting connections, so a SIGTERM that arrives as
    // soon as the server answers is never missed.
    let shutdown = shutdown_signal();
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
        shutdown.await;
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
    // Events recorded by the last requests may still be queued for the audit writer.
    if tokio::time::timeout(AUDIT_FLUSH_GRACE, audit.flush())
        .await
        .is_err()
    {
        tracing::warn!("stopped before the audit log's last events were written");
    }
    let _ = mail_stop.send(true);
    if tokio::time::timeout(MAIL_STOP_GRACE, &mut mailer)
        .await
        .is_err()
    {
        mailer.abort();
        tracing::warn!("stopped mail delivery mid-round; the rest stays queued");
    }
    tracing::info!("stopped");
    result
}

/// Installs the ctrl-c and (on Unix) SIGTERM handlers now, and returns a future that resolves
/// on the first of them.
fn shutdown_signal() -> impl std::future::Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let (interrupt, terminate) = {
        use tokio::signal::unix::{SignalKind, signal};
        (
            signal(SignalKind::interrupt()).ok(),
            signal(SignalKind::terminate()).ok(),
        )
    };
    async move {
        #[cfg(unix)]
        {
            let wait = |s: Option<tokio::signal::unix::Signal>| async move {
                match s {
                    Some(mut s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                () = wait(interrupt) => {},
                () = wait(terminate) => {},
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
        tracing::info!("shutting down");
    }
}
