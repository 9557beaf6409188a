//! Delivery of back-channel logout tokens over HTTP (OpenID Connect Back-Channel Logout 1.0
//! §2.5): a form POST of `logout_token` to each application's registered URI, in the background,
//! with short timeouts and no redirects followed. The token is never logged.

use portcullis_core::backchannel::LogoutNotifier;
use std::time::Duration;

/// Sends logout tokens with reqwest.
#[derive(Debug, Clone)]
pub struct HttpLogoutNotifier {
    client: reqwest::Client,
}

impl HttpLogoutNotifier {
    pub fn new() -> Self {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(2))
            .timeout(Duration::from_secs(5))
            .build()
            .unwrap_or_default();
        HttpLogoutNotifier { client }
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
        });
    }
}
