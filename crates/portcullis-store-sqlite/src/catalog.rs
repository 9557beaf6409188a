//! `CatalogStore`: the generation of applications, APIs, client grants and settings.

use crate::SqliteStore;
use crate::sql;
use async_trait::async_trait;
use portcullis_store::{CatalogStore, StoreResult};
use std::sync::atomic::Ordering;

#[async_trait]
impl CatalogStore for SqliteStore {
    async fn catalog_generation(&self) -> StoreResult<i64> {
        self.read(|c| {
            Ok(sql::one(
                c,
                "SELECT generation FROM catalog_generation WHERE id = 1",
                [],
                |r| r.get(0),
            )?)
        })
        .await
    }

    fn local_catalog_writes(&self) -> u64 {
        self.catalog_writes.load(Ordering::Acquire)
    }
}

impl SqliteStore {
    /// Runs a write to applications, APIs, client grants or settings, then counts it (after the
    /// commit, or the failure: a catalog that kept those records forgets them either way).
    pub(crate) async fn catalog_write<T>(
        &self,
        write: impl std::future::Future<Output = StoreResult<T>>,
    ) -> StoreResult<T> {
        let result = write.await;
        self.catalog_writes.fetch_add(1, Ordering::AcqRel);
        result
    }
}
