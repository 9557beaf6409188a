//! The records every token request reads — applications, APIs, client grants — kept in memory
//! (issue #12: one store round trip each, several per request, was most of a token request's
//! cost after the signatures).
//!
//! Freshness: a write through this process's store is seen by the next lookup (the store counts
//! its committed catalog writes, free to read). A write by anyone else — another replica, the
//! CLI, a tenant apply in another process — moves the database's catalog generation (a
//! trigger), which each server reads at most every [`REFRESH`]: such a change reaches every
//! replica within that time. Only records that exist are kept (a flood of unknown client ids
//! cannot fill memory), and each map is bounded.

use crate::error::OAuthResult;
use portcullis_store::{Api, Client, ClientGrant, Store};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How often the database's catalog generation is read.
pub const REFRESH: Duration = Duration::from_secs(1);

/// Records kept per kind before the map starts over.
const MAX_ENTRIES: usize = 4096;

/// The in-memory catalog of one server.
#[derive(Debug)]
pub struct Catalog {
    refresh: Duration,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// The store's local write count the maps were filled at.
    local: u64,
    /// The database generation the maps were filled at, and when it was read.
    generation: Option<(i64, Instant)>,
    clients: HashMap<String, Client>,
    apis: HashMap<String, Api>,
    client_grants: HashMap<(String, String), ClientGrant>,
}

impl State {
    fn forget(&mut self) {
        self.clients.clear();
        self.apis.clear();
        self.client_grants.clear();
    }
}

/// Where a kept record is checked before use: the counters it was read at.
#[derive(Clone, Copy)]
struct Stamp {
    local: u64,
    generation: Option<i64>,
}

impl Default for Catalog {
    fn default() -> Self {
        Catalog::new(REFRESH)
    }
}

impl Catalog {
    /// A catalog that reads the database generation at most every `refresh`
    /// (`Duration::ZERO`: on every lookup).
    pub fn new(refresh: Duration) -> Self {
        Catalog {
            refresh,
            state: Mutex::default(),
        }
    }

    /// Brings the maps up to date with both counters; returns the stamp to fill them at.
    async fn fresh(&self, store: &dyn Store) -> OAuthResult<Stamp> {
        let local = store.local_catalog_writes();
        let due = {
            let mut s = self.lock();
            if s.local != local {
                s.forget();
                s.local = local;
            }
            match s.generation {
                Some((generation, read_at)) if read_at.elapsed() < self.refresh => {
                    return Ok(Stamp {
                        local,
                        generation: Some(generation),
                    });
                }
                _ => true,
            }
        };
        debug_assert!(due);
        let generation = store.catalog_generation().await?;
        let mut s = self.lock();
        if s.generation.map(|(g, _)| g) != Some(generation) {
            s.forget();
        }
        s.generation = Some((generation, Instant::now()));
        Ok(Stamp {
            local,
            generation: Some(generation),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding the lock leaves plain maps behind: still usable.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Keeps a record read at `stamp`, unless a write happened meanwhile.
    fn keep(&self, stamp: Stamp, store: &dyn Store, put: impl FnOnce(&mut State)) {
        let mut s = self.lock();
        let unchanged = s.local == stamp.local
            && store.local_catalog_writes() == stamp.local
            && s.generation.map(|(g, _)| g) == stamp.generation;
        if unchanged {
            put(&mut s);
        }
    }

    /// The application `client_id`.
    pub async fn client(&self, store: &dyn Store, client_id: &str) -> OAuthResult<Option<Client>> {
        let stamp = self.fresh(store).await?;
        if let Some(c) = self.lock().clients.get(client_id) {
            return Ok(Some(c.clone()));
        }
        let found = store.get_client(client_id).await?;
        if let Some(c) = &found {
            self.keep(stamp, store, |s| {
                if s.clients.len() >= MAX_ENTRIES {
                    s.clients.clear();
                }
                s.clients.insert(client_id.to_owned(), c.clone());
            });
        }
        Ok(found)
    }

    /// The API whose identifier (audience) is `identifier`.
    pub async fn api(&self, store: &dyn Store, identifier: &str) -> OAuthResult<Option<Api>> {
        let stamp = self.fresh(store).await?;
        if let Some(a) = self.lock().apis.get(identifier) {
            return Ok(Some(a.clone()));
        }
        let found = store.get_api_by_identifier(identifier).await?;
        if let Some(a) = &found {
            self.keep(stamp, store, |s| {
                if s.apis.len() >= MAX_ENTRIES {
                    s.apis.clear();
                }
                s.apis.insert(identifier.to_owned(), a.clone());
            });
        }
        Ok(found)
    }

    /// The client grant of `client_id` to the API `audience`.
    pub async fn client_grant(
        &self,
        store: &dyn Store,
        client_id: &str,
        audience: &str,
    ) -> OAuthResult<Option<ClientGrant>> {
        let stamp = self.fresh(store).await?;
        let key = (client_id.to_owned(), audience.to_owned());
        if let Some(g) = self.lock().client_grants.get(&key) {
            return Ok(Some(g.clone()));
        }
        let found = store.find_client_grant(client_id, audience).await?;
        if let Some(g) = &found {
            self.keep(stamp, store, |s| {
                if s.client_grants.len() >= MAX_ENTRIES {
                    s.client_grants.clear();
                }
                s.client_grants.insert(key, g.clone());
            });
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use portcullis_store::testsuite::sample::{T0, api, client, client_grant};
    use portcullis_store::{ApiStore, ClientStore};
    use portcullis_store_sqlite::SqliteStore;

    async fn store_with_records() -> SqliteStore {
        let store = SqliteStore::in_memory().await.unwrap();
        store.create_client(&client("c-1", T0)).await.unwrap();
        store
            .create_api(&api("api-1", "https://api.example", T0))
            .await
            .unwrap();
        store
            .create_client_grant(&client_grant("cg-1", "c-1", "https://api.example", T0))
            .await
            .unwrap();
        store
    }

    #[tokio::test]
    async fn a_write_through_the_store_is_seen_by_the_next_lookup() {
        let store = store_with_records().await;
        let catalog = Catalog::new(Duration::from_secs(3600));
        let c = catalog.client(&store, "c-1").await.unwrap().unwrap();
        assert_eq!(c.name, client("c-1", T0).name);
        let mut renamed = c.clone();
        renamed.name = "Renamed".to_owned();
        store.update_client(&renamed).await.unwrap();
        assert_eq!(
            catalog.client(&store, "c-1").await.unwrap().unwrap().name,
            "Renamed"
        );
        store.delete_client_grant("cg-1").await.unwrap();
        assert_eq!(
            catalog
                .client_grant(&store, "c-1", "https://api.example")
                .await
                .unwrap(),
            None
        );
        store.delete_client("c-1").await.unwrap();
        assert_eq!(catalog.client(&store, "c-1").await.unwrap(), None);
    }

    /// Another process's write (a second store on the same database file, as the CLI or a
    /// replica) is seen once the generation is read again.
    #[tokio::test]
    async fn another_processs_write_is_seen_after_the_refresh_interval() {
        let dir = std::env::temp_dir().join(format!("catalog-{}", crate::crypto::new_id("t")));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("db.sqlite");
        let url = format!("sqlite://{}?mode=rwc", path.display());
        let here = SqliteStore::connect(&url).await.unwrap();
        let there = SqliteStore::connect(&url).await.unwrap();
        here.create_api(&api("api-1", "https://api.example", T0))
            .await
            .unwrap();
        let catalog = Catalog::new(Duration::from_millis(50));
        let before = catalog.api(&here, "https://api.example").await.unwrap();
        assert_eq!(
            before.unwrap().name,
            api("api-1", "https://api.example", T0).name
        );
        let mut renamed = api("api-1", "https://api.example", T0);
        renamed.name = "Renamed elsewhere".to_owned();
        there.update_api(&renamed).await.unwrap();
        // Kept until the generation is read again...
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let now = catalog.api(&here, "https://api.example").await.unwrap();
            if now.unwrap().name == "Renamed elsewhere" {
                break;
            }
            assert!(Instant::now() < deadline, "the change never arrived");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        // ...and a catalog that reads it every time sees changes at once.
        let strict = Catalog::new(Duration::ZERO);
        strict.api(&here, "https://api.example").await.unwrap();
        renamed.name = "Again".to_owned();
        there.update_api(&renamed).await.unwrap();
        assert_eq!(
            strict
                .api(&here, "https://api.example")
                .await
                .unwrap()
                .unwrap()
                .name,
            "Again"
        );
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn unknown_records_are_not_kept() {
        let store = store_with_records().await;
        let catalog = Catalog::new(Duration::from_secs(3600));
        for i in 0..100 {
            assert_eq!(
                catalog.client(&store, &format!("nope-{i}")).await.unwrap(),
                None
            );
        }
        assert!(catalog.lock().clients.is_empty());
    }
}
