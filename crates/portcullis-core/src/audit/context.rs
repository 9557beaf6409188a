//! Who made the request an event happens in: set once per request by the HTTP layer.

use std::future::Future;

tokio::task_local! {
    static CONTEXT: RequestContext;
}

/// The caller's address (after the trusted-proxy rules) and user agent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestContext {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// The application the request is for, when the HTTP layer knows it (a sign-in page knows
    /// its authorization request's `client_id`): events that name none get this one.
    pub client_id: Option<String>,
}

/// User agents are kept to this many characters (Auth0 keeps a short form too).
const MAX_USER_AGENT: usize = 256;

impl RequestContext {
    /// A context; the user agent is cut to a sane length and stripped of control characters.
    pub fn new(ip: Option<String>, user_agent: Option<&str>) -> Self {
        RequestContext {
            client_id: None,
            ip,
            user_agent: user_agent.map(|ua| {
                ua.chars()
                    .filter(|c| !c.is_control())
                    .take(MAX_USER_AGENT)
                    .collect()
            }),
        }
    }

    /// The same context, for the application `client_id`.
    pub fn with_client_id(mut self, client_id: Option<&str>) -> Self {
        self.client_id = client_id.map(str::to_owned);
        self
    }

    /// Runs `work` with this context: events it records carry this IP and user agent.
    pub async fn scope<F: Future>(self, work: F) -> F::Output {
        CONTEXT.scope(self, work).await
    }

    /// The context of the request being handled, or an empty one.
    pub fn current() -> RequestContext {
        CONTEXT.try_with(Clone::clone).unwrap_or_default()
    }
}
