//! Keys as requests send them: lookups by any text answer, whatever the text holds.

use super::assert_not_found;
use super::sample::{self, T0};
use crate::*;

/// Lookups by a key holding NUL (U+0000), as a hostile `client_id` or `email` may, find
/// nothing: they do not fail. (PostgreSQL text cannot hold NUL and refuses such a parameter, so
/// its backend answers these without asking the database.)
pub async fn lookups_by_keys_holding_nul_find_nothing(store: &dyn Store) {
    let nul = "app\u{0}";
    store
        .create_client(&sample::client("app", T0))
        .await
        .expect("create_client");
    let none = |what: &str, found: bool| assert!(!found, "{what} found a record for {nul:?}");
    none(
        "get_client",
        store.get_client(nul).await.expect("get_client").is_some(),
    );
    none(
        "get_user",
        store.get_user(nul).await.expect("get_user").is_some(),
    );
    let by_email = store.get_user_by_email("a\u{0}@example.com").await;
    none(
        "get_user_by_email",
        by_email.expect("get_user_by_email").is_some(),
    );
    none(
        "get_api",
        store.get_api(nul).await.expect("get_api").is_some(),
    );
    let by_identifier = store.get_api_by_identifier(nul).await;
    none(
        "get_api_by_identifier",
        by_identifier.expect("by identifier").is_some(),
    );
    let client_grant = store.find_client_grant(nul, nul).await;
    none(
        "find_client_grant",
        client_grant.expect("find_client_grant").is_some(),
    );
    none(
        "get_code",
        store.get_code(nul).await.expect("get_code").is_some(),
    );
    assert_not_found(store.consume_code(nul, T0).await, "consume_code");
    none(
        "get_grant",
        store.get_grant(nul).await.expect("get_grant").is_some(),
    );
    let refresh = store.get_refresh_token(nul).await;
    none(
        "get_refresh_token",
        refresh.expect("get_refresh_token").is_some(),
    );
    let code = store.get_code_in_use(nul).await;
    none("get_code_in_use", code.expect("get_code_in_use").is_some());
    let in_use = store.get_refresh_token_in_use(nul).await;
    none(
        "get_refresh_token_in_use",
        in_use.expect("get_refresh_token_in_use").is_some(),
    );
    let rotated = store
        .rotate_refresh_token(nul, &sample::refresh("r-new", "g", "app"), T0)
        .await;
    assert_not_found(rotated, "rotate_refresh_token");
    let access = store.get_access_token(nul).await;
    none(
        "get_access_token",
        access.expect("get_access_token").is_some(),
    );
    let live = store.access_token_live(nul, Some(nul)).await;
    none("access_token_live", live.expect("access_token_live"));
    for (jti, grant, user) in [(nul, None, "u"), ("j", Some(nul), "u"), ("j", None, nul)] {
        let user = store.live_token_user(jti, grant, user).await;
        none("live_token_user", user.expect("live_token_user").is_some());
    }
    store
        .revoke_access_token(nul, T0)
        .await
        .expect("revoke_access_token");
    none(
        "get_session",
        store.get_session(nul).await.expect("get_session").is_some(),
    );
    let by_secret = store.get_session_by_secret_hash(nul).await;
    none(
        "get_session_by_secret_hash",
        by_secret.expect("by secret").is_some(),
    );
    let clients = store
        .session_client_ids(nul)
        .await
        .expect("session_client_ids");
    assert!(clients.is_empty(), "{clients:?}");
}
