//! The records every token request reads — applications, APIs, client grants, tenant settings
//! (custom claims, MFA policy…) — kept in memory (issue #12: one store round trip each, several
//! per request, was most of a token request's cost after the signatures).
//!
//! Freshness: a write through this process's store is seen by the next lookup (the store counts
//! its committed catalog writes, free to read). A write by anyone else — another replica, the
//! CLI, a tenant apply in another process — moves the database's catalog generation (a
//! trigger), which each server reads at most every [`REFRESH`]: such a change reaches every
//! replica within that time. Only records that exist are kept (a flood of unknown client ids
//! cannot fill memory), and each map is bounded. Settings are the exception: their names come
//! from the code, not from requests, so an absent one is kept as absent.

use crate::error::OAuthResult;
use portcullis_store::{Api, Client, ClientGrant, Store, StoreResult};
use std::collections::HashMap;
use std::hash::Hash;
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
    /// Setting name → value, `None` when the setting is absent.
    settings: HashMap<String, Option<String>>,
}

impl State {
    fn forget(&mut self) {
        self.clients.clear();
        self.apis.clear();
        self.client_grants.clear();
        self.settings.clear();
    }
}

/// The counters a record is read at: it is kept only if they have not moved meanwhile.
#[derive(Clone, Copy)]
struct Stamp {
    local: u64,
    generation: i64,
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
        {
            let mut s = self.lock();
            if s.local != local {
                s.forget();
                s.local = local;
            }
            if let Some((generation, read_at)) = s.generation
                && read_at.elapsed() < self.refresh
            {
                return Ok(Stamp { local, generation });
            }
        }
        let generation = store.catalog_generation().await?;
        let mut s = self.lock();
        if s.generation.map(|(g, _)| g) != Some(generation) {
            s.forget();
        }
        s.generation = Some((generation, Instant::now()));
        Ok(Stamp { local, generation })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding the lock leaves plain maps behind: still usable.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The record under `key` in the map `map` selects: kept, or read with `fetch` and kept
    /// (unless a write happened while it was read; a full map starts over).
    async fn cached<K, V>(
        &self,
        store: &dyn Store,
        map: fn(&mut State) -> &mut HashMap<K, V>,
        key: K,
        fetch: impl Future<Output = StoreResult<Option<V>>>,
    ) -> OAuthResult<Option<V>>
    where
        K: Eq + Hash,
        V: Clone,
    {
        let stamp = self.fresh(store).await?;
        if let Some(v) = map(&mut self.lock()).get(&key) {
            return Ok(Some(v.clone()));
        }
        let found = fetch.await?;
        if let Some(v) = &found {
            let mut s = self.lock();
            let unchanged = s.local == stamp.local
                && store.local_catalog_writes() == stamp.local
                && s.generation.map(|(g, _)| g) == Some(stamp.generation);
            if unchanged {
                let m = map(&mut s);
                if m.len() >= MAX_ENTRIES {
                    m.clear();
                }
                m.insert(key, v.clone());
            }
        }
        Ok(found)
    }

    /// The application `client_id`.
    pub async fn client(&self, store: &dyn Store, client_id: &str) -> OAuthResult<Option<Client>> {
        let fetch = store.get_client(client_id);
        self.cached(store, |s| &mut s.clients, client_id.to_owned(), fetch)
            .await
    }

    /// The API whose identifier (audience) is `identifier`.
    pub async fn api(&self, store: &dyn Store, identifier: &str) -> OAuthResult<Option<Api>> {
        let fetch = store.get_api_by_identifier(identifier);
        self.cached(store, |s| &mut s.apis, identifier.to_owned(), fetch)
            .await
    }

    /// The client grant of `client_id` to the API `audience`.
    pub async fn client_grant(
        &self,
        store: &dyn Store,
        client_id: &str,
        audience: &str,
    ) -> OAuthResult<Option<ClientGrant>> {
        let fetch = store.find_client_grant(client_id, audience);
        let key = (client_id.to_owned(), audience.to_owned());
        self.cached(store, |s| &mut s.client_grants, key, fetch)
            .await
    }

    /// The tenant setting `name` (`None` when absent). `name` must come from the code, never
    /// from a request: absence is kept too.
    pub async fn setting(&self, store: &dyn Store, name: &str) -> OAuthResult<Option<String>> {
        let fetch = async { store.get_setting(name).await.map(Some) };
        let kept = self
            .cached(store, |s| &mut s.settings, name.to_owned(), fetch)
            .await?;
        Ok(kept.flatten())
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

    /// A setting, present or absent, is kept; a write through the store is seen at once, and
    /// one by another process once the generation moves (the settings trigger).
    #[tokio::test]
    async fn settings_are_kept_absent_or_present_and_follow_writes() {
        use portcullis_store::{CatalogStore, SettingStore};
        let dir = std::env::temp_dir().join(format!("catalog-{}", crate::crypto::new_id("t")));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.join("db.sqlite").display());
        let here = SqliteStore::connect(&url).await.unwrap();
        let there = SqliteStore::connect(&url).await.unwrap();
        let catalog = Catalog::new(Duration::from_secs(3600));
        assert_eq!(catalog.setting(&here, "signup").await.unwrap(), None);
        assert_eq!(
            catalog.lock().settings.get("signup"),
            Some(&None),
            "absence kept"
        );
        here.put_setting("signup", "false", T0).await.unwrap();
        assert_eq!(
            catalog.setting(&here, "signup").await.unwrap().as_deref(),
            Some("false")
        );
        let generation = here.catalog_generation().await.unwrap();
        there.delete_setting("signup").await.unwrap();
        assert!(here.catalog_generation().await.unwrap() > generation);
        let strict = Catalog::new(Duration::ZERO);
        assert_eq!(strict.setting(&here, "signup").await.unwrap(), None);
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
