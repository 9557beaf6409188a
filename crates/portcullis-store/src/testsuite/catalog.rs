//! `CatalogStore`: the generation moves on every write to applications, APIs, client grants and
//! settings (in the database, for every process, and in this store's own counter), and on
//! nothing else.

use super::sample::{T0, api, client, client_grant, user};
use crate::*;

/// Both counters, after a write: each must have moved.
async fn moved(store: &dyn Store, before: (i64, u64), what: &str) -> (i64, u64) {
    let now = (
        store
            .catalog_generation()
            .await
            .expect("catalog_generation"),
        store.local_catalog_writes(),
    );
    assert!(
        now.0 > before.0,
        "{what}: the database generation did not move"
    );
    assert!(now.1 > before.1, "{what}: the local counter did not move");
    now
}

pub async fn catalog_generation_moves_on_every_catalog_write(store: &dyn Store) {
    let mut at = (
        store
            .catalog_generation()
            .await
            .expect("catalog_generation"),
        store.local_catalog_writes(),
    );
    store
        .create_client(&client("c-1", T0))
        .await
        .expect("create_client");
    at = moved(store, at, "create_client").await;
    let mut renamed = client("c-1", T0);
    renamed.name = "Renamed".to_owned();
    store.update_client(&renamed).await.expect("update_client");
    at = moved(store, at, "update_client").await;
    store
        .create_api(&api("api-1", "https://api.example", T0))
        .await
        .expect("create_api");
    at = moved(store, at, "create_api").await;
    let mut api_v2 = api("api-1", "https://api.example", T0);
    api_v2.name = "v2".to_owned();
    store.update_api(&api_v2).await.expect("update_api");
    at = moved(store, at, "update_api").await;
    store
        .create_client_grant(&client_grant("cg-1", "c-1", "https://api.example", T0))
        .await
        .expect("create_client_grant");
    at = moved(store, at, "create_client_grant").await;
    let mut grant_v2 = client_grant("cg-1", "c-1", "https://api.example", T0);
    grant_v2.scopes = Vec::new();
    store
        .update_client_grant(&grant_v2)
        .await
        .expect("update_client_grant");
    at = moved(store, at, "update_client_grant").await;
    store
        .delete_client_grant("cg-1")
        .await
        .expect("delete_client_grant");
    at = moved(store, at, "delete_client_grant").await;
    store
        .apply_tenant_changes(&[TenantChange::CreateClient(client("c-2", T0))])
        .await
        .expect("apply_tenant_changes");
    at = moved(store, at, "apply_tenant_changes").await;
    store.delete_api("api-1").await.expect("delete_api");
    at = moved(store, at, "delete_api").await;
    store.delete_client("c-1").await.expect("delete_client");
    at = moved(store, at, "delete_client").await;
    store
        .put_setting("signup", "false", T0)
        .await
        .expect("put_setting");
    at = moved(store, at, "put_setting").await;
    store
        .put_setting("signup", "true", T0)
        .await
        .expect("put_setting");
    at = moved(store, at, "put_setting (update)").await;
    store
        .delete_setting("signup")
        .await
        .expect("delete_setting");
    at = moved(store, at, "delete_setting").await;
    // Other records leave it alone.
    store
        .create_user(&user("u-1", "ada@example.com", T0))
        .await
        .expect("create_user");
    store
        .create_grant(&super::sample::grant("g-1", "c-2", "u-1", None, false))
        .await
        .expect("create_grant");
    assert_eq!(
        store
            .catalog_generation()
            .await
            .expect("catalog_generation"),
        at.0
    );
    assert_eq!(store.local_catalog_writes(), at.1);
}
