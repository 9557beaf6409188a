//! JSON views of the records the CLI shows. Hashes never appear.

use portcullis_core::admin::keys::KeyInfo;
use portcullis_store::{Api, Client, ClientGrant, Permission, Role, User, UserPermission};
use serde_json::{Value, json};

pub fn user(u: &User) -> Value {
    json!({
        "user_id": u.user_id,
        "email": u.email,
        "email_verified": u.email_verified,
        "name": u.name,
        "given_name": u.given_name,
        "family_name": u.family_name,
        "nickname": u.nickname,
        "picture": u.picture,
        "phone_number": u.phone_number,
        "phone_number_verified": u.phone_number_verified,
        "address": u.address,
        "has_password": u.password_hash.is_some(),
        "blocked": u.blocked,
        "created_at": u.created_at,
        "updated_at": u.updated_at,
    })
}

pub fn app(c: &Client) -> Value {
    json!({
        "client_id": c.client_id,
        "name": c.name,
        "app_type": c.app_type.as_str(),
        "token_endpoint_auth_method": c.token_endpoint_auth_method.as_str(),
        "has_secret": c.secret_hash.is_some(),
        "callbacks": c.redirect_uris,
        "allowed_logout_urls": c.post_logout_redirect_uris,
        "web_origins": c.web_origins,
        "backchannel_logout_uri": c.backchannel_logout_uri,
        "is_first_party": c.first_party,
        "grant_types": c.grant_types.iter().map(|g| g.as_str()).collect::<Vec<_>>(),
        "created_at": c.created_at,
        "updated_at": c.updated_at,
    })
}

pub fn api(a: &Api) -> Value {
    json!({
        "api_id": a.api_id,
        "identifier": a.identifier,
        "name": a.name,
        "scopes": a.scopes,
        "token_lifetime": a.token_lifetime,
        "allow_offline_access": a.allow_offline_access,
        "introspection_clients": a.introspection_clients,
        "enforce_policies": a.enforce_policies,
        "token_dialect": a.token_dialect.as_str(),
        "created_at": a.created_at,
        "updated_at": a.updated_at,
    })
}

pub fn grant(g: &ClientGrant) -> Value {
    json!({
        "grant_id": g.grant_id,
        "client_id": g.client_id,
        "audience": g.audience,
        "scopes": g.scopes,
        "created_at": g.created_at,
    })
}

pub fn key(k: &KeyInfo) -> Value {
    json!({
        "kid": k.kid,
        "alg": k.alg,
        "state": k.state.as_str(),
        "created_at": k.created_at,
        "retire_at": k.retire_at,
    })
}

pub fn role(r: &Role) -> Value {
    json!({
        "id": r.role_id,
        "name": r.name,
        "description": r.description,
        "created_at": r.created_at,
        "updated_at": r.updated_at,
    })
}

pub fn permission(p: &Permission) -> Value {
    json!({
        "resource_server_identifier": p.resource_server_identifier,
        "permission_name": p.permission_name,
    })
}

pub fn user_permission(p: &UserPermission) -> Value {
    json!({
        "resource_server_identifier": p.permission.resource_server_identifier,
        "permission_name": p.permission.permission_name,
        "role_id": p.role_id,
    })
}
