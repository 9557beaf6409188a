//! `ClientStore`.

use super::sample::{self, T0};
use super::{assert_conflict, assert_not_found};
use crate::*;

/// `create_client` then `get_client` returns the record unchanged; an unknown id is `None`.
pub async fn client_create_get_roundtrip(store: &dyn Store) {
    let mut public = sample::client("spa-1", T0);
    public.app_type = ApplicationType::Spa;
    public.secret_hash = None;
    public.token_endpoint_auth_method = TokenEndpointAuthMethod::None;
    public.post_logout_redirect_uris = vec![];
    public.web_origins = vec![];
    let confidential = sample::client("web-1", T0 + 1);
    for client in [&public, &confidential] {
        store.create_client(client).await.expect("create_client");
        let got = store
            .get_client(&client.client_id)
            .await
            .expect("get_client");
        assert_eq!(got.as_ref(), Some(client));
    }
    assert_eq!(store.get_client("nope").await.expect("get_client"), None);
}

/// A second client with the same id is a `Conflict`, and the first one is kept.
pub async fn client_duplicate_id_conflicts(store: &dyn Store) {
    let first = sample::client("app-1", T0);
    store.create_client(&first).await.expect("create_client");
    let mut second = sample::client("app-1", T0 + 1);
    second.name = "Impostor".to_owned();
    assert_conflict(store.create_client(&second).await, "duplicate client id");
    let got = store.get_client("app-1").await.expect("get_client");
    assert_eq!(got, Some(first));
}

/// `list_clients` is ordered by `created_at`, then `client_id`.
pub async fn client_list_ordered_by_creation_then_id(store: &dyn Store) {
    for (id, at) in [
        ("c-b", T0 + 10),
        ("c-a", T0 + 20),
        ("c-c", T0 + 10),
        ("c-d", T0),
    ] {
        store
            .create_client(&sample::client(id, at))
            .await
            .expect("create_client");
    }
    let ids: Vec<_> = store
        .list_clients()
        .await
        .expect("list_clients")
        .into_iter()
        .map(|c| c.client_id)
        .collect();
    assert_eq!(ids, ["c-d", "c-b", "c-c", "c-a"]);
}

/// `update_client` replaces every field but `client_id` and `created_at`.
pub async fn client_update_replaces_fields(store: &dyn Store) {
    store
        .create_client(&sample::client("app-1", T0))
        .await
        .expect("create_client");
    store
        .create_client(&sample::client("app-2", T0))
        .await
        .expect("create_client");
    let updated = Client {
        client_id: "app-1".to_owned(),
        name: "Renamed".to_owned(),
        app_type: ApplicationType::Native,
        secret_hash: None,
        token_endpoint_auth_method: TokenEndpointAuthMethod::None,
        redirect_uris: vec!["com.example.app:/callback".to_owned()],
        post_logout_redirect_uris: vec![],
        web_origins: vec![
            "https://a.example".to_owned(),
            "https://b.example".to_owned(),
        ],
        grant_types: vec![GrantType::RefreshToken],
        backchannel_logout_uri: None,
        first_party: true,
        created_at: T0 + 999,
        updated_at: T0 + 50,
    };
    store.update_client(&updated).await.expect("update_client");
    let got = store.get_client("app-1").await.expect("get_client");
    assert_eq!(
        got,
        Some(Client {
            created_at: T0,
            ..updated
        })
    );
    let other = store.get_client("app-2").await.expect("get_client");
    assert_eq!(
        other,
        Some(sample::client("app-2", T0)),
        "other client untouched"
    );
}

/// Updating an absent client is `NotFound` and creates nothing.
pub async fn client_update_absent_is_not_found(store: &dyn Store) {
    assert_not_found(
        store.update_client(&sample::client("ghost", T0)).await,
        "update_client of an absent client",
    );
    assert_eq!(store.get_client("ghost").await.expect("get_client"), None);
}

/// Deleting an absent client is `NotFound`.
pub async fn client_delete_absent_is_not_found(store: &dyn Store) {
    assert_not_found(
        store.delete_client("ghost").await,
        "delete_client of an absent client",
    );
}

/// `delete_client` also deletes its client grants, grants, codes, refresh tokens and access
/// tokens, and nothing of other clients.
pub async fn client_delete_cascades(store: &dyn Store) {
    store
        .create_api(&sample::api("api-1", "https://api.example/", T0))
        .await
        .expect("create_api");
    for c in ["gone", "kept"] {
        store
            .create_client(&sample::client(c, T0))
            .await
            .expect("create_client");
        store
            .create_client_grant(&sample::client_grant(
                &format!("cg-{c}"),
                c,
                "https://api.example/",
                T0,
            ))
            .await
            .expect("create_client_grant");
        store
            .insert_code(&sample::code(
                &format!("code-{c}"),
                &format!("g-{c}"),
                c,
                "u",
                "s",
            ))
            .await
            .expect("insert_code");
        store
            .create_grant(&sample::grant(&format!("g-{c}"), c, "u", Some("s"), false))
            .await
            .expect("create_grant");
        store
            .insert_refresh_token(&sample::refresh(&format!("rt-{c}"), &format!("g-{c}"), c))
            .await
            .expect("insert_refresh_token");
        let grant_id = format!("g-{c}");
        store
            .insert_access_token(&sample::access(&format!("at-{c}"), Some(&grant_id), c, "u"))
            .await
            .expect("insert_access_token");
        store
            .insert_access_token(&sample::access(&format!("m2m-{c}"), None, c, c))
            .await
            .expect("insert_access_token");
    }

    store.delete_client("gone").await.expect("delete_client");

    assert_eq!(store.get_client("gone").await.expect("get_client"), None);
    let find = store
        .find_client_grant("gone", "https://api.example/")
        .await;
    assert_eq!(find.expect("find_client_grant"), None);
    assert_not_found(
        store.consume_code("code-gone", T0 + 1).await,
        "code of a deleted client",
    );
    assert_eq!(store.get_grant("g-gone").await.expect("get_grant"), None);
    let rt = store.get_refresh_token("rt-gone").await;
    assert_eq!(rt.expect("get_refresh_token"), None);
    for jti in ["at-gone", "m2m-gone"] {
        let at = store.get_access_token(jti).await.expect("get_access_token");
        assert_eq!(at, None, "{jti} deleted");
    }

    assert!(
        store
            .get_client("kept")
            .await
            .expect("get_client")
            .is_some()
    );
    let find = store
        .find_client_grant("kept", "https://api.example/")
        .await;
    assert!(find.expect("find_client_grant").is_some());
    store
        .consume_code("code-kept", T0 + 1)
        .await
        .expect("other client's code still there");
    assert!(
        store
            .get_grant("g-kept")
            .await
            .expect("get_grant")
            .is_some()
    );
    let rt = store.get_refresh_token("rt-kept").await;
    assert!(rt.expect("get_refresh_token").is_some());
    for jti in ["at-kept", "m2m-kept"] {
        let at = store.get_access_token(jti).await.expect("get_access_token");
        assert!(at.is_some(), "{jti} kept");
    }
    assert!(
        store.get_api("api-1").await.expect("get_api").is_some(),
        "APIs are not the client's"
    );
}
