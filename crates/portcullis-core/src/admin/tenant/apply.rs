//! Applying a checked [`Plan`]: create what is missing, update what differs, leave the rest,
//! all in one transaction.

use super::file::TenantFile;
use super::plan::{EnvLookup, Plan, PlannedUser, plan};
use super::report::{Action, ApplyReport, EntryKind};
use crate::admin::apis::pruned_grants;
use crate::admin::apps;
use crate::admin::error::{AdminError, AdminResult};
use crate::admin::secret::Secret;
use crate::admin::users::{NewUser, prepare_user};
use crate::claims::custom;
use crate::crypto::{PasswordHasher, TokenHasher, new_id, random_token};
use portcullis_store::{
    Api, Client, ClientGrant, Permission, Role, Store, StoreError, TenantChange, UnixTime,
};

/// Applies a tenant file idempotently and atomically.
///
/// Everything is checked first (a bad file changes nothing). Then, matching applications by
/// `client_id`, APIs by `identifier`, grants by `(client_id, audience)` and users by email:
/// what is missing is created, what differs is updated, and nothing the file does not mention is
/// deleted. A stored client secret is replaced only when the file gives a different one
/// (compared by hash); a user's password only when the file's does not verify against it.
/// Applying an unchanged file again changes nothing, and the report says so.
///
/// Every write is staged first and then made by one
/// [`TenantStore::apply_tenant_changes`](portcullis_store::TenantStore::apply_tenant_changes),
/// one transaction: an apply that fails midway leaves the database as it was.
///
/// Users the file blocks or gives a new password are listed in [`ApplyReport::sign_out`]; the
/// caller signs each out everywhere with [`crate::sessions::end_all_for_user`] (which tells
/// their applications by back-channel logout) once this returns.
pub async fn apply(
    store: &dyn Store,
    hasher: &TokenHasher,
    passwords: &PasswordHasher,
    sealer: &crate::crypto::Sealer,
    tenant: &TenantFile,
    env: EnvLookup<'_>,
    now: UnixTime,
) -> AdminResult<ApplyReport> {
    let Plan {
        apis,
        apps,
        grants,
        users,
        roles,
        custom_claims,
    } = plan(store, tenant, env, now).await?;
    let mut staged = Staged::default();
    for api in apis {
        apply_api(store, api, &mut staged).await?;
    }
    for (client, secret) in apps {
        apply_app(store, hasher, client, secret, &mut staged).await?;
    }
    for (client_id, audience, scopes) in grants {
        apply_grant(store, client_id, audience, scopes, now, &mut staged).await?;
    }
    // The users' role lists are staged after the users and roles they name.
    let user_roles: Vec<(String, Vec<String>)> = users
        .iter()
        .filter_map(|u| Some((u.entry.email.clone(), u.entry.roles.clone()?)))
        .collect();
    for user in users {
        apply_user(store, passwords, user, now, &mut staged).await?;
    }
    if custom_claims.is_empty() {
        if store.get_setting(custom::SETTING).await?.is_some() {
            staged
                .changes
                .push(TenantChange::DeleteSetting(custom::SETTING.to_owned()));
            staged.push(
                EntryKind::Setting,
                custom::SETTING.to_owned(),
                Action::Updated(vec!["removed"]),
            );
        }
    } else {
        let json = serde_json::to_string(&custom_claims)
            .map_err(|e| AdminError::invalid("custom_claims", e.to_string()))?;
        apply_setting(store, custom::SETTING, &json, now, &mut staged).await?;
    }
    let database_connection = tenant.tenant.database_connection.as_ref();
    for (name, value) in [
        ("signup", tenant.tenant.signup.map(|v| v.to_string())),
        (
            "strict_scopes",
            tenant.tenant.strict_scopes.map(|v| v.to_string()),
        ),
        (
            crate::connections::DATABASE_SETTING,
            database_connection.cloned(),
        ),
    ] {
        if let Some(value) = value {
            apply_setting(store, name, &value, now, &mut staged).await?;
        } else if store.get_setting(name).await?.is_some() {
            staged
                .changes
                .push(TenantChange::DeleteSetting(name.to_owned()));
        }
    }
    apply_mfa_policies(store, tenant, now, &mut staged).await?;
    apply_connections(store, sealer, tenant, env, now, &mut staged).await?;
    let mut role_ids = std::collections::HashMap::new();
    for (role, permissions) in roles {
        let (name, role_id) = apply_role(store, role, permissions, &mut staged).await?;
        role_ids.insert(name, role_id);
    }
    for (email, names) in user_roles {
        apply_user_roles(store, &email, &names, &role_ids, &mut staged).await?;
    }
    store
        .apply_tenant_changes(&staged.changes)
        .await
        .map_err(|e| match e {
            StoreError::Conflict(what) => AdminError::exists("record", what),
            other => AdminError::Store(other),
        })?;
    Ok(staged.report)
}

/// Stages the file's `[[connections]]` (checked by the plan): each is created or replaced by
/// name, its secret encrypted with the master key (`sealer`); connections the file does not
/// mention stay.
async fn apply_connections(
    store: &dyn Store,
    sealer: &crate::crypto::Sealer,
    tenant: &TenantFile,
    env: EnvLookup<'_>,
    now: UnixTime,
    staged: &mut Staged,
) -> AdminResult<()> {
    use crate::upstream::stored::{self, Change, PutError};
    let (changes, setting) = match stored::planned(store, sealer, &tenant.connections, env).await {
        Ok(planned) => planned,
        Err(PutError::Invalid(e)) => return Err(AdminError::invalid("connection", e.to_string())),
        Err(PutError::Internal(e)) => {
            return Err(AdminError::invalid(
                "connection",
                e.description.into_owned(),
            ));
        }
    };
    for (decl, change) in tenant.connections.iter().zip(changes) {
        let action = match change {
            Change::Created => Action::Created,
            Change::Updated => Action::Updated(vec!["connection"]),
            Change::Unchanged => Action::Unchanged,
        };
        staged.push(EntryKind::Connection, decl.name.clone(), action);
    }
    if let Some(value) = setting {
        staged.changes.push(TenantChange::PutSetting {
            name: stored::SETTING.to_owned(),
            value,
            now,
        });
    }
    Ok(())
}

/// The writes of an apply, not yet made, and the report they will make true.
#[derive(Default)]
struct Staged {
    changes: Vec<TenantChange>,
    report: ApplyReport,
}

impl Staged {
    fn push(&mut self, kind: EntryKind, key: String, action: Action) {
        self.report.push(kind, key, action);
    }

    /// Adds `field` to an entry's reported changes: an unchanged entry becomes updated.
    fn note_updated(&mut self, kind: EntryKind, key: &str, field: &'static str) {
        let entry = self
            .report
            .changes
            .iter_mut()
            .find(|c| c.kind == kind && c.key == key);
        match entry {
            Some(c) => match &mut c.action {
                Action::Updated(fields) => fields.push(field),
                action => *action = Action::Updated(vec![field]),
            },
            None => self.push(kind, key.to_owned(), Action::Updated(vec![field])),
        }
    }
}

/// The `[tenant] mfa` policy and each application's `mfa`, staged as settings (one left out is
/// removed, so the tenant's or the configuration's applies).
async fn apply_mfa_policies(
    store: &dyn Store,
    tenant: &TenantFile,
    now: UnixTime,
    staged: &mut Staged,
) -> AdminResult<()> {
    use crate::mfa::policy::{TENANT_SETTING, application_setting};
    let mut wanted = vec![(TENANT_SETTING.to_owned(), tenant.tenant.mfa)];
    for app in &tenant.applications {
        wanted.push((application_setting(&app.client_id), app.mfa));
    }
    for (name, policy) in wanted {
        let have = store.get_setting(&name).await?;
        match policy {
            Some(policy) => {
                let action = match have {
                    Some(have) if have == policy.as_str() => Action::Unchanged,
                    Some(_) => Action::Updated(vec!["mfa"]),
                    None => Action::Created,
                };
                if action != Action::Unchanged {
                    staged.changes.push(TenantChange::PutSetting {
                        name: name.clone(),
                        value: policy.as_str().to_owned(),
                        now,
                    });
                }
                staged.push(EntryKind::Setting, name, action);
            }
            None if have.is_some() => staged.changes.push(TenantChange::DeleteSetting(name)),
            None => {}
        }
    }
    Ok(())
}

/// Stages one `[tenant]` setting, reporting whether it changes.
async fn apply_setting(
    store: &dyn Store,
    name: &'static str,
    value: &str,
    now: UnixTime,
    staged: &mut Staged,
) -> AdminResult<()> {
    let action = match store.get_setting(name).await? {
        Some(have) if have == value => Action::Unchanged,
        Some(_) => Action::Updated(vec![name]),
        None => Action::Created,
    };
    if action != Action::Unchanged {
        staged.changes.push(TenantChange::PutSetting {
            name: name.to_owned(),
            value: value.to_owned(),
            now,
        });
    }
    staged.push(EntryKind::Setting, name.to_owned(), action);
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

async fn apply_api(store: &dyn Store, want: Api, staged: &mut Staged) -> AdminResult<()> {
    let key = want.identifier.clone();
    let Some(mut have) = store.get_api_by_identifier(&want.identifier).await? else {
        staged.changes.push(TenantChange::CreateApi(want));
        staged.push(EntryKind::Api, key, Action::Created);
        return Ok(());
    };
    crate::management::builtin_api::refuse_if_builtin(&have).map_err(|e| e.in_entry(&key))?;
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
    if have.enforce_policies != want.enforce_policies {
        changed.push("enforce_policies");
        have.enforce_policies = want.enforce_policies;
    }
    if have.token_dialect != want.token_dialect {
        changed.push("token_dialect");
        have.token_dialect = want.token_dialect;
    }
    if changed.is_empty() {
        staged.push(EntryKind::Api, key, Action::Unchanged);
        return Ok(());
    }
    have.updated_at = want.updated_at;
    staged.changes.push(TenantChange::UpdateApi(have.clone()));
    staged.push(EntryKind::Api, key, Action::Updated(changed));
    for (grant, _) in pruned_grants(store, &have).await? {
        let client_id = grant.client_id.clone();
        staged.changes.push(TenantChange::UpdateClientGrant(grant));
        staged.push(
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
    staged: &mut Staged,
) -> AdminResult<()> {
    let key = want.client_id.clone();
    let Some(mut have) = store.get_client(&want.client_id).await? else {
        if apps::is_confidential(&want) {
            let secret = match secret {
                Some(s) => s,
                None => {
                    let s = Secret::new(random_token(32));
                    staged
                        .report
                        .generated_secrets
                        .push((key.clone(), s.clone()));
                    s
                }
            };
            want.secret_hash = Some(hasher.hash(secret.expose()));
        }
        staged.changes.push(TenantChange::CreateClient(want));
        staged.push(EntryKind::Application, key, Action::Created);
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
                staged.report.generated_secrets.push((key.clone(), s));
                changed.push("client_secret (generated)");
            }
        }
    }
    if changed.is_empty() {
        staged.push(EntryKind::Application, key, Action::Unchanged);
        return Ok(());
    }
    have.updated_at = want.updated_at;
    staged.changes.push(TenantChange::UpdateClient(have));
    staged.push(EntryKind::Application, key, Action::Updated(changed));
    Ok(())
}

async fn apply_grant(
    store: &dyn Store,
    client_id: String,
    audience: String,
    scopes: Vec<String>,
    now: UnixTime,
    staged: &mut Staged,
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
            staged.changes.push(TenantChange::CreateClientGrant(grant));
            staged.push(EntryKind::ClientGrant, key, Action::Created);
        }
        Some(grant) if grant.scopes == scopes => {
            staged.push(EntryKind::ClientGrant, key, Action::Unchanged);
        }
        Some(mut grant) => {
            grant.scopes = scopes;
            staged.changes.push(TenantChange::UpdateClientGrant(grant));
            staged.push(EntryKind::ClientGrant, key, Action::Updated(vec!["scopes"]));
        }
    }
    Ok(())
}

/// Creates the role or brings its description and permissions to what the file says.
/// Stages a role (created, or its description updated) and makes its permissions exactly the
/// file's; returns its name and id, for the users' role lists.
async fn apply_role(
    store: &dyn Store,
    want: Role,
    permissions: Vec<Permission>,
    staged: &mut Staged,
) -> AdminResult<(String, String)> {
    let key = want.name.clone();
    let role_id = want.role_id.clone();
    let Some(mut have) = store.get_role_by_name(&want.name).await? else {
        staged.changes.push(TenantChange::CreateRole(want));
        if !permissions.is_empty() {
            staged.changes.push(TenantChange::AddRolePermissions {
                role_id: role_id.clone(),
                permissions,
            });
        }
        staged.push(EntryKind::Role, key.clone(), Action::Created);
        return Ok((key, role_id));
    };
    let mut changed = Vec::new();
    if have.description != want.description {
        have.description = want.description;
        have.updated_at = want.updated_at;
        staged.changes.push(TenantChange::UpdateRole(have.clone()));
        changed.push("description");
    }
    let held = store.list_role_permissions(&have.role_id).await?;
    let gone: Vec<Permission> = held
        .iter()
        .filter(|p| !permissions.contains(p))
        .cloned()
        .collect();
    let added: Vec<Permission> = permissions
        .iter()
        .filter(|p| !held.contains(p))
        .cloned()
        .collect();
    if !gone.is_empty() || !added.is_empty() {
        changed.push("permissions");
    }
    if !gone.is_empty() {
        staged.changes.push(TenantChange::RemoveRolePermissions {
            role_id: have.role_id.clone(),
            permissions: gone,
        });
    }
    if !added.is_empty() {
        staged.changes.push(TenantChange::AddRolePermissions {
            role_id: have.role_id.clone(),
            permissions: added,
        });
    }
    let action = if changed.is_empty() {
        Action::Unchanged
    } else {
        Action::Updated(changed)
    };
    staged.push(EntryKind::Role, key.clone(), action);
    Ok((key, have.role_id))
}

/// Stages the changes that make the user's roles exactly the named ones. The user and the
/// roles may be created by this same apply (staged before): their ids come from the staged
/// changes and `role_ids`, else from the store.
async fn apply_user_roles(
    store: &dyn Store,
    email: &str,
    names: &[String],
    role_ids: &std::collections::HashMap<String, String>,
    staged: &mut Staged,
) -> AdminResult<()> {
    let staged_user = staged.changes.iter().find_map(|c| match c {
        TenantChange::CreateUser(u) if u.email == email => Some(u.user_id.clone()),
        _ => None,
    });
    let (user_id, created) = match staged_user {
        Some(id) => (id, true),
        None => {
            let user = store
                .get_user_by_email(email)
                .await?
                .ok_or_else(|| AdminError::not_found("user", email))?;
            (user.user_id, false)
        }
    };
    let have: Vec<String> = if created {
        Vec::new()
    } else {
        store
            .list_user_roles(&user_id)
            .await?
            .into_iter()
            .map(|r| r.role_id)
            .collect()
    };
    let mut want = Vec::with_capacity(names.len());
    for name in names {
        let id = match role_ids.get(name) {
            Some(id) => id.clone(),
            None => {
                store
                    .get_role_by_name(name)
                    .await?
                    .ok_or_else(|| AdminError::not_found("role", name))?
                    .role_id
            }
        };
        want.push(id);
    }
    let gone: Vec<String> = have
        .iter()
        .filter(|id| !want.contains(id))
        .cloned()
        .collect();
    let added: Vec<String> = want
        .iter()
        .filter(|id| !have.contains(id))
        .cloned()
        .collect();
    if gone.is_empty() && added.is_empty() {
        return Ok(());
    }
    if !gone.is_empty() {
        staged.changes.push(TenantChange::RemoveUserRoles {
            user_id: user_id.clone(),
            role_ids: gone,
        });
    }
    if !added.is_empty() {
        staged.changes.push(TenantChange::AssignUserRoles {
            user_id,
            role_ids: added,
        });
    }
    if !created {
        staged.note_updated(EntryKind::User, email, "roles");
    }
    Ok(())
}

async fn apply_user(
    store: &dyn Store,
    passwords: &PasswordHasher,
    planned: PlannedUser,
    now: UnixTime,
    staged: &mut Staged,
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
            phone_number: e.phone_number,
            phone_number_verified: e.phone_number_verified.unwrap_or(false),
            address: e.address,
            ..NewUser::default()
        };
        let user = prepare_user(store, passwords, new, now).await?;
        staged.changes.push(TenantChange::CreateUser(user));
        staged.push(EntryKind::User, key, Action::Created);
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
    sync_opt(
        &mut have.phone_number,
        e.phone_number,
        "phone_number",
        &mut changed,
    );
    if let Some(v) = e
        .phone_number_verified
        .filter(|v| *v != have.phone_number_verified)
    {
        have.phone_number_verified = v;
        changed.push("phone_number_verified");
    }
    if let Some(address) = e.address.filter(|a| have.address.as_ref() != Some(a)) {
        have.address = Some(address).filter(|a| !a.is_empty());
        changed.push("address");
    }
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
        staged.push(EntryKind::User, key, Action::Unchanged);
        return Ok(());
    }
    have.updated_at = now;
    if end_sessions {
        staged.report.sign_out.push(have.user_id.clone());
    }
    staged.changes.push(TenantChange::UpdateUser(have));
    staged.push(EntryKind::User, key, Action::Updated(changed));
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
