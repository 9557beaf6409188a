//! Social and enterprise sign-in: users sign in at an upstream identity provider (any OpenID
//! Connect provider, Google, GitHub) through a *connection*, as on Auth0.
//!
//! - [`connection`]: what a connection is, and the `user_id`s of its users;
//! - [`flow`]: the authorization code flow towards the upstream and its checks;
//! - [`id_token`]: validation of the upstream's ID token;
//! - [`metadata`]: the upstream's endpoints (published, overridden or discovered) and JWKS;
//! - [`accounts`]: the Portcullis users behind upstream accounts, and linking;
//! - [`http`]: the HTTP client the web layer provides.

pub mod accounts;
pub mod connection;
pub mod declaration;
pub mod flow;
pub mod http;
pub mod id_token;
pub mod metadata;
pub mod stored;

pub use connection::{Connection, DATABASE_CONNECTION, Strategy};
pub use declaration::ConnectionDecl;
pub use metadata::Upstream;

use crate::Provider;
use crate::error::OAuthResult;
use std::sync::Arc;

/// Every connection: those of the configuration, then those stored from the tenant file or the
/// CLI (a stored one named like a configured one is ignored: the configuration wins).
pub async fn all(p: &Provider) -> OAuthResult<Vec<Arc<Connection>>> {
    let mut list = p.config.connections.clone();
    for c in stored::connections(p.store.as_ref(), &p.sealer).await? {
        if !list.iter().any(|have| have.name == c.name) {
            list.push(Arc::new(c));
        }
    }
    Ok(list)
}

/// The connection called `name`, if any.
pub async fn find(p: &Provider, name: &str) -> OAuthResult<Option<Arc<Connection>>> {
    Ok(all(p).await?.into_iter().find(|c| c.name == name))
}

/// The connections `client_id` may use (the sign-in page's buttons).
pub async fn enabled_for(p: &Provider, client_id: &str) -> OAuthResult<Vec<Arc<Connection>>> {
    Ok(all(p)
        .await?
        .into_iter()
        .filter(|c| c.enabled_for(client_id))
        .collect())
}
