//! The Management API as an API (resource server) of the tenant: identifier `{issuer}api/v2/`,
//! Auth0's scope names, present in every tenant. M2M applications are granted it like any other
//! API (tenant file `[[grants]]`, `portcullis grants create`), and get tokens for it with
//! `client_credentials` (RFC 6749 §4.4), as Auth0's `ManagementClient` does.

use crate::admin::{AdminError, AdminResult};
use crate::config::Issuer;
use portcullis_store::{Api, ApiScope, Store, StoreError, UnixTime};

/// The fixed `api_id` of the built-in API (what `/api/v2/resource-servers/{id}` answers to).
pub const MANAGEMENT_API_ID: &str = "api_management";

/// Its display name.
pub const MANAGEMENT_API_NAME: &str = "Portcullis Management API";

/// Access tokens for the Management API live one day (Auth0's default).
pub const MANAGEMENT_TOKEN_LIFETIME: i64 = 86_400;

/// The path of the Management API under the issuer.
pub const MANAGEMENT_API_PATH: &str = "api/v2/";

/// Every scope of the Management API with its description, in Auth0's names. Endpoints added
/// later (roles, logs, jobs) already have their scopes here.
pub const SCOPES: &[(&str, &str)] = &[
    ("read:users", "Read users"),
    ("update:users", "Update users"),
    ("delete:users", "Delete users"),
    ("create:users", "Create users"),
    ("read:users_app_metadata", "Read users' app_metadata"),
    ("update:users_app_metadata", "Update users' app_metadata"),
    ("delete:users_app_metadata", "Delete users' app_metadata"),
    ("create:users_app_metadata", "Create users' app_metadata"),
    ("read:sessions", "Read users' sessions"),
    ("delete:sessions", "End users' sessions"),
    ("read:clients", "Read applications"),
    ("update:clients", "Update applications"),
    ("delete:clients", "Delete applications"),
    ("create:clients", "Create applications"),
    ("read:client_keys", "Read application secrets"),
    ("update:client_keys", "Rotate application secrets"),
    ("read:client_grants", "Read client grants"),
    ("update:client_grants", "Update client grants"),
    ("delete:client_grants", "Delete client grants"),
    ("create:client_grants", "Create client grants"),
    ("read:connections", "Read connections"),
    ("read:resource_servers", "Read APIs"),
    ("update:resource_servers", "Update APIs"),
    ("delete:resource_servers", "Delete APIs"),
    ("create:resource_servers", "Create APIs"),
    ("read:signing_keys", "Read signing keys"),
    ("create:signing_keys", "Rotate signing keys"),
    ("update:signing_keys", "Revoke signing keys"),
    ("read:roles", "Read roles"),
    ("create:roles", "Create roles"),
    ("update:roles", "Update roles"),
    ("delete:roles", "Delete roles"),
    ("read:role_members", "Read the users of roles"),
    ("create:role_members", "Assign roles to users"),
    ("delete:role_members", "Remove roles from users"),
    ("read:logs", "Read the audit log"),
    ("read:logs_users", "Read the audit log of users"),
];

/// `{issuer}api/v2/`: the audience of Management API tokens.
pub fn audience(issuer: &Issuer) -> String {
    issuer.endpoint(MANAGEMENT_API_PATH)
}

/// The built-in API as it should be stored.
pub fn management_api(issuer: &Issuer, now: UnixTime) -> Api {
    Api {
        api_id: MANAGEMENT_API_ID.to_owned(),
        identifier: audience(issuer),
        name: MANAGEMENT_API_NAME.to_owned(),
        scopes: SCOPES
            .iter()
            .map(|(value, description)| ApiScope {
                value: (*value).to_owned(),
                description: (*description).to_owned(),
            })
            .collect(),
        token_lifetime: MANAGEMENT_TOKEN_LIFETIME,
        allow_offline_access: false,
        introspection_clients: Vec::new(),
        created_at: now,
        updated_at: now,
        enforce_policies: false,
        token_dialect: Default::default(),
    }
}

/// Whether an API is the built-in one (it cannot be changed or deleted).
pub fn is_management_api(api: &Api) -> bool {
    api.api_id == MANAGEMENT_API_ID
}

/// Refuses changing or deleting the built-in API.
pub fn refuse_if_builtin(api: &Api) -> AdminResult<()> {
    if is_management_api(api) {
        return Err(AdminError::invalid(
            "identifier",
            format!(
                "{} is the built-in Management API; it cannot be changed or deleted",
                api.identifier
            ),
        ));
    }
    Ok(())
}

/// Creates the built-in API when it is missing, and nothing else: for the CLI, whose configured
/// issuer may not be the server's (the server corrects the identifier when it starts).
pub async fn create_management_api_if_missing(
    store: &dyn Store,
    issuer: &Issuer,
    now: UnixTime,
) -> Result<(), StoreError> {
    if store.get_api(MANAGEMENT_API_ID).await?.is_some() {
        return Ok(());
    }
    match store.create_api(&management_api(issuer, now)).await {
        Ok(()) | Err(StoreError::Conflict(_)) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Creates the built-in API, or brings its identifier (the issuer may have changed), name and
/// scopes up to date (the server, when it starts). Idempotent; replicas starting together may race, and the loser's
/// `Conflict` means the other did the work.
pub async fn ensure_management_api(
    store: &dyn Store,
    issuer: &Issuer,
    now: UnixTime,
) -> Result<(), StoreError> {
    let wanted = management_api(issuer, now);
    match store.get_api(MANAGEMENT_API_ID).await? {
        None => match store.create_api(&wanted).await {
            Ok(()) | Err(StoreError::Conflict(_)) => Ok(()),
            Err(e) => Err(e),
        },
        Some(have)
            if have.identifier == wanted.identifier
                && have.name == wanted.name
                && have.scopes == wanted.scopes
                && have.token_lifetime == wanted.token_lifetime
                && !have.allow_offline_access =>
        {
            Ok(())
        }
        Some(have) => {
            let api = Api {
                created_at: have.created_at,
                introspection_clients: have.introspection_clients,
                ..wanted
            };
            store.update_api(&api).await
        }
    }
}
