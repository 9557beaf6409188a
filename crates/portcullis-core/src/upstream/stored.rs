//! Connections declared in the tenant file or with the CLI, kept in the database (the
//! `connections` setting, shared by every replica). Client secrets are stored encrypted with the
//! master key (authenticated encryption, bound to the connection's name) and never printed.

use super::connection::{Connection, ConnectionError};
use super::declaration::ConnectionDecl;
use crate::crypto::Sealer;
use crate::error::{OAuthError, OAuthResult};
use portcullis_store::{Store, UnixTime};
use serde::{Deserialize, Serialize};

/// The setting holding the stored connections (a JSON array).
pub const SETTING: &str = "connections";

/// One stored connection: the declaration without its secret, and the secret sealed.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Stored {
    decl: ConnectionDecl,
    secret_sealed: String,
}

fn purpose(name: &str) -> String {
    format!("connection-secret:{name}")
}

async fn load(store: &dyn Store) -> OAuthResult<Vec<Stored>> {
    match store.get_setting(SETTING).await? {
        None => Ok(Vec::new()),
        Some(json) => serde_json::from_str(&json).map_err(OAuthError::server_error),
    }
}

async fn save(store: &dyn Store, list: &[Stored], now: UnixTime) -> OAuthResult<()> {
    if list.is_empty() {
        store.delete_setting(SETTING).await?;
        return Ok(());
    }
    let json = serde_json::to_string(list).map_err(OAuthError::server_error)?;
    store.put_setting(SETTING, &json, now).await?;
    Ok(())
}

/// The stored connections, with their secrets decrypted. One that cannot be read (a master key
/// changed without re-applying) is left out and logged, not fatal.
pub async fn connections(store: &dyn Store, sealer: &Sealer) -> OAuthResult<Vec<Connection>> {
    let mut out = Vec::new();
    for s in load(store).await? {
        let Some(secret) = sealer.unseal::<String>(&s.secret_sealed, &purpose(&s.decl.name)) else {
            tracing::error!(connection = %s.decl.name, "the stored client secret cannot be decrypted with this master key");
            continue;
        };
        let decl = ConnectionDecl {
            client_secret: Some(secret),
            client_secret_env: None,
            ..s.decl
        };
        match decl.resolve(|_| None) {
            Ok(c) => out.push(c),
            Err(e) => tracing::error!(error = %e, "stored connection refused"),
        }
    }
    Ok(out)
}

/// The stored declarations, without secrets (for listing).
pub async fn declarations(store: &dyn Store) -> OAuthResult<Vec<ConnectionDecl>> {
    Ok(load(store).await?.into_iter().map(|s| s.decl).collect())
}

/// Whether [`put`] created, changed or left a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Created,
    Updated,
    Unchanged,
}

/// Stores `decl` (its secret read from `env` when `client_secret_env` names it), replacing the
/// connection of the same name. Checked first: an invalid declaration changes nothing.
pub async fn put(
    store: &dyn Store,
    sealer: &Sealer,
    decl: &ConnectionDecl,
    env: &dyn Fn(&str) -> Option<String>,
    now: UnixTime,
) -> Result<Change, PutError> {
    let mut list = load(store).await?;
    let change = put_into(&mut list, sealer, decl, env)?;
    if change != Change::Unchanged {
        save(store, &list, now).await?;
    }
    Ok(change)
}

/// What putting every declaration of a tenant file, in order, would change, without writing:
/// each declaration's [`Change`], and the new value of the [`SETTING`] when any changes (a
/// tenant-file apply writes it in its one transaction).
pub async fn planned(
    store: &dyn Store,
    sealer: &Sealer,
    decls: &[ConnectionDecl],
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(Vec<Change>, Option<String>), PutError> {
    let mut list = load(store).await?;
    let mut changes = Vec::with_capacity(decls.len());
    for decl in decls {
        changes.push(put_into(&mut list, sealer, decl, env)?);
    }
    let setting = if changes.iter().any(|c| *c != Change::Unchanged) {
        Some(serde_json::to_string(&list).map_err(OAuthError::server_error)?)
    } else {
        None
    };
    Ok((changes, setting))
}

/// Puts `decl` into the loaded list (its secret sealed), replacing the one of the same name.
fn put_into(
    list: &mut Vec<Stored>,
    sealer: &Sealer,
    decl: &ConnectionDecl,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Change, PutError> {
    let connection = decl.resolve(env)?;
    let bare = ConnectionDecl {
        client_secret: None,
        client_secret_env: None,
        ..decl.clone()
    };
    let existing = list.iter().position(|s| s.decl.name == decl.name);
    if let Some(i) = existing {
        let same_secret = sealer
            .unseal::<String>(&list[i].secret_sealed, &purpose(&decl.name))
            .is_some_and(|s| s == connection.client_secret.0);
        if same_secret && list[i].decl == bare {
            return Ok(Change::Unchanged);
        }
    }
    let stored = Stored {
        secret_sealed: sealer
            .seal(&connection.client_secret.0, &purpose(&decl.name))
            .map_err(OAuthError::server_error)?,
        decl: bare,
    };
    Ok(match existing {
        Some(i) => {
            list[i] = stored;
            Change::Updated
        }
        None => {
            list.push(stored);
            Change::Created
        }
    })
}

/// Deletes the stored connection `name`; whether it existed. Its users keep their accounts.
pub async fn remove(store: &dyn Store, name: &str, now: UnixTime) -> OAuthResult<bool> {
    let mut list = load(store).await?;
    let before = list.len();
    list.retain(|s| s.decl.name != name);
    if list.len() == before {
        return Ok(false);
    }
    save(store, &list, now).await?;
    Ok(true)
}

/// Why a connection was not stored.
#[derive(Debug, thiserror::Error)]
pub enum PutError {
    #[error(transparent)]
    Invalid(#[from] ConnectionError),
    #[error(transparent)]
    Internal(#[from] OAuthError),
}

impl From<portcullis_store::StoreError> for PutError {
    fn from(e: portcullis_store::StoreError) -> Self {
        PutError::Internal(e.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::MasterKey;
    use portcullis_store::SettingStore;

    #[tokio::test]
    async fn secrets_are_stored_encrypted_and_read_back() {
        let store = portcullis_store_sqlite::SqliteStore::in_memory()
            .await
            .unwrap();
        let key = MasterKey::generate();
        let decl = ConnectionDecl {
            name: "gh".into(),
            strategy: "github".into(),
            client_id: "id".into(),
            client_secret: Some("hunter2-secret".into()),
            ..ConnectionDecl::default()
        };
        let none = |_: &str| None;
        assert_eq!(
            put(&store, &key.sealer(), &decl, &none, 1).await.unwrap(),
            Change::Created
        );
        assert_eq!(
            put(&store, &key.sealer(), &decl, &none, 2).await.unwrap(),
            Change::Unchanged
        );
        let raw = store.get_setting(SETTING).await.unwrap().unwrap();
        assert!(!raw.contains("hunter2"), "{raw}");
        let read = connections(&store, &key.sealer()).await.unwrap();
        assert_eq!(read[0].client_secret.0, "hunter2-secret");
        // Another master key cannot read it.
        assert!(
            connections(&store, &MasterKey::generate().sealer())
                .await
                .unwrap()
                .is_empty()
        );
        let bad = ConnectionDecl {
            strategy: "saml".into(),
            ..decl.clone()
        };
        assert!(matches!(
            put(&store, &key.sealer(), &bad, &none, 3).await,
            Err(PutError::Invalid(_))
        ));
        assert!(remove(&store, "gh", 4).await.unwrap());
        assert!(!remove(&store, "gh", 5).await.unwrap());
        assert!(declarations(&store).await.unwrap().is_empty());
    }
}
