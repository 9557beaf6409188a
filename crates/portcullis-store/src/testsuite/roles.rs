//! `RoleStore`: roles, their permissions, and their assignments to users.

use super::sample::{self, T0};
use super::{assert_conflict, assert_not_found};
use crate::*;

const API: &str = "https://api.example/";

fn perm(name: &str) -> Permission {
    Permission::new(API, name)
}

async fn with_user(store: &dyn Store, user_id: &str) {
    store
        .create_user(&sample::user(
            user_id,
            &format!("{user_id}@example.com"),
            T0,
        ))
        .await
        .expect("create_user");
}

/// `create_role` then `get_role` / `get_role_by_name` return it; `list_roles` is ordered by
/// name; a taken id or name is a `Conflict`.
pub async fn role_create_get_list_and_conflicts(store: &dyn Store) {
    let writer = sample::role("rol_2", "writer", T0);
    let admin = sample::role("rol_1", "admin", T0 + 1);
    for r in [&writer, &admin] {
        store.create_role(r).await.expect("create_role");
    }
    assert_eq!(
        store.get_role("rol_2").await.expect("get_role"),
        Some(writer.clone())
    );
    assert_eq!(
        store.get_role_by_name("admin").await.expect("by name"),
        Some(admin.clone())
    );
    assert_eq!(store.get_role("rol_9").await.expect("get_role"), None);
    assert_eq!(
        store.get_role_by_name("Admin").await.expect("by name"),
        None
    );
    assert_eq!(
        store.list_roles().await.expect("list_roles"),
        vec![admin.clone(), writer.clone()]
    );
    assert_conflict(
        store.create_role(&sample::role("rol_2", "other", T0)).await,
        "duplicate role id",
    );
    assert_conflict(
        store.create_role(&sample::role("rol_3", "admin", T0)).await,
        "duplicate role name",
    );
}

/// `update_role` replaces name and description; absent is `NotFound`, a taken name `Conflict`.
pub async fn role_update_replaces_fields(store: &dyn Store) {
    store
        .create_role(&sample::role("rol_1", "admin", T0))
        .await
        .expect("create_role");
    store
        .create_role(&sample::role("rol_2", "writer", T0))
        .await
        .expect("create_role");
    let renamed = Role {
        name: "owner".to_owned(),
        description: "Owns it".to_owned(),
        updated_at: T0 + 5,
        ..sample::role("rol_1", "admin", T0)
    };
    store.update_role(&renamed).await.expect("update_role");
    assert_eq!(
        store.get_role("rol_1").await.expect("get_role"),
        Some(renamed.clone())
    );
    assert_conflict(
        store
            .update_role(&Role {
                name: "writer".to_owned(),
                ..renamed.clone()
            })
            .await,
        "rename to a taken name",
    );
    assert_not_found(
        store.update_role(&sample::role("rol_9", "ghost", T0)).await,
        "update absent role",
    );
}

/// Permissions are added idempotently, listed in order, and removed; unknown roles are
/// `NotFound`.
pub async fn role_permissions_add_list_remove(store: &dyn Store) {
    store
        .create_role(&sample::role("rol_1", "admin", T0))
        .await
        .expect("create_role");
    // Ordered bytewise by identifier: "https://…" before "urn:…".
    let other = Permission::new("urn:aaa", "read:x");
    store
        .add_role_permissions(
            "rol_1",
            &[perm("write:things"), perm("read:things"), other.clone()],
        )
        .await
        .expect("add");
    store
        .add_role_permissions("rol_1", &[perm("read:things")])
        .await
        .expect("add again");
    assert_eq!(
        store.list_role_permissions("rol_1").await.expect("list"),
        vec![perm("read:things"), perm("write:things"), other.clone()]
    );
    store
        .remove_role_permissions("rol_1", &[perm("write:things"), perm("never:held")])
        .await
        .expect("remove");
    assert_eq!(
        store.list_role_permissions("rol_1").await.expect("list"),
        vec![perm("read:things"), other]
    );
    assert_not_found(
        store
            .add_role_permissions("rol_9", &[perm("read:things")])
            .await,
        "add to absent role",
    );
    assert_not_found(
        store
            .remove_role_permissions("rol_9", &[perm("read:things")])
            .await,
        "remove from absent role",
    );
    assert!(
        store
            .list_role_permissions("rol_9")
            .await
            .expect("list")
            .is_empty()
    );
}

/// Roles are assigned to users idempotently; unknown users or roles change nothing; a user's
/// permissions are the union of their roles', filtered by API on request.
pub async fn user_roles_assign_list_and_permissions(store: &dyn Store) {
    with_user(store, "u1").await;
    with_user(store, "u2").await;
    for (id, name) in [("rol_1", "reader"), ("rol_2", "admin")] {
        store
            .create_role(&sample::role(id, name, T0))
            .await
            .expect("create_role");
    }
    store
        .add_role_permissions("rol_1", &[perm("read:things")])
        .await
        .expect("add");
    store
        .add_role_permissions(
            "rol_2",
            &[
                perm("read:things"),
                perm("write:things"),
                Permission::new("urn:b", "x"),
            ],
        )
        .await
        .expect("add");
    let both = vec!["rol_1".to_owned(), "rol_2".to_owned()];
    store.assign_user_roles("u1", &both).await.expect("assign");
    store
        .assign_user_roles("u1", &both[..1])
        .await
        .expect("assign again");
    store
        .assign_user_roles("u2", &both[..1])
        .await
        .expect("assign");
    assert_not_found(
        store.assign_user_roles("ghost", &both[..1]).await,
        "assign to absent user",
    );
    assert_not_found(
        store
            .assign_user_roles("u2", &["rol_2".to_owned(), "rol_9".to_owned()])
            .await,
        "assign an absent role",
    );
    let names: Vec<String> = store
        .list_user_roles("u2")
        .await
        .expect("list_user_roles")
        .into_iter()
        .map(|r| r.name)
        .collect();
    assert_eq!(names, vec!["reader"], "a failed assignment changed nothing");
    let names: Vec<String> = store
        .list_user_roles("u1")
        .await
        .expect("list_user_roles")
        .into_iter()
        .map(|r| r.name)
        .collect();
    assert_eq!(names, vec!["admin", "reader"]);
    assert_eq!(
        store
            .list_role_users("rol_1")
            .await
            .expect("list_role_users"),
        vec!["u1".to_owned(), "u2".to_owned()]
    );

    let held = store
        .list_user_permissions("u1", Some(API))
        .await
        .expect("perms");
    let pairs: Vec<(&str, &str)> = held
        .iter()
        .map(|p| (p.permission.permission_name.as_str(), p.role_id.as_str()))
        .collect();
    assert_eq!(
        pairs,
        vec![
            ("read:things", "rol_1"),
            ("read:things", "rol_2"),
            ("write:things", "rol_2")
        ]
    );
    let all = store
        .list_user_permissions("u1", None)
        .await
        .expect("perms");
    assert_eq!(all.len(), 4);
    assert_eq!(all[3].permission, Permission::new("urn:b", "x"));

    store
        .remove_user_roles("u1", &["rol_2".to_owned(), "rol_9".to_owned()])
        .await
        .expect("remove");
    let held = store
        .list_user_permissions("u1", Some(API))
        .await
        .expect("perms");
    assert_eq!(held.len(), 1);
    assert!(
        store
            .list_user_permissions("ghost", None)
            .await
            .expect("perms")
            .is_empty()
    );
}

/// Deleting a role removes its permissions and assignments; deleting a user removes theirs;
/// deleting an API removes the roles' permissions for it; pruning keeps only what is listed.
pub async fn role_deletes_cascade(store: &dyn Store) {
    with_user(store, "u1").await;
    store
        .create_api(&sample::api("api-1", API, T0))
        .await
        .expect("create_api");
    for (id, name) in [("rol_1", "reader"), ("rol_2", "admin")] {
        store
            .create_role(&sample::role(id, name, T0))
            .await
            .expect("create_role");
        store
            .add_role_permissions(
                id,
                &[
                    perm("read:things"),
                    perm("write:things"),
                    Permission::new("urn:b", "x"),
                ],
            )
            .await
            .expect("add");
    }
    store
        .assign_user_roles("u1", &["rol_1".to_owned(), "rol_2".to_owned()])
        .await
        .expect("assign");

    let pruned = store
        .prune_api_permissions(API, &["read:things".to_owned()])
        .await
        .expect("prune");
    assert_eq!(pruned, 2);
    assert_eq!(
        store.list_role_permissions("rol_1").await.expect("list"),
        vec![perm("read:things"), Permission::new("urn:b", "x")]
    );

    store.delete_role("rol_2").await.expect("delete_role");
    assert_eq!(store.get_role("rol_2").await.expect("get_role"), None);
    assert!(
        store
            .list_role_permissions("rol_2")
            .await
            .expect("list")
            .is_empty()
    );
    assert!(
        store
            .list_role_users("rol_2")
            .await
            .expect("users")
            .is_empty()
    );
    assert_not_found(store.delete_role("rol_2").await, "delete absent role");

    store.delete_api("api-1").await.expect("delete_api");
    assert_eq!(
        store.list_role_permissions("rol_1").await.expect("list"),
        vec![Permission::new("urn:b", "x")]
    );

    store.delete_user("u1").await.expect("delete_user");
    assert!(
        store
            .list_role_users("rol_1")
            .await
            .expect("users")
            .is_empty()
    );
    // A new user with the old id does not inherit the roles.
    with_user(store, "u1").await;
    assert!(store.list_user_roles("u1").await.expect("roles").is_empty());
}

/// Lookups by keys holding NUL find nothing (PostgreSQL cannot store them).
pub async fn role_lookups_by_keys_holding_nul_find_nothing(store: &dyn Store) {
    let nul = "rol\u{0}";
    assert_eq!(store.get_role(nul).await.expect("get_role"), None);
    assert_eq!(store.get_role_by_name(nul).await.expect("by name"), None);
    assert!(
        store
            .list_role_permissions(nul)
            .await
            .expect("perms")
            .is_empty()
    );
    assert!(store.list_user_roles(nul).await.expect("roles").is_empty());
    assert!(store.list_role_users(nul).await.expect("users").is_empty());
    assert!(
        store
            .list_user_permissions(nul, Some(nul))
            .await
            .expect("perms")
            .is_empty()
    );
    assert_not_found(
        store
            .add_role_permissions(nul, &[perm("read:things")])
            .await,
        "add to a NUL role",
    );
    assert_not_found(
        store.assign_user_roles(nul, &[nul.to_owned()]).await,
        "assign to a NUL user",
    );
    store
        .remove_user_roles(nul, &[nul.to_owned()])
        .await
        .expect("remove from a NUL user");
}
