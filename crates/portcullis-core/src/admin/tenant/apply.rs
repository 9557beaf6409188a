//! Applying a checked [`Plan`]: create what is missing, update what differs, leave the rest.

use super::file::TenantFile;
use super::plan::{EnvLookup, Plan, PlannedUser, plan};
use super::report::{Action, ApplyReport, EntryKind};
use crate::admin::apis::prune_grants;
use crate::admin::error::{AdminError, AdminResult};
use crate::admin::secret::Secret;
use crate::admin::users::{NewUser, create_user};
use crate::admin::{apis, apps, users};
use crate::crypto::{PasswordHasher, TokenHasher, new_id, random_token};
use portcullis_store::{Api, Client, ClientGrant, Store, UnixTime};

/// Applies a tenant file idempotently. Connections need the master key: see
/// [`apply_connections`].
///
/// Everything is checked first (a bad file changes nothing). Then, matching applications by
/// `client_id`, APIs by `identifier`, grants by `(client_id, audience)` and users by email:
/// what is missing is created, what differs is updated, and nothing the file does not mention is
/// deleted. A stored client secret is replaced only when the file gives a different one
/// (compared by hash); a user's password only when the file's does not verify against it.
/// Applying an unchanged file again changes nothing, and the report says so.
pub async fn apply(
    store: &dyn Store,
    hasher: &TokenHasher,
    passwords: &PasswordHasher,
    tenant: &TenantFile,
    env: EnvLookup<'_>,
    now: UnixTime,
) -> AdminResult<ApplyReport> {
    let Plan {
        apis,
        apps,
        grants,
        users,
    } = plan(store, tenant, env, now).await?;
    let mut report = ApplyReport::default();
    for api in apis {
        apply_api(store, api, &mut report).await?;
    }
    for (client, secret) in apps {
        apply_app(store, hasher, client, secret, &mut report).await?;
    }
    for (client_id, audience, scopes) in grants {
        apply_grant(store, client_id, audience, scopes, now, &mut report).await?;
    }
    for user in users {
        apply_user(store, passwords, user, now, &mut report).await?;
    }
    if let Some(signup) = tenant.tenant.signup {
        apply_setting(store, "signup", &signup.to_string(), now, &mut report).await?;
    } else {
        store.delete_setting("signup").await?;
    }
    Ok(report)
}

/// Applies the file's `[[connections]]` (after [`apply`], which checked them): each is created
/// or replaced by name, its secret encrypted with the master key (`sealer`); connections the
/// file does not mention stay.
pub async fn apply_connections(
    store: &dyn Store,
    sealer: &crate::crypto::Sealer,
    tenant: &TenantFile,
    env: EnvLookup<'_>,
    now: UnixTime,
    report: &mut ApplyReport,
) -> AdminResult<()> {
    use crate::upstream::stored::{self, Change, PutError};
    for decl in &tenant.connections {
        let action = match stored::put(store, sealer, decl, env, now).await {
            Ok(Change::Created) => Action::Created,
            Ok(Change::Updated) => Action::Updated(vec!["connection"]),
            Ok(Change::Unchanged) => Action::Unchanged,
            Err(PutError::Invalid(e)) => {
                return Err(AdminError::invalid("connection", e.to_string()));
            }
            Err(PutError::Internal(e)) => {
                return Err(AdminError::invalid(
                    "connection",
                    e.description.into_owned(),
                ));
            }
        };
        report.push(EntryKind::Connection, decl.name.clone(), action);
    }
    Ok(())
}

/// Stores one `[tenant]` setting, reporting whether it changed.
async fn apply_setting(
    store: &dyn Store,
    name: &'static str,
    value: &str,
    now: UnixTime,
    report: &mut ApplyReport,
) -> AdminResult<()> {
    let action = match store.get_setting(name).await? {
        Some(have) if have == value => Action::Unchanged,
        Some(_) => Action::Updated(vec![name]),
        None => Action::Created,
    };
    if action != Action::Unchanged {
        store.put_setting(name, value, now).await?;
    }
    report.push(EntryKind::Setting, name.to_owned(), action);
    Ok(())
}

/// Checks a tenant file as [`apply`] would, without writing anything: `Ok` when applying it to
/// `store` would pass validation. Run against an empty store, it validates a file before any
/// database exists.
pub async fn check(
    store: &dyn Store,
    tenant: &TenantFile,
    env: EnvLookup<'_>,
    now: UnixTime,
) -> AdminResult<()> {
    plan(store, tenant, env, now).await.map(|_| ())
}

async fn apply_api(store: &dyn Store, want: Api, report: &mut ApplyReport) -> AdminResult<()> {
    let key = want.identifier.clone();
    let Some(mut have) = store.get_api_by_identifier(&want.identifier).await? else {
        store
            .create_api(&want)
            .await
            .map_err(|e| AdminError::from_store(e, "API", &key))?;
        report.push(EntryKind::Api, key, Action::Created);
        return Ok(());
    };
    let mut changed = Vec::new();
    if have.name != want.name {
        changed.push("name");
        have.name = want.name;
    }
    if have.scopes != want.scopes {
        changed.push("scopes");
        have.scopes = want.scopes;
    }
    if have.token_lifetime != want.token_lifetime {
        changed.push("token_lifetime");
        have.token_lifetime = want.token_lifetime;
    }
    if have.allow_offline_access != want.allow_offline_access {
        changed.push("allow_offline_access");
        have.allow_offline_access = want.allow_offline_access;
    }
    if have.introspection_clients != want.introspection_clients {
        changed.push("introspection_clients");
        have.introspection_clients = want.introspection_clients.clone();
    }
    if changed.is_empty() {
        report.push(EntryKind::Api, key, Action::Unchanged);
        return Ok(());
    }
    have.updated_at = want.updated_at;
    apis::save(store, &have).await?;
    report.push(EntryKind::Api, key, Action::Updated(changed));
    for (client_id, _) in prune_grants(store, &have).await? {
        report.push(
            EntryKind::ClientGrant,
            format!("{client_id} → {}", have.identifier),
            Action::Updated(vec!["scopes (no longer defined by the API)"]),
        );
    }
    Ok(())
}

async fn apply_app(
    store: &dyn Store,
    hasher: &TokenHasher,
    mut want: Client,
    secret: Option<Secret>,
    report: &mut ApplyReport,
) -> AdminResult<()> {
    let key = want.client_id.clone();
    let Some(mut have) = store.get_client(&want.client_id).await? else {
        if apps::is_confidential(&want) {
            let secret = match secret {
                Some(s) => s,
                None => {
                    let s = Secret::new(random_token(32));
                    report.generated_secrets.push((key.clone(), s.clone()));
                    s
                }
            };
            want.secret_hash = Some(hasher.hash(secret.expose()));
        }
        store
            .create_client(&want)
            .await
            .map_err(|e| AdminError::from_store(e, "application", &key))?;
        report.push(EntryKind::Application, key, Action::Created);
        return Ok(());
    };
    let mut changed = Vec::new();
    macro_rules! sync {
        ($field:ident, $label:literal) => {
            if have.$field != want.$field {
                changed.push($label);
                have.$field = want.$field.clone();
            }
        };
    }
    sync!(name, "name");
    sync!(app_type, "app_type");
    sync!(token_endpoint_auth_method, "token_endpoint_auth_method");
    sync!(redirect_uris, "callbacks");
    sync!(post_logout_redirect_uris, "allowed_logout_urls");
    sync!(web_origins, "web_origins");
    sync!(grant_types, "grant_types");
    sync!(backchannel_logout_uri, "backchannel_logout_uri");
    sync!(first_party, "first_party");
    if !apps::is_confidential(&have) {
        if have.secret_hash.take().is_some() {
            changed.push("client_secret (removed)");
        }
    } else {
        match (&secret, &have.secret_hash) {
            (Some(s), Some(stored)) if hasher.verify(s.expose(), stored) => {}
            (Some(s), _) => {
                changed.push("client_secret");
                have.secret_hash = Some(hasher.hash(s.expose()));
            }
            (None, Some(_)) => {}
            (None, None) => {
                let s = Secret::new(random_token(32));
                have.secret_hash = Some(hasher.hash(s.expose()));
                report.generated_secrets.push((key.clone(), s));
                changed.push("client_secret (generated)");
            }
        }
    }
    if changed.is_empty() {
        report.push(EntryKind::Application, key, Action::Unchanged);
        return Ok(());
    }
    have.updated_at = want.updated_at;
    apps::save(store, &have).await?;
    report.push(EntryKind::Application, key, Action::Updated(changed));
    Ok(())
}

async fn apply_grant(
    store: &dyn Store,
    client_id: String,
    audience: String,
    scopes: Vec<String>,
    now: UnixTime,
    report: &mut ApplyReport,
) -> AdminResult<()> {
    let key = format!("{client_id} → {audience}");
    match store.find_client_grant(&client_id, &audience).await? {
        None => {
            let grant = ClientGrant {
                grant_id: new_id("cgr"),
                client_id,
                audience,
                scopes,
                created_at: now,
            };
            store
                .create_client_grant(&grant)
                .await
                .map_err(|e| AdminError::from_store(e, "grant", &key))?;
            report.push(EntryKind::ClientGrant, key, Action::Created);
        }
        Some(grant) if grant.scopes == scopes => {
            report.push(EntryKind::ClientGrant, key, Action::Unchanged);
        }
        Some(mut grant) => {
            grant.scopes = scopes;
            store.update_client_grant(&grant).await?;
            report.push(EntryKind::ClientGrant, key, Action::Updated(vec!["scopes"]));
        }
    }
    Ok(())
}

async fn apply_user(
    store: &dyn Store,
    passwords: &PasswordHasher,
    planned: PlannedUser,
    now: UnixTime,
    report: &mut ApplyReport,
) -> AdminResult<()> {
    let PlannedUser { entry: e, password } = planned;
    let key = e.email.clone();
    let Some(mut have) = store.get_user_by_email(&e.email).await? else {
        let new = NewUser {
            email: e.email,
            password,
            user_id: e.user_id,
            email_verified: e.email_verified.unwrap_or(false),
            name: e.name,
            given_name: e.given_name,
            family_name: e.family_name,
            nickname: e.nickname,
            picture: e.picture,
            blocked: e.blocked.unwrap_or(false),
        };
        create_user(store, passwords, new, now).await?;
        report.push(EntryKind::User, key, Action::Created);
        return Ok(());
    };
    let mut changed = Vec::new();
    sync_opt(&mut have.name, e.name, "name", &mut changed);
    sync_opt(
        &mut have.given_name,
        e.given_name,
        "given_name",
        &mut changed,
    );
    sync_opt(
        &mut have.family_name,
        e.family_name,
        "family_name",
        &mut changed,
    );
    sync_opt(&mut have.nickname, e.nickname, "nickname", &mut changed);
    sync_opt(&mut have.picture, e.picture, "picture", &mut changed);
    if let Some(v) = e.email_verified.filter(|v| *v != have.email_verified) {
        have.email_verified = v;
        changed.push("email_verified");
    }
    let mut end_sessions = false;
    if let Some(v) = e.blocked.filter(|v| *v != have.blocked) {
        have.blocked = v;
        end_sessions |= v;
        changed.push("blocked");
    }
    if let Some(p) = password
        && !passwords
            .verify(p.expose(), have.password_hash.as_deref())
            .await?
    {
        have.password_hash = Some(passwords.hash(p.expose()).await?);
        end_sessions = true;
        changed.push("password");
    }
    if changed.is_empty() {
        report.push(EntryKind::User, key, Action::Unchanged);
        return Ok(());
    }
    have.updated_at = now;
    users::save(store, &have).await?;
    if end_sessions {
        store.revoke_user_grants(&have.user_id).await?;
        store.delete_user_sessions(&have.user_id).await?;
    }
    report.push(EntryKind::User, key, Action::Updated(changed));
    Ok(())
}

/// Sets `have` to `want` when the file gives a value that differs.
fn sync_opt(
    have: &mut Option<String>,
    want: Option<String>,
    label: &'static str,
    changed: &mut Vec<&'static str>,
) {
    if let Some(v) = want.filter(|v| have.as_deref() != Some(v.as_str())) {
        *have = Some(v);
        changed.push(label);
    }
}
