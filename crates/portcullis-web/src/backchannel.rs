//! Delivery of back-channel logout tokens over HTTP (OpenID Connect Back-Channel Logout 1.0
//! §2.5): a form POST of `logout_token` to each application's registered URI, in the background,
//! with short timeouts and no redirects followed. The token is never logged.

use portcullis_core::backchannel::LogoutNotifier;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::Notify;

/// Sends logout tokens with reqwest. Clones share the deliveries in flight, so a short-lived
/// process (the CLI) can wait for them with [`HttpLogoutNotifier::flush`] before it exits.
#[derive(Debug, Clone)]
pub struct HttpLogoutNotifier {
    client: reqwest::Client,
    in_flight: Arc<InFlight>,
}

/// Deliveries not finished yet, and a wake-up for whoever waits for none.
#[derive(Debug, Default)]
struct InFlight {
    count: AtomicUsize,
    idle: Notify,
}

impl HttpLogoutNotifier {
    pub fn new() -> Self {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(2))
            .timeout(Duration::from_secs(5))
            .build()
            .unwrap_or_default();
        HttpLogoutNotifier {
            client,
            in_flight: Arc::default(),
        }
    }

    /// Waits until every delivery started so far has ended (delivered, refused or timed out;
    /// each takes at most the 5-second timeout).
    pub async fn flush(&self) {
        loop {
            let idle = self.in_flight.idle.notified();
            if self.in_flight.count.load(Ordering::Acquire) == 0 {
                return;
            }
            idle.await;
        }
    }
}

impl Default for HttpLogoutNotifier {
    fn default() -> Self {
        Self::new()
    }
}

impl LogoutNotifier for HttpLogoutNotifier {
    fn notify(&self, uri: String, logout_token: String) {
        let client = self.client.clone();
        let in_flight = Arc::clone(&self.in_flight);
        in_flight.count.fetch_add(1, Ordering::AcqRel);
        tokio::spawn(async move {
            let sent = client
                .post(&uri)
                .header(reqwest::header::CACHE_CONTROL, "no-store")
                .form(&[("logout_token", logout_token)])
                .send()
                .await;
            match sent {
                Ok(r) if r.status().is_success() => {
                    tracing::debug!(%uri, "back-channel logout delivered");
                }
                Ok(r) => tracing::warn!(%uri, status = %r.status(), "back-channel logout refused"),
                Err(e) => tracing::warn!(%uri, error = %e, "back-channel logout not delivered"),
            }
            if in_flight.count.fetch_sub(1, Ordering::AcqRel) == 1 {
                in_flight.idle.notify_waiters();
            }
        });
    }
}
