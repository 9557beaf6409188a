//! `TenantStore`: a list of changes applies in full or not at all.

use super::sample::{T0, api, client, client_grant, role, user};
use super::{assert_conflict, assert_not_found};
use crate::*;

/// Every kind of change, in order, lands; later changes see earlier ones (a grant to an API
/// and a client created in the same list).
pub async fn tenant_changes_apply_in_order(store: &dyn Store) {
    store
        .create_user(&user("u-old", "old@example.com", T0))
        .await
        .expect("create_user");
    store
        .put_setting("gone", "x", T0)
        .await
        .expect("put_setting");
    let mut renamed = user("u-old", "old@example.com", T0);
    renamed.name = Some("Renamed".to_owned());
    let mut api_v2 = api("api-1", "https://api.example", T0);
    api_v2.name = "API v2".to_owned();
    let mut client_v2 = client("c-1", T0);
    client_v2.name = "Client v2".to_owned();
    let mut grant_v2 = client_grant("cg-1", "c-1", "https://api.example", T0);
    grant_v2.scopes = vec![];
    let mut role_v2 = role("rol_1", "admin", T0);
    role_v2.description = "Administrators".to_owned();
    let read = Permission::new("https://api.example", "read:things");
    let write = Permission::new("https://api.example", "write:things");
    let changes = [
        TenantChange::CreateApi(api("api-1", "https://api.example", T0)),
        TenantChange::UpdateApi(api_v2.clone()),
        TenantChange::CreateClient(client("c-1", T0)),
        TenantChange::UpdateClient(client_v2.clone()),
        TenantChange::CreateClientGrant(client_grant("cg-1", "c-1", "https://api.example", T0)),
        TenantChange::UpdateClientGrant(grant_v2.clone()),
        TenantChange::CreateUser(user("u-new", "New@Example.com", T0)),
        TenantChange::UpdateUser(renamed.clone()),
        TenantChange::PutSetting {
            name: "signup".to_owned(),
            value: "false".to_owned(),
            now: T0,
        },
        TenantChange::DeleteSetting("gone".to_owned()),
        TenantChange::CreateRole(role("rol_1", "admin", T0)),
        TenantChange::UpdateRole(role_v2.clone()),
        TenantChange::AddRolePermissions {
            role_id: "rol_1".to_owned(),
            permissions: vec![read.clone(), write.clone()],
        },
        TenantChange::RemoveRolePermissions {
            role_id: "rol_1".to_owned(),
            permissions: vec![write],
        },
        TenantChange::AssignUserRoles {
            user_id: "u-new".to_owned(),
            role_ids: vec!["rol_1".to_owned()],
        },
        TenantChange::AssignUserRoles {
            user_id: "u-old".to_owned(),
            role_ids: vec!["rol_1".to_owned()],
        },
        TenantChange::RemoveUserRoles {
            user_id: "u-old".to_owned(),
            role_ids: vec!["rol_1".to_owned()],
        },
    ];
    store
        .apply_tenant_changes(&changes)
        .await
        .expect("apply_tenant_changes");
    assert_eq!(
        store.get_role("rol_1").await.expect("get_role"),
        Some(role_v2)
    );
    assert_eq!(
        store.list_role_permissions("rol_1").await.expect("perms"),
        vec![read]
    );
    assert_eq!(
        store.list_role_users("rol_1").await.expect("role users"),
        vec!["u-new".to_owned()]
    );
    assert_eq!(store.get_api("api-1").await.expect("get_api"), Some(api_v2));
    assert_eq!(
        store.get_client("c-1").await.expect("get_client"),
        Some(client_v2)
    );
    assert_eq!(
        store
            .find_client_grant("c-1", "https://api.example")
            .await
            .expect("find_client_grant"),
        Some(grant_v2)
    );
    let new = store.get_user("u-new").await.expect("get_user");
    assert_eq!(new.map(|u| u.email), Some("new@example.com".to_owned()));
    assert_eq!(
        store.get_user("u-old").await.expect("get_user"),
        Some(renamed)
    );
    assert_eq!(
        store.get_setting("signup").await.expect("get_setting"),
        Some("false".to_owned())
    );
    assert_eq!(store.get_setting("gone").await.expect("get_setting"), None);
    store.apply_tenant_changes(&[]).await.expect("no changes");
}

/// A change that fails midway (a taken email, an update of a missing record) fails the whole
/// list with that error, and nothing of the list is left: not the changes before it either.
pub async fn tenant_changes_failing_midway_change_nothing(store: &dyn Store) {
    store
        .create_user(&user("u-1", "ada@example.com", T0))
        .await
        .expect("create_user");
    store
        .put_setting("signup", "true", T0)
        .await
        .expect("put_setting");
    let mut renamed = user("u-1", "ada@example.com", T0);
    renamed.name = Some("Changed".to_owned());
    let before_changes = [
        TenantChange::CreateApi(api("api-1", "https://api.example", T0)),
        TenantChange::CreateClient(client("c-1", T0)),
        TenantChange::CreateClientGrant(client_grant("cg-1", "c-1", "https://api.example", T0)),
        TenantChange::UpdateUser(renamed),
        TenantChange::PutSetting {
            name: "signup".to_owned(),
            value: "false".to_owned(),
            now: T0,
        },
        TenantChange::CreateRole(role("rol_1", "admin", T0)),
        TenantChange::AddRolePermissions {
            role_id: "rol_1".to_owned(),
            permissions: vec![Permission::new("https://api.example", "read:things")],
        },
        TenantChange::AssignUserRoles {
            user_id: "u-1".to_owned(),
            role_ids: vec!["rol_1".to_owned()],
        },
    ];
    let mut conflicting = before_changes.to_vec();
    conflicting.push(TenantChange::CreateUser(user("u-2", "ADA@example.com", T0)));
    assert_conflict(
        store.apply_tenant_changes(&conflicting).await,
        "a taken email",
    );
    let mut missing = before_changes.to_vec();
    missing.push(TenantChange::UpdateClient(client("c-absent", T0)));
    assert_not_found(
        store.apply_tenant_changes(&missing).await,
        "an absent client",
    );

    assert_eq!(store.get_api("api-1").await.expect("get_api"), None);
    assert_eq!(store.get_client("c-1").await.expect("get_client"), None);
    assert!(store.list_client_grants().await.expect("list").is_empty());
    let ada = store.get_user("u-1").await.expect("get_user").expect("ada");
    assert_eq!(ada.name, user("u-1", "ada@example.com", T0).name);
    assert_eq!(store.get_user("u-2").await.expect("get_user"), None);
    assert_eq!(store.get_role("rol_1").await.expect("get_role"), None);
    assert!(
        store
            .list_user_roles("u-1")
            .await
            .expect("roles")
            .is_empty()
    );
    let unknown_role = [
        TenantChange::CreateRole(role("rol_2", "other", T0)),
        TenantChange::AssignUserRoles {
            user_id: "u-1".to_owned(),
            role_ids: vec!["rol_absent".to_owned()],
        },
    ];
    assert_not_found(
        store.apply_tenant_changes(&unknown_role).await,
        "an absent role",
    );
    assert_eq!(store.get_role("rol_2").await.expect("get_role"), None);
    assert_eq!(
        store.get_setting("signup").await.expect("get_setting"),
        Some("true".to_owned())
    );
    // The store still works after the rollbacks.
    store
        .apply_tenant_changes(&before_changes)
        .await
        .expect("the same list without the failing change");
    assert!(store.get_client("c-1").await.expect("get_client").is_some());
}
