//! Validation of a whole tenant file before anything is written: every entry is checked, every
//! reference resolved and every environment variable read, so a bad file changes nothing.

use super::file::{TENANT_FILE_VERSION, TenantFile, UserEntry};
use crate::admin::apis::{NewApi, build_api};
use crate::admin::apps::{NewApp, build_client, parse_app_type};
use crate::admin::error::{AdminError, AdminResult};
use crate::admin::grants::check_grant;
use crate::admin::roles::{NewRole, build_role};
use crate::admin::secret::Secret;
use crate::admin::validate::{
    check_address, check_identifier, check_password, check_phone_number, normalize_email,
};
use crate::claims::custom::{CustomClaimRule, check_rules};
use portcullis_store::{Api, Client, Permission, Role, Store, UnixTime};

/// Looks up an environment variable (injected, so tests and callers decide where values come
/// from).
pub type EnvLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The desired state a valid tenant file describes.
#[derive(Debug)]
pub(crate) struct Plan {
    pub apis: Vec<Api>,
    /// Each application with the secret the file gives for it (if any).
    pub apps: Vec<(Client, Option<Secret>)>,
    /// `(client_id, audience, scopes)`.
    pub grants: Vec<(String, String, Vec<String>)>,
    pub users: Vec<PlannedUser>,
    /// Each role with its permissions.
    pub roles: Vec<(Role, Vec<Permission>)>,
    pub custom_claims: Vec<CustomClaimRule>,
}

/// A user entry with its email normalised and its password resolved.
#[derive(Debug)]
pub(crate) struct PlannedUser {
    pub entry: UserEntry,
    pub password: Option<Secret>,
}

/// Reads a value given either literally or through an environment variable.
fn literal_or_env(
    field: &'static str,
    literal: &Option<String>,
    env_name: &Option<String>,
    env: EnvLookup<'_>,
) -> AdminResult<Option<Secret>> {
    match (literal, env_name) {
        (Some(_), Some(_)) => Err(AdminError::invalid(
            field,
            format!("give either {field} or {field}_env, not both"),
        )),
        (Some(v), None) => Ok(Some(Secret::new(v.clone()))),
        (None, Some(name)) => env(name)
            .map(|v| Some(Secret::new(v)))
            .ok_or_else(|| AdminError::MissingEnv(name.clone())),
        (None, None) => Ok(None),
    }
}

fn duplicate(what: &'static str, key: &str, first: usize) -> AdminError {
    AdminError::invalid(
        "entry",
        format!("{what} {key:?} is already declared at index {first}"),
    )
}

/// Checks the whole file against itself and the store. Every entry is checked: the error lists
/// every problem, each with its entry. An entry that refers to an entry already refused (a
/// grant of an invalid application) is not reported again.
pub(crate) async fn plan(
    store: &dyn Store,
    tenant: &TenantFile,
    env: EnvLookup<'_>,
    now: UnixTime,
) -> AdminResult<Plan> {
    let mut problems: Vec<AdminError> = Vec::new();
    if tenant.version != TENANT_FILE_VERSION {
        problems.push(AdminError::invalid(
            "version",
            format!(
                "this Portcullis reads tenant files of version {TENANT_FILE_VERSION}, not {}",
                tenant.version
            ),
        ));
    }
    let mut apis: Vec<Api> = Vec::new();
    let mut refused_apis: Vec<&str> = Vec::new();
    for (i, e) in tenant.apis.iter().enumerate() {
        let name = format!("apis[{i}] ({})", e.identifier);
        if let Some(first) = tenant.apis[..i]
            .iter()
            .position(|a| a.identifier == e.identifier)
        {
            problems.push(duplicate("API", &e.identifier, first).in_entry(name));
            continue;
        }
        let new = NewApi {
            identifier: e.identifier.clone(),
            name: e.name.clone(),
            scopes: e.scopes.clone(),
            token_lifetime: e.token_lifetime,
            allow_offline_access: e.allow_offline_access,
            introspection_clients: e.introspection_clients.clone(),
            enforce_policies: e.enforce_policies,
            token_dialect: e.token_dialect,
        };
        match build_api(new, now) {
            Ok(api) => apis.push(api),
            Err(err) => {
                refused_apis.push(&e.identifier);
                problems.push(err.in_entry(name));
            }
        }
    }

    let mut apps: Vec<(Client, Option<Secret>)> = Vec::new();
    let mut refused_apps: Vec<&str> = Vec::new();
    for (i, e) in tenant.applications.iter().enumerate() {
        let name = format!("applications[{i}] ({})", e.client_id);
        let build = || -> AdminResult<(Client, Option<Secret>)> {
            if let Some(first) = tenant.applications[..i]
                .iter()
                .position(|a| a.client_id == e.client_id)
            {
                return Err(duplicate("client_id", &e.client_id, first));
            }
            let secret =
                literal_or_env("client_secret", &e.client_secret, &e.client_secret_env, env)?;
            let new = NewApp {
                client_id: Some(e.client_id.clone()),
                name: e.name.clone(),
                app_type: parse_app_type(&e.app_type)?,
                callbacks: e.callbacks.clone(),
                logout_urls: e.allowed_logout_urls.clone(),
                web_origins: e.web_origins.clone(),
                backchannel_logout_uri: e.backchannel_logout_uri.clone(),
                first_party: e.first_party,
                grant_types: e.grant_types.clone(),
                auth_method: e.token_endpoint_auth_method,
                secret: secret.clone(),
            };
            Ok((build_client(&new, now)?, secret))
        };
        match build() {
            Ok(app) => apps.push(app),
            Err(err) => {
                refused_apps.push(&e.client_id);
                problems.push(err.in_entry(name));
            }
        }
    }

    let mut grants: Vec<(String, String, Vec<String>)> = Vec::new();
    for (i, e) in tenant.client_grants.iter().enumerate() {
        let name = format!("client_grants[{i}] ({} → {})", e.client_id, e.audience);
        if refused_apps.contains(&e.client_id.as_str())
            || refused_apis.contains(&e.audience.as_str())
        {
            continue;
        }
        let check = async {
            if let Some(first) = tenant.client_grants[..i]
                .iter()
                .position(|g| g.client_id == e.client_id && g.audience == e.audience)
            {
                return Err(duplicate(
                    "grant",
                    &format!("{} → {}", e.client_id, e.audience),
                    first,
                ));
            }
            let client = match apps.iter().find(|(c, _)| c.client_id == e.client_id) {
                Some((c, _)) => c.clone(),
                None => store
                    .get_client(&e.client_id)
                    .await?
                    .ok_or_else(|| AdminError::not_found("application", &e.client_id))?,
            };
            let api = match apis.iter().find(|a| a.identifier == e.audience) {
                Some(a) => a.clone(),
                None => store
                    .get_api_by_identifier(&e.audience)
                    .await?
                    .ok_or_else(|| AdminError::not_found("API", &e.audience))?,
            };
            let scopes = crate::admin::apps::dedup(e.scopes.clone());
            check_grant(&client, &api, &scopes)?;
            Ok((e.client_id.clone(), e.audience.clone(), scopes))
        };
        match check.await {
            Ok(grant) => grants.push(grant),
            Err(err) => problems.push(err.in_entry(name)),
        }
    }

    let mut roles: Vec<(Role, Vec<Permission>)> = Vec::new();
    for (i, e) in tenant.roles.iter().enumerate() {
        let name = format!("roles[{i}] ({})", e.name);
        let check = async {
            if let Some(first) = tenant.roles[..i].iter().position(|r| r.name == e.name) {
                return Err(duplicate("role", &e.name, first));
            }
            let role = build_role(
                &NewRole {
                    name: e.name.clone(),
                    description: e.description.clone(),
                },
                now,
            )?;
            let mut permissions: Vec<Permission> = Vec::new();
            for p in &e.permissions {
                let api = match apis
                    .iter()
                    .find(|a| a.identifier == p.resource_server_identifier)
                {
                    Some(a) => a.clone(),
                    None => store
                        .get_api_by_identifier(&p.resource_server_identifier)
                        .await?
                        .ok_or_else(|| {
                            AdminError::not_found("API", &p.resource_server_identifier)
                        })?,
                };
                if !api.scopes.iter().any(|s| s.value == p.permission_name) {
                    return Err(AdminError::invalid(
                        "permissions",
                        format!(
                            "{:?} is not a scope of the API {}",
                            p.permission_name, api.identifier
                        ),
                    ));
                }
                let permission = Permission::new(&api.identifier, &p.permission_name);
                if !permissions.contains(&permission) {
                    permissions.push(permission);
                }
            }
            permissions.sort();
            Ok((role, permissions))
        };
        match check.await {
            Ok(role) => roles.push(role),
            Err(err) => problems.push(err.in_entry(name)),
        }
    }

    if let Err(message) = check_rules(&tenant.custom_claims) {
        problems.push(AdminError::invalid("custom_claims", message));
    }

    let mut users: Vec<PlannedUser> = Vec::new();
    for (i, e) in tenant.users.iter().enumerate() {
        let name = format!("users[{i}] ({})", e.email);
        let check = async {
            let email = normalize_email(&e.email)?;
            if let Some(first) = tenant.users[..i]
                .iter()
                .position(|u| normalize_email(&u.email).is_ok_and(|other| other == email))
            {
                return Err(duplicate("email", &email, first));
            }
            let password = literal_or_env("password", &e.password, &e.password_env, env)?;
            if let Some(p) = &password {
                check_password(p.expose(), Some(&email))?;
            }
            let existing = store.get_user_by_email(&email).await?;
            if let Some(id) = &e.user_id {
                check_identifier("user_id", id, &['|', ':', '@'])?;
                match &existing {
                    Some(u) if &u.user_id != id => {
                        return Err(AdminError::invalid(
                            "user_id",
                            format!(
                                "the user with this email has id {:?}; ids cannot change",
                                u.user_id
                            ),
                        ));
                    }
                    None if store.get_user(id).await?.is_some() => {
                        return Err(AdminError::exists("user", id));
                    }
                    _ => {}
                }
            }
            for role in e.roles.iter().flatten() {
                if !tenant.roles.iter().any(|r| &r.name == role)
                    && store.get_role_by_name(role).await?.is_none()
                {
                    return Err(AdminError::not_found("role", role));
                }
            }
            let mut entry = e.clone();
            if let Some(phone) = &e.phone_number {
                entry.phone_number = Some(check_phone_number(phone)?);
            }
            if let Some(address) = &e.address {
                check_address(address)?;
            }
            entry.email = email;
            entry.password = None;
            Ok(PlannedUser { entry, password })
        };
        match check.await {
            Ok(user) => users.push(user),
            Err(err) => problems.push(err.in_entry(name)),
        }
    }
    for (i, decl) in tenant.connections.iter().enumerate() {
        let name = format!("connections[{i}] ({})", decl.name);
        let checked = if let Some(first) = tenant.connections[..i]
            .iter()
            .position(|c| c.name == decl.name)
        {
            Err(duplicate("connection", &decl.name, first))
        } else {
            decl.resolve(|v| env(v))
                .map(|_| ())
                .map_err(|e| AdminError::invalid("connection", e.to_string()))
        };
        if let Err(err) = checked {
            problems.push(err.in_entry(name));
        }
    }
    if let Some(name) = &tenant.tenant.database_connection
        && let Err(err) = check_identifier("database_connection", name, &[])
    {
        problems.push(err.in_entry("tenant".to_owned()));
    }
    if let Some(err) = AdminError::all(problems) {
        return Err(err);
    }
    Ok(Plan {
        apis,
        apps,
        grants,
        users,
        roles,
        custom_claims: tenant.custom_claims.clone(),
    })
}
