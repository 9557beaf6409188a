//! `ApiStore`: APIs and the client grants to them.

use super::sample::{self, T0};
use super::{assert_conflict, assert_not_found};
use crate::*;

const AUD: &str = "https://api.example/";

/// `create_api` then `get_api` / `get_api_by_identifier` return the record unchanged.
pub async fn api_create_get_roundtrip(store: &dyn Store) {
    let full = sample::api("api-1", AUD, T0);
    let bare = Api {
        api_id: "api-2".to_owned(),
        identifier: "urn:bare".to_owned(),
        name: "Bare".to_owned(),
        scopes: vec![],
        token_lifetime: 60,
        allow_offline_access: false,
        introspection_clients: vec![],
        enforce_policies: false,
        token_dialect: TokenDialect::AccessToken,
        created_at: T0 + 1,
        updated_at: T0 + 2,
    };
    for api in [&full, &bare] {
        store.create_api(api).await.expect("create_api");
        assert_eq!(
            store.get_api(&api.api_id).await.expect("get_api").as_ref(),
            Some(api)
        );
        let by_identifier = store.get_api_by_identifier(&api.identifier).await;
        assert_eq!(
            by_identifier.expect("get_api_by_identifier").as_ref(),
            Some(api)
        );
    }
    assert_eq!(store.get_api("nope").await.expect("get_api"), None);
    let none = store.get_api_by_identifier("urn:nope").await;
    assert_eq!(none.expect("get_api_by_identifier"), None);
}

/// A second API with the same id is a `Conflict`.
pub async fn api_duplicate_id_conflicts(store: &dyn Store) {
    let first = sample::api("api-1", AUD, T0);
    store.create_api(&first).await.expect("create_api");
    let dup = sample::api("api-1", "urn:other", T0 + 1);
    assert_conflict(store.create_api(&dup).await, "duplicate API id");
    assert_eq!(store.get_api("api-1").await.expect("get_api"), Some(first));
}

/// A second API with the same identifier is a `Conflict`.
pub async fn api_duplicate_identifier_conflicts(store: &dyn Store) {
    store
        .create_api(&sample::api("api-1", AUD, T0))
        .await
        .expect("create_api");
    let dup = sample::api("api-2", AUD, T0 + 1);
    assert_conflict(store.create_api(&dup).await, "duplicate API identifier");
    assert_eq!(store.get_api("api-2").await.expect("get_api"), None);
}

/// `list_apis` is ordered by `created_at`, then `api_id`.
pub async fn api_list_ordered_by_creation_then_id(store: &dyn Store) {
    for (id, at) in [
        ("a-b", T0 + 10),
        ("a-a", T0 + 20),
        ("a-c", T0 + 10),
        ("a-d", T0),
    ] {
        let api = sample::api(id, &format!("urn:{id}"), at);
        store.create_api(&api).await.expect("create_api");
    }
    let ids: Vec<_> = store
        .list_apis()
        .await
        .expect("list_apis")
        .into_iter()
        .map(|a| a.api_id)
        .collect();
    assert_eq!(ids, ["a-d", "a-b", "a-c", "a-a"]);
}

/// `update_api` replaces every field but `api_id` and `created_at`; an identifier taken by
/// another API is a `Conflict`.
pub async fn api_update_replaces_fields(store: &dyn Store) {
    store
        .create_api(&sample::api("api-1", AUD, T0))
        .await
        .expect("create_api");
    store
        .create_api(&sample::api("api-2", "urn:two", T0))
        .await
        .expect("create_api");
    let updated = Api {
        api_id: "api-1".to_owned(),
        identifier: "urn:one".to_owned(),
        name: "Renamed".to_owned(),
        scopes: vec![ApiScope {
            value: "admin".to_owned(),
            description: "Everything".to_owned(),
        }],
        token_lifetime: 300,
        allow_offline_access: false,
        introspection_clients: vec!["rs-1".to_owned(), "rs-2".to_owned()],
        enforce_policies: false,
        token_dialect: TokenDialect::AccessToken,
        created_at: T0 + 999,
        updated_at: T0 + 50,
    };
    store.update_api(&updated).await.expect("update_api");
    let expected = Api {
        created_at: T0,
        ..updated.clone()
    };
    assert_eq!(
        store.get_api("api-1").await.expect("get_api").as_ref(),
        Some(&expected)
    );
    let by_new = store.get_api_by_identifier("urn:one").await;
    assert_eq!(
        by_new.expect("get_api_by_identifier").as_ref(),
        Some(&expected)
    );
    let by_old = store.get_api_by_identifier(AUD).await;
    assert_eq!(by_old.expect("get_api_by_identifier"), None);

    let taken = Api {
        identifier: "urn:two".to_owned(),
        ..updated
    };
    assert_conflict(
        store.update_api(&taken).await,
        "update to a taken identifier",
    );
    assert_eq!(
        store.get_api("api-1").await.expect("get_api"),
        Some(expected)
    );
}

/// Updating an absent API is `NotFound` and creates nothing.
pub async fn api_update_absent_is_not_found(store: &dyn Store) {
    assert_not_found(
        store.update_api(&sample::api("ghost", AUD, T0)).await,
        "update_api of an absent API",
    );
    assert_eq!(store.get_api("ghost").await.expect("get_api"), None);
}

/// Deleting an absent API is `NotFound`.
pub async fn api_delete_absent_is_not_found(store: &dyn Store) {
    assert_not_found(
        store.delete_api("ghost").await,
        "delete_api of an absent API",
    );
}

/// `delete_api` also deletes the client grants to its identifier, and no others.
pub async fn api_delete_cascades_client_grants(store: &dyn Store) {
    store
        .create_api(&sample::api("gone", "urn:gone", T0))
        .await
        .expect("create_api");
    store
        .create_api(&sample::api("kept", "urn:kept", T0))
        .await
        .expect("create_api");
    for (gid, client, aud) in [
        ("cg-1", "m2m-1", "urn:gone"),
        ("cg-2", "m2m-2", "urn:gone"),
        ("cg-3", "m2m-1", "urn:kept"),
    ] {
        let grant = sample::client_grant(gid, client, aud, T0);
        store
            .create_client_grant(&grant)
            .await
            .expect("create_client_grant");
    }

    store.delete_api("gone").await.expect("delete_api");

    assert_eq!(store.get_api("gone").await.expect("get_api"), None);
    assert!(store.get_api("kept").await.expect("get_api").is_some());
    let left: Vec<_> = store
        .list_client_grants()
        .await
        .expect("list_client_grants")
        .into_iter()
        .map(|g| g.grant_id)
        .collect();
    assert_eq!(left, ["cg-3"]);
}

/// `create_client_grant` then `find_client_grant` returns the record; other pairs are `None`.
pub async fn client_grant_create_find_roundtrip(store: &dyn Store) {
    let mut grant = sample::client_grant("cg-1", "m2m", AUD, T0);
    grant.scopes = vec!["read:things".to_owned(), "write:things".to_owned()];
    store
        .create_client_grant(&grant)
        .await
        .expect("create_client_grant");
    let found = store.find_client_grant("m2m", AUD).await;
    assert_eq!(found.expect("find_client_grant"), Some(grant));
    for (client, aud) in [("other", AUD), ("m2m", "urn:other")] {
        let found = store.find_client_grant(client, aud).await;
        assert_eq!(found.expect("find_client_grant"), None, "({client}, {aud})");
    }
}

/// A second grant for the same (client, audience), or with the same id, is a `Conflict`.
pub async fn client_grant_duplicate_pair_conflicts(store: &dyn Store) {
    let first = sample::client_grant("cg-1", "m2m", AUD, T0);
    store
        .create_client_grant(&first)
        .await
        .expect("create_client_grant");
    let same_pair = sample::client_grant("cg-2", "m2m", AUD, T0 + 1);
    assert_conflict(
        store.create_client_grant(&same_pair).await,
        "duplicate (client, audience)",
    );
    let same_id = sample::client_grant("cg-1", "m2m-2", "urn:other", T0 + 1);
    assert_conflict(
        store.create_client_grant(&same_id).await,
        "duplicate client grant id",
    );
    let all = store
        .list_client_grants()
        .await
        .expect("list_client_grants");
    assert_eq!(all, [first]);
}

/// `list_client_grants` is ordered by `created_at`, then `grant_id`.
pub async fn client_grant_list_ordered_by_creation_then_id(store: &dyn Store) {
    for (id, at) in [
        ("g-b", T0 + 10),
        ("g-a", T0 + 20),
        ("g-c", T0 + 10),
        ("g-d", T0),
    ] {
        let grant = sample::client_grant(id, &format!("client-{id}"), AUD, at);
        store
            .create_client_grant(&grant)
            .await
            .expect("create_client_grant");
    }
    let ids: Vec<_> = store
        .list_client_grants()
        .await
        .expect("list_client_grants")
        .into_iter()
        .map(|g| g.grant_id)
        .collect();
    assert_eq!(ids, ["g-d", "g-b", "g-c", "g-a"]);
}

/// `update_client_grant` replaces the scopes.
pub async fn client_grant_update_replaces_scopes(store: &dyn Store) {
    let grant = sample::client_grant("cg-1", "m2m", AUD, T0);
    store
        .create_client_grant(&grant)
        .await
        .expect("create_client_grant");
    for scopes in [vec!["a".to_owned(), "b".to_owned()], vec![]] {
        let updated = ClientGrant {
            scopes: scopes.clone(),
            ..grant.clone()
        };
        store
            .update_client_grant(&updated)
            .await
            .expect("update_client_grant");
        let found = store.find_client_grant("m2m", AUD).await;
        assert_eq!(found.expect("find_client_grant"), Some(updated));
    }
}

/// Updating an absent client grant is `NotFound` and creates nothing.
pub async fn client_grant_update_absent_is_not_found(store: &dyn Store) {
    let ghost = sample::client_grant("ghost", "m2m", AUD, T0);
    assert_not_found(
        store.update_client_grant(&ghost).await,
        "update_client_grant of an absent grant",
    );
    let all = store
        .list_client_grants()
        .await
        .expect("list_client_grants");
    assert!(all.is_empty());
}

/// `delete_client_grant` removes one grant; an absent one is `NotFound`.
pub async fn client_grant_delete(store: &dyn Store) {
    for (gid, aud) in [("cg-1", AUD), ("cg-2", "urn:other")] {
        let grant = sample::client_grant(gid, "m2m", aud, T0);
        store
            .create_client_grant(&grant)
            .await
            .expect("create_client_grant");
    }
    store
        .delete_client_grant("cg-1")
        .await
        .expect("delete_client_grant");
    let found = store.find_client_grant("m2m", AUD).await;
    assert_eq!(found.expect("find_client_grant"), None);
    let other = store.find_client_grant("m2m", "urn:other").await;
    assert!(other.expect("find_client_grant").is_some());
    assert_not_found(
        store.delete_client_grant("cg-1").await,
        "deleting a deleted client grant",
    );
}
