//! Prometheus metrics on a listener of their own (`metrics_listen`): off unless configured.
//!
//! The HTTP layer counts requests, tokens and sign-ins through the `metrics` facade; this
//! module installs the Prometheus recorder behind it, adds the database pool's gauges and the
//! build information, and answers `GET /metrics` in the Prometheus text format. The listener
//! serves nothing else, so it can stay on an internal address that only the scraper reaches.

use crate::database::Database;
use anyhow::Context as _;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use portcullis_store::PoolStats;
use std::time::Duration;
use tokio::net::TcpListener;

/// Request latency buckets, in seconds (a sign-in hashes a password: up to a second is normal).
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// How often histograms are compacted between scrapes.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// What `/metrics` reads.
#[derive(Clone)]
struct Exporter {
    handle: PrometheusHandle,
    database: Database,
}

/// Installs the Prometheus recorder (once per process) and describes every metric.
pub fn install() -> anyhow::Result<PrometheusHandle> {
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(
            Matcher::Full(portcullis_web::metrics::DURATION.to_owned()),
            LATENCY_BUCKETS,
        )
        .context("configuring the latency buckets")?
        .install_recorder()
        .context("installing the metrics recorder")?;
    portcullis_web::metrics::describe();
    metrics::describe_gauge!(
        "portcullis_build_info",
        "Always 1; the labels say which Portcullis runs."
    );
    metrics::describe_gauge!(
        "portcullis_db_pool_connections",
        "Database connections of this process, by state (idle, in_use) and the pool's maximum (max)."
    );
    metrics::gauge!("portcullis_build_info", "version" => env!("CARGO_PKG_VERSION")).set(1.0);
    Ok(handle)
}

/// Serves `GET /metrics` on `listener` until the task is aborted.
pub async fn serve(
    listener: TcpListener,
    handle: PrometheusHandle,
    database: Database,
) -> anyhow::Result<()> {
    let upkeep = handle.clone();
    let upkeep = tokio::spawn(async move {
        let mut every = tokio::time::interval(UPKEEP_EVERY);
        loop {
            every.tick().await;
            upkeep.run_upkeep();
        }
    });
    let app = axum::Router::new()
        .route("/metrics", get(render))
        .with_state(Exporter { handle, database });
    let served = axum::serve(listener, app).await;
    upkeep.abort();
    served.context("serving /metrics")
}

async fn render(State(e): State<Exporter>) -> Response {
    record_pool(e.database.pool_stats());
    (
        StatusCode::OK,
        [
            (
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            ),
            (header::CACHE_CONTROL, "no-store"),
        ],
        e.handle.render(),
    )
        .into_response()
}

fn record_pool(stats: PoolStats) {
    let PoolStats { open, idle, max } = stats;
    let gauge = |state: &'static str, value: u32| {
        metrics::gauge!("portcullis_db_pool_connections", "state" => state).set(f64::from(value));
    };
    gauge("idle", idle);
    gauge("in_use", open.saturating_sub(idle));
    gauge("max", max);
}
