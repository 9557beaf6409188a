use super::{Env, NOW};
use crate::admin::dev::*;
use crate::admin::tenant::*;
use crate::admin::{apps, users};
use std::collections::HashMap;

fn parse(text: &str) -> TenantFile {
    toml::from_str(text).unwrap()
}

fn no_env(_: &str) -> Option<String> {
    None
}

async fn apply_text(env: &Env, text: &str) -> Result<ApplyReport, crate::admin::AdminError> {
    apply(
        env.s(),
        &env.hasher,
        &env.passwords,
        &env.key.sealer(),
        &parse(text),
        &no_env,
        NOW,
    )
    .await
}

#[tokio::test]
async fn dev_tenant_applies_then_reapplies_without_changes() {
    let env = Env::new().await;
    let report = apply_text(&env, DEV_TENANT_TOML).await.unwrap();
    assert_eq!(report.counts(), (7, 0, 0), "{report}");
    assert!(report.generated_secrets.is_empty(), "dev secrets are fixed");

    let web = apps::get_app(env.s(), DEV_WEB_CLIENT_ID).await.unwrap();
    assert!(
        env.hasher
            .verify(DEV_WEB_CLIENT_SECRET, web.secret_hash.as_deref().unwrap())
    );
    assert_eq!(web.redirect_uris.len(), 3);
    let m2m = apps::get_app(env.s(), DEV_M2M_CLIENT_ID).await.unwrap();
    assert!(
        env.hasher
            .verify(DEV_M2M_CLIENT_SECRET, m2m.secret_hash.as_deref().unwrap())
    );
    assert!(
        apps::get_app(env.s(), DEV_SPA_CLIENT_ID)
            .await
            .unwrap()
            .secret_hash
            .is_none()
    );
    let user = users::find_user(env.s(), DEV_USER_EMAIL).await.unwrap();
    assert!(
        env.passwords
            .verify(DEV_USER_PASSWORD, user.password_hash.as_deref())
            .await
            .unwrap()
    );
    for (identifier, _) in DEV_APIS {
        crate::admin::apis::get_api(env.s(), identifier)
            .await
            .unwrap();
    }

    let again = apply_text(&env, DEV_TENANT_TOML).await.unwrap();
    assert!(!again.changed_anything(), "{again}");
    assert_eq!(again.counts(), (0, 0, 7));
    assert!(again.to_string().starts_with("no changes"), "{again}");
}

const BASE: &str = r#"
[[applications]]
client_id = "web"
name = "Web"
app_type = "regular-web"
callbacks = ["https://app.example/cb"]
client_secret_env = "WEB_SECRET"

[[applications]]
client_id = "m2m"
name = "Worker"
app_type = "m2m"

[[apis]]
identifier = "https://api.example"
scopes = [{ value = "read" }, { value = "write" }]

[[client_grants]]
client_id = "m2m"
audience = "https://api.example"
scopes = ["read", "write"]

[[users]]
email = "Ana@Example.com"
password_env = "ANA_PASSWORD"
name = "Ana"
"#;

#[tokio::test]
async fn updates_only_what_differs_and_keeps_secrets_unless_changed() {
    let env = Env::new().await;
    let vars: HashMap<&str, &str> = HashMap::from([
        ("WEB_SECRET", "web-secret-0123456789-0123456789-abc"),
        ("ANA_PASSWORD", "ana's password"),
    ]);
    let lookup = |name: &str| vars.get(name).map(|v| v.to_string());
    let file = parse(BASE);
    let first = apply(
        env.s(),
        &env.hasher,
        &env.passwords,
        &env.key.sealer(),
        &file,
        &lookup,
        NOW,
    )
    .await
    .unwrap();
    assert_eq!(first.counts(), (5, 0, 0));
    assert_eq!(
        first.generated_secrets.len(),
        1,
        "m2m had no secret in the file"
    );
    assert_eq!(first.generated_secrets[0].0, "m2m");
    let m2m_hash = apps::get_app(env.s(), "m2m").await.unwrap().secret_hash;

    let second = apply(
        env.s(),
        &env.hasher,
        &env.passwords,
        &env.key.sealer(),
        &file,
        &lookup,
        NOW,
    )
    .await
    .unwrap();
    assert!(!second.changed_anything(), "{second}");
    assert!(second.generated_secrets.is_empty());
    assert_eq!(
        apps::get_app(env.s(), "m2m").await.unwrap().secret_hash,
        m2m_hash
    );

    // Change the web secret, a callback, an API scope and the password.
    let changed_vars: HashMap<&str, &str> = HashMap::from([
        ("WEB_SECRET", "another-secret-0123456789-0123456789"),
        ("ANA_PASSWORD", "a new password"),
    ]);
    let lookup2 = |name: &str| changed_vars.get(name).map(|v| v.to_string());
    let edited = BASE
        .replace(
            "https://app.example/cb\"]",
            "https://app.example/cb\", \"https://app.example/cb2\"]",
        )
        .replace(
            "{ value = \"read\" }, { value = \"write\" }",
            "{ value = \"read\" }",
        )
        .replace("scopes = [\"read\", \"write\"]", "scopes = [\"read\"]");
    let third = apply(
        env.s(),
        &env.hasher,
        &env.passwords,
        &env.key.sealer(),
        &parse(&edited),
        &lookup2,
        NOW,
    )
    .await
    .unwrap();
    let (created, updated, unchanged) = third.counts();
    assert_eq!((created, updated, unchanged), (0, 4, 1), "{third}");
    let text = third.to_string();
    assert!(
        text.contains("updated application web (callbacks, client_secret)"),
        "{text}"
    );
    assert!(
        text.contains("updated user ana@example.com (password)"),
        "{text}"
    );
    assert!(!text.contains("another-secret"), "never prints secrets");
    let web = apps::get_app(env.s(), "web").await.unwrap();
    assert!(env.hasher.verify(
        "another-secret-0123456789-0123456789",
        web.secret_hash.as_deref().unwrap()
    ));

    // Entries the file no longer mentions are kept.
    let only_api =
        "[[apis]]\nidentifier = \"https://api.example\"\nscopes = [{ value = \"read\" }]\n";
    let fourth = apply_text(&env, only_api).await.unwrap();
    assert!(!fourth.changed_anything(), "{fourth}");
    assert_eq!(apps::list_apps(env.s()).await.unwrap().len(), 2);
}

#[tokio::test]
async fn errors_name_the_entry_and_a_bad_file_changes_nothing() {
    let env = Env::new().await;
    let text = r#"
[[apis]]
identifier = "https://api.example"

[[applications]]
client_id = "ok"
name = "OK"
app_type = "spa"

[[applications]]
client_id = "also-ok"
name = "Also OK"
app_type = "spa"

[[applications]]
client_id = "demo-web"
name = "Web"
app_type = "regular_web"
callbacks = ["http://evil.example/cb"]
"#;
    let err = apply_text(&env, text).await.unwrap_err().to_string();
    assert!(
        err.starts_with(
            "applications[2] (demo-web): callback \"http://evil.example/cb\" uses http"
        ),
        "{err}"
    );
    assert!(
        crate::admin::apis::list_apis(env.s())
            .await
            .unwrap()
            .is_empty(),
        "nothing written"
    );

    let cases = [
        (
            "[[applications]]\nclient_id = \"x\"\nname = \"X\"\napp_type = \"spa\"\nclient_secret = \"0123456789012345678901234567890123\"\n",
            "applications[0] (x): client_secret: a single-page application is public",
        ),
        (
            "[[applications]]\nclient_id = \"x\"\nname = \"X\"\napp_type = \"m2m\"\nclient_secret_env = \"NOPE\"\n",
            "applications[0] (x): environment variable NOPE is not set",
        ),
        (
            "[[applications]]\nclient_id = \"x\"\nname = \"X\"\napp_type = \"m2m\"\nclient_secret = \"short\"\n",
            "applications[0] (x): client_secret: must be at least 32 characters",
        ),
        (
            "[[client_grants]]\nclient_id = \"x\"\naudience = \"https://api.example\"\n",
            "client_grants[0] (x → https://api.example): no application \"x\"",
        ),
        (
            "[[users]]\nemail = \"a@example.com\"\npassword = \"short\"\n",
            "users[0] (a@example.com): password: Use at least 8 characters.",
        ),
        (
            "[[users]]\nemail = \"a@example.com\"\npassword = \"Password123\"\n",
            "users[0] (a@example.com): password: This password is too common: it appears in lists of leaked passwords. Choose another.",
        ),
        (
            "[[users]]\nemail = \"ana.lopez@example.com\"\npassword = \"Ana.Lopez2024\"\n",
            "users[0] (ana.lopez@example.com): password: Don't use your email address in your password.",
        ),
        (
            "[[users]]\nemail = \"a@example.com\"\n[[users]]\nemail = \"A@example.com\"\n",
            "users[1] (A@example.com): entry: email \"a@example.com\" is already declared at index 0",
        ),
        (
            "version = 2\n",
            "version: this Portcullis reads tenant files of version 1, not 2",
        ),
    ];
    for (text, expected) in cases {
        let err = apply_text(&env, text).await.unwrap_err().to_string();
        assert!(err.starts_with(expected), "{err}\nexpected: {expected}");
    }
}

#[tokio::test]
async fn every_problem_of_a_file_is_reported_at_once_with_its_entry() {
    let env = Env::new().await;
    let text = r#"
version = 3

[[apis]]
identifier = "not a uri"

[[applications]]
client_id = "web"
name = "Web"
app_type = "regular_web"
callbacks = ["http://evil.example/cb"]

[[applications]]
client_id = "spa"
name = "SPA"
app_type = "single_page"

[[applications]]
client_id = "ok"
name = "OK"
app_type = "spa"

[[applications]]
client_id = "ok"
name = "OK again"
app_type = "spa"

[[client_grants]]
client_id = "web"
audience = "https://api.example"

[[client_grants]]
client_id = "ghost"
audience = "https://api.example"

[[users]]
email = "not-an-email"

[[users]]
email = "b@example.com"
password_env = "UNSET_VARIABLE"
"#;
    let err = apply_text(&env, text).await.unwrap_err().to_string();
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines[0], "8 problems:", "{err}");
    for expected in [
        "  version: this Portcullis reads tenant files of version 1, not 3",
        "  apis[0] (not a uri): ",
        "  applications[0] (web): callback \"http://evil.example/cb\" uses http",
        "  applications[1] (spa): ",
        "  applications[3] (ok): entry: client_id \"ok\" is already declared at index 2",
        "  client_grants[1] (ghost → https://api.example): no application \"ghost\"",
        "  users[0] (not-an-email): ",
        "  users[1] (b@example.com): environment variable UNSET_VARIABLE is not set",
    ] {
        assert!(
            lines.iter().any(|l| l.starts_with(expected)),
            "missing {expected:?} in:\n{err}"
        );
    }
    // The grant of the refused application `web` is not reported a second time.
    assert!(!err.contains("client_grants[0]"), "{err}");
    assert!(
        apps::list_apps(env.s()).await.unwrap().is_empty(),
        "nothing written"
    );
}

#[test]
fn unknown_fields_are_refused() {
    let err = toml::from_str::<TenantFile>(
        "[[applications]]\nclient_id = \"x\"\nname = \"X\"\napp_type = \"spa\"\ncallback = []\n",
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("unknown field `callback`"),
        "{err}"
    );
}

#[tokio::test]
async fn the_tenant_table_sets_signup_and_leaving_it_out_falls_back() {
    let env = Env::new().await;
    let off = "[tenant]\nsignup = false\n";
    let report = apply_text(&env, off).await.unwrap();
    assert_eq!(report.counts(), (1, 0, 0));
    assert_eq!(
        env.s().get_setting("signup").await.unwrap().as_deref(),
        Some("false")
    );
    let again = apply_text(&env, off).await.unwrap();
    assert!(!again.changed_anything());
    let on = apply_text(&env, "[tenant]\nsignup = true\n").await.unwrap();
    assert_eq!(on.counts(), (0, 1, 0));
    apply_text(&env, "").await.unwrap();
    assert_eq!(env.s().get_setting("signup").await.unwrap(), None);
    assert!(
        toml::from_str::<TenantFile>("[tenant]\nsignups = false\n").is_err(),
        "unknown keys are refused"
    );
}

/// An apply that fails while writing (two new users with one `user_id`, which checking each
/// entry against the database cannot see) leaves the database as it was: not even the
/// applications, APIs and settings listed before the failing user are written.
#[tokio::test]
async fn an_apply_failing_midway_changes_nothing() {
    let env = Env::new().await;
    apply_text(
        &env,
        "[[users]]\nemail = \"old@example.com\"\nname = \"Old\"\n",
    )
    .await
    .unwrap();
    let file = r#"
[tenant]
signup = false

[[applications]]
client_id = "web"
name = "Web"
app_type = "regular_web"
callbacks = ["https://app.example.com/callback"]

[[apis]]
identifier = "https://api.example.com"
name = "API"

[[roles]]
name = "reader"

[[connections]]
name = "github"
strategy = "github"
client_id = "gh-client"
client_secret = "gh-secret"

[[users]]
email = "old@example.com"
name = "Renamed"
roles = ["reader"]

[[users]]
email = "a@example.com"
user_id = "same-id"
roles = ["reader"]

[[users]]
email = "b@example.com"
user_id = "same-id"
"#;
    let err = apply_text(&env, file).await.unwrap_err();
    assert!(err.to_string().contains("already exists"), "{err}");
    assert!(env.s().list_clients().await.unwrap().is_empty());
    assert!(env.s().list_apis().await.unwrap().is_empty());
    let users = env.s().list_users().await.unwrap();
    assert_eq!(users.len(), 1);
    assert_eq!(users[0].name.as_deref(), Some("Old"));
    assert_eq!(env.s().get_setting("signup").await.unwrap(), None);
    assert!(env.s().list_roles().await.unwrap().is_empty());
    assert_eq!(
        env.s()
            .get_setting(crate::upstream::stored::SETTING)
            .await
            .unwrap(),
        None
    );
    assert!(
        env.s()
            .list_user_roles(&users[0].user_id)
            .await
            .unwrap()
            .is_empty()
    );

    // The same file without the clash applies in full.
    let fixed = file.replace(
        "email = \"b@example.com\"\nuser_id = \"same-id\"",
        "email = \"b@example.com\"",
    );
    let report = apply_text(&env, &fixed).await.unwrap();
    assert_eq!(report.counts(), (7, 1, 0), "{report}");
    let stored = crate::upstream::stored::declarations(env.s())
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].name, "github");
    assert_eq!(env.s().list_users().await.unwrap().len(), 3);
    let (old, roles) = crate::admin::roles::user_roles(env.s(), "old@example.com")
        .await
        .unwrap();
    assert_eq!(roles.len(), 1);
    assert_eq!(old.name.as_deref(), Some("Renamed"));
    let updated = report
        .changes
        .iter()
        .find(|c| c.key == "old@example.com")
        .unwrap();
    assert_eq!(updated.action, Action::Updated(vec!["name", "roles"]));
    let (_, roles) = crate::admin::roles::user_roles(env.s(), "a@example.com")
        .await
        .unwrap();
    assert_eq!(roles.len(), 1, "a user created by the file gets its roles");
}

/// Blocking a user or changing their password through the file lists them for signing out
/// (the caller ends their sessions with back-channel logout); other changes do not.
#[tokio::test]
async fn blocked_users_and_new_passwords_are_listed_for_signing_out() {
    let env = Env::new().await;
    let base = "[[users]]\nemail = \"a@example.com\"\npassword = \"long enough 1\"\n";
    let report = apply_text(&env, base).await.unwrap();
    assert!(report.sign_out.is_empty());
    let id = users::find_user(env.s(), "a@example.com")
        .await
        .unwrap()
        .user_id;
    let report = apply_text(&env, &format!("{base}name = \"A\"\n"))
        .await
        .unwrap();
    assert!(report.sign_out.is_empty(), "a new name signs nobody out");
    let report = apply_text(&env, &format!("{base}blocked = true\n"))
        .await
        .unwrap();
    assert_eq!(report.sign_out, vec![id.clone()]);
    let other = base.replace("long enough 1", "long enough 2");
    let report = apply_text(&env, &other).await.unwrap();
    assert_eq!(report.sign_out, vec![id]);
}

const RBAC_TENANT: &str = r#"
[[apis]]
identifier = "https://api.example.com"
scopes = [{ value = "read:x" }, { value = "write:x" }]
enforce_policies = true
token_dialect = "access_token_authz"

[[roles]]
name = "reader"
permissions = [{ resource_server_identifier = "https://api.example.com", permission_name = "read:x" }]

[[users]]
email = "ana@example.com"
roles = ["reader"]

[[custom_claims]]
name = "https://example.com/roles"
from = "roles"
"#;

#[tokio::test]
async fn roles_users_roles_and_custom_claims_apply_idempotently() {
    let env = Env::new().await;
    apply_text(&env, RBAC_TENANT).await.unwrap();
    let (_, roles) = crate::admin::roles::user_roles(env.s(), "ana@example.com")
        .await
        .unwrap();
    assert_eq!(roles.len(), 1);
    assert_eq!(roles[0].name, "reader");
    assert!(roles[0].role_id.starts_with("rol_"));
    let again = apply_text(&env, RBAC_TENANT).await.unwrap();
    assert!(!again.changed_anything(), "{again}");
    assert!(
        env.s()
            .get_setting(crate::claims::custom::SETTING)
            .await
            .unwrap()
            .is_some()
    );
    // Without [[custom_claims]] the rules go; `roles = []` takes the roles away.
    let without = RBAC_TENANT
        .split("[[custom_claims]]")
        .next()
        .unwrap()
        .replace(r#"roles = ["reader"]"#, "roles = []");
    apply_text(&env, &without).await.unwrap();
    assert!(
        env.s()
            .get_setting(crate::claims::custom::SETTING)
            .await
            .unwrap()
            .is_none()
    );
    let (_, roles) = crate::admin::roles::user_roles(env.s(), "ana@example.com")
        .await
        .unwrap();
    assert!(roles.is_empty());
}

#[tokio::test]
async fn bad_rbac_entries_are_refused_and_change_nothing() {
    let env = Env::new().await;
    for (bad, expected) in [
        (
            RBAC_TENANT.replace("https://example.com/roles", "roles"),
            "not namespaced",
        ),
        (
            RBAC_TENANT.replace("https://example.com/roles", "permissions"),
            "reserved",
        ),
        (
            RBAC_TENANT.replace(
                r#"permission_name = "read:x""#,
                r#"permission_name = "admin""#,
            ),
            "not a scope",
        ),
        (
            RBAC_TENANT.replace(r#"roles = ["reader"]"#, r#"roles = ["ghost"]"#),
            "ghost",
        ),
        (
            RBAC_TENANT.replace("enforce_policies = true", "enforce_policies = false"),
            "enforce_policies",
        ),
    ] {
        let err = apply_text(&env, &bad).await.unwrap_err().to_string();
        assert!(err.contains(expected), "{expected}: {err}");
        assert!(env.s().list_roles().await.unwrap().is_empty());
        assert!(env.s().list_apis().await.unwrap().is_empty());
    }
}
