//! Rows to records, and the JSON text columns that hold lists.
//!
//! Each `*_columns!` macro lists a table's columns in the order its `from_row` function and the
//! `INSERT` statements use, so the SQL strings can be built with `concat!` at compile time.

use portcullis_store::*;
use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx::Row;
use sqlx::postgres::PgRow;
use std::borrow::Cow;
use std::str::FromStr;

macro_rules! client_columns {
    () => {
        "client_id, name, app_type, secret_hash, token_endpoint_auth_method, redirect_uris, \
         post_logout_redirect_uris, web_origins, grant_types, created_at, updated_at, \
         backchannel_logout_uri, first_party"
    };
}
macro_rules! user_columns {
    () => {
        "user_id, email, email_verified, name, given_name, family_name, nickname, picture, \
         password_hash, blocked, app_metadata, user_metadata, created_at, updated_at, phone_number, \
         phone_number_verified, address"
    };
}
macro_rules! api_columns {
    () => {
        "api_id, identifier, name, scopes, token_lifetime, allow_offline_access, \
         introspection_clients, created_at, updated_at, enforce_policies, token_dialect"
    };
}
macro_rules! role_columns {
    () => {
        "role_id, name, description, created_at, updated_at"
    };
}
macro_rules! client_grant_columns {
    () => {
        "grant_id, client_id, audience, scopes, created_at"
    };
}
macro_rules! code_columns {
    () => {
        "code_hash, grant_id, client_id, redirect_uri, user_id, session_id, scope, audience, \
         nonce, code_challenge, code_challenge_method, auth_time, max_age_requested, created_at, \
         expires_at, used_at"
    };
}
macro_rules! grant_columns {
    () => {
        "grant_id, client_id, user_id, session_id, scope, audience, nonce, auth_time, offline, \
         revoked, created_at, expires_at"
    };
}
macro_rules! refresh_columns {
    () => {
        "token_hash, grant_id, client_id, created_at, expires_at, used_at, revoked"
    };
}
macro_rules! access_columns {
    () => {
        "jti, grant_id, client_id, subject, expires_at, revoked"
    };
}
macro_rules! session_columns {
    () => {
        "session_id, secret_hash, user_id, auth_time, created_at, idle_expires_at, expires_at"
    };
}
macro_rules! key_columns {
    () => {
        "kid, alg, private_key_encrypted, public_jwk, state, created_at, retire_at"
    };
}
pub(crate) use {
    access_columns, api_columns, client_columns, client_grant_columns, code_columns, grant_columns,
    key_columns, refresh_columns, role_columns, session_columns, user_columns,
};

/// A list as JSON text.
pub(crate) fn to_json<T: Serialize + ?Sized>(value: &T) -> StoreResult<String> {
    serde_json::to_string(value).map_err(StoreError::backend)
}

/// `prefix` + `column`: the name [`aliased`] gives a column in a joined query.
fn prefixed(prefix: &str, column: &'static str) -> Cow<'static, str> {
    if prefix.is_empty() {
        Cow::Borrowed(column)
    } else {
        Cow::Owned(format!("{prefix}{column}"))
    }
}

/// A select list for `columns` (a `*_columns!` list) of the table known as `table` in a joined
/// query, each column renamed with the prefix `{table}_`: `g.scope AS g_scope, …`. Mappers read
/// them with their `_in` variant and that prefix.
pub(crate) fn aliased(table: &str, columns: &str) -> String {
    columns
        .split(',')
        .map(str::trim)
        .map(|column| format!("{table}.{column} AS {table}_{column}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The record a `LEFT JOIN` brought in, its columns renamed with `prefix` (see [`aliased`]) and
/// read by `read` (a mapper's `_in` variant); `None` when the join matched no row, which its
/// key column `prefix` + `key` says by being NULL.
pub(crate) fn joined<T>(
    row: &PgRow,
    prefix: &str,
    key: &'static str,
    read: fn(&PgRow, &str) -> StoreResult<T>,
) -> StoreResult<Option<T>> {
    let key: Option<String> = get(row, &prefixed(prefix, key))?;
    key.map(|_| read(row, prefix)).transpose()
}

/// Select-list items for the factors of the session `session_id` (an SQL expression of the
/// query): their methods and times as two arrays in `list_session_factors`' order, read by
/// [`session_factors`].
pub(crate) fn session_factor_arrays(session_id: &str) -> String {
    let select = |column: &str| {
        format!(
            "ARRAY(SELECT f.{column} FROM session_factors f WHERE f.session_id = {session_id} \
             ORDER BY f.at, f.method) AS f_{column}s"
        )
    };
    format!("{}, {}", select("method"), select("at"))
}

/// The factors selected by [`session_factor_arrays`] (two arrays of one subquery's rows, so of
/// one length).
pub(crate) fn session_factors(row: &PgRow) -> StoreResult<Vec<SessionFactor>> {
    let methods: Vec<String> = get(row, "f_methods")?;
    let times: Vec<UnixTime> = get(row, "f_ats")?;
    Ok(methods
        .into_iter()
        .zip(times)
        .map(|(method, at)| SessionFactor { method, at })
        .collect())
}

fn get<'r, T>(row: &'r PgRow, column: &str) -> StoreResult<T>
where
    T: sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
{
    row.try_get(column).map_err(StoreError::backend)
}

fn get_json<T: DeserializeOwned>(row: &PgRow, column: &str) -> StoreResult<T> {
    let text: String = get(row, column)?;
    serde_json::from_str(&text).map_err(StoreError::backend)
}

/// A nullable JSON text column (e.g. a user's structured `address`).
fn get_optional_json<T: DeserializeOwned>(row: &PgRow, column: &str) -> StoreResult<Option<T>> {
    let text: Option<String> = get(row, column)?;
    text.map(|t| serde_json::from_str(&t).map_err(StoreError::backend))
        .transpose()
}

/// The JSON text of an optional value, `NULL` when absent.
pub(crate) fn optional_json<T: Serialize>(value: Option<&T>) -> StoreResult<Option<String>> {
    value.map(to_json).transpose()
}

fn get_enum<T>(row: &PgRow, column: &str) -> StoreResult<T>
where
    T: FromStr<Err = UnknownValue>,
{
    let text: String = get(row, column)?;
    text.parse().map_err(StoreError::backend)
}

pub(crate) fn client(row: &PgRow) -> StoreResult<Client> {
    Ok(Client {
        client_id: get(row, "client_id")?,
        name: get(row, "name")?,
        app_type: get_enum(row, "app_type")?,
        secret_hash: get(row, "secret_hash")?,
        token_endpoint_auth_method: get_enum(row, "token_endpoint_auth_method")?,
        redirect_uris: get_json(row, "redirect_uris")?,
        post_logout_redirect_uris: get_json(row, "post_logout_redirect_uris")?,
        web_origins: get_json(row, "web_origins")?,
        grant_types: get_json(row, "grant_types")?,
        backchannel_logout_uri: get(row, "backchannel_logout_uri")?,
        first_party: get(row, "first_party")?,
        created_at: get(row, "created_at")?,
        updated_at: get(row, "updated_at")?,
    })
}

pub(crate) fn user(row: &PgRow) -> StoreResult<User> {
    user_in(row, "")
}

/// A user whose columns carry `prefix` (a joined query, see [`aliased`]).
pub(crate) fn user_in(row: &PgRow, prefix: &str) -> StoreResult<User> {
    let col = |column| prefixed(prefix, column);
    Ok(User {
        user_id: get(row, &col("user_id"))?,
        email: user_email(row, prefix)?,
        email_verified: get(row, &col("email_verified"))?,
        name: get(row, &col("name"))?,
        given_name: get(row, &col("given_name"))?,
        family_name: get(row, &col("family_name"))?,
        nickname: get(row, &col("nickname"))?,
        picture: get(row, &col("picture"))?,
        password_hash: get(row, &col("password_hash"))?,
        blocked: get(row, &col("blocked"))?,
        app_metadata: get_json(row, &col("app_metadata"))?,
        user_metadata: get_json(row, &col("user_metadata"))?,
        created_at: get(row, &col("created_at"))?,
        updated_at: get(row, &col("updated_at"))?,
        phone_number: get(row, &col("phone_number"))?,
        phone_number_verified: get(row, &col("phone_number_verified"))?,
        address: get_optional_json(row, &col("address"))?,
    })
}

/// A user's email: the `email` column for the database connection, `upstream_email` (or none)
/// for an upstream connection's user (see `users::insert_user`).
///
/// A query that selected only `user_columns!()` (no `connection`) reads database-connection
/// users; for them `email` is the address.
fn user_email(row: &PgRow, prefix: &str) -> StoreResult<String> {
    let col = |column| prefixed(prefix, column);
    let connection: Option<String> = match row.try_get(&*col("connection")) {
        Ok(c) => c,
        Err(sqlx::Error::ColumnNotFound(_)) => None,
        Err(e) => return Err(StoreError::backend(e)),
    };
    match connection {
        None => get(row, &col("email")),
        Some(_) => Ok(get::<Option<String>>(row, &col("upstream_email"))?.unwrap_or_default()),
    }
}

pub(crate) fn identity(row: &PgRow) -> StoreResult<Identity> {
    Ok(Identity {
        connection: get(row, "connection")?,
        strategy: get(row, "strategy")?,
        subject: get(row, "subject")?,
        user_id: get(row, "user_id")?,
        email: get(row, "email")?,
        email_verified: get(row, "email_verified")?,
        name: get(row, "name")?,
        picture: get(row, "picture")?,
        created_at: get(row, "created_at")?,
        updated_at: get(row, "updated_at")?,
    })
}

pub(crate) fn api(row: &PgRow) -> StoreResult<Api> {
    Ok(Api {
        api_id: get(row, "api_id")?,
        identifier: get(row, "identifier")?,
        name: get(row, "name")?,
        scopes: get_json(row, "scopes")?,
        token_lifetime: get(row, "token_lifetime")?,
        allow_offline_access: get(row, "allow_offline_access")?,
        introspection_clients: get_json(row, "introspection_clients")?,
        enforce_policies: get(row, "enforce_policies")?,
        token_dialect: get_enum(row, "token_dialect")?,
        created_at: get(row, "created_at")?,
        updated_at: get(row, "updated_at")?,
    })
}

pub(crate) fn client_grant(row: &PgRow) -> StoreResult<ClientGrant> {
    Ok(ClientGrant {
        grant_id: get(row, "grant_id")?,
        client_id: get(row, "client_id")?,
        audience: get(row, "audience")?,
        scopes: get_json(row, "scopes")?,
        created_at: get(row, "created_at")?,
    })
}

pub(crate) fn code(row: &PgRow) -> StoreResult<AuthorizationCode> {
    code_in(row, "")
}

/// [`code`] with columns that carry `prefix` (a joined query, see [`aliased`]).
pub(crate) fn code_in(row: &PgRow, prefix: &str) -> StoreResult<AuthorizationCode> {
    let col = |column| prefixed(prefix, column);
    Ok(AuthorizationCode {
        code_hash: get(row, &col("code_hash"))?,
        grant_id: get(row, &col("grant_id"))?,
        client_id: get(row, &col("client_id"))?,
        redirect_uri: get(row, &col("redirect_uri"))?,
        user_id: get(row, &col("user_id"))?,
        session_id: get(row, &col("session_id"))?,
        scope: get(row, &col("scope"))?,
        audience: get(row, &col("audience"))?,
        nonce: get(row, &col("nonce"))?,
        code_challenge: get(row, &col("code_challenge"))?,
        code_challenge_method: get(row, &col("code_challenge_method"))?,
        auth_time: get(row, &col("auth_time"))?,
        max_age_requested: get(row, &col("max_age_requested"))?,
        created_at: get(row, &col("created_at"))?,
        expires_at: get(row, &col("expires_at"))?,
        used_at: get(row, &col("used_at"))?,
    })
}

pub(crate) fn grant(row: &PgRow) -> StoreResult<Grant> {
    grant_in(row, "")
}

/// [`grant`] with columns that carry `prefix` (a joined query, see [`aliased`]).
pub(crate) fn grant_in(row: &PgRow, prefix: &str) -> StoreResult<Grant> {
    let col = |column| prefixed(prefix, column);
    Ok(Grant {
        grant_id: get(row, &col("grant_id"))?,
        client_id: get(row, &col("client_id"))?,
        user_id: get(row, &col("user_id"))?,
        session_id: get(row, &col("session_id"))?,
        scope: get(row, &col("scope"))?,
        audience: get(row, &col("audience"))?,
        nonce: get(row, &col("nonce"))?,
        auth_time: get(row, &col("auth_time"))?,
        offline: get(row, &col("offline"))?,
        revoked: get(row, &col("revoked"))?,
        created_at: get(row, &col("created_at"))?,
        expires_at: get(row, &col("expires_at"))?,
    })
}

pub(crate) fn refresh_token(row: &PgRow) -> StoreResult<RefreshTokenRecord> {
    refresh_token_in(row, "")
}

/// [`refresh_token`] with columns that carry `prefix` (a joined query, see [`aliased`]).
pub(crate) fn refresh_token_in(row: &PgRow, prefix: &str) -> StoreResult<RefreshTokenRecord> {
    let col = |column| prefixed(prefix, column);
    Ok(RefreshTokenRecord {
        token_hash: get(row, &col("token_hash"))?,
        grant_id: get(row, &col("grant_id"))?,
        client_id: get(row, &col("client_id"))?,
        created_at: get(row, &col("created_at"))?,
        expires_at: get(row, &col("expires_at"))?,
        used_at: get(row, &col("used_at"))?,
        revoked: get(row, &col("revoked"))?,
    })
}

pub(crate) fn access_token(row: &PgRow) -> StoreResult<AccessTokenRecord> {
    Ok(AccessTokenRecord {
        jti: get(row, "jti")?,
        grant_id: get(row, "grant_id")?,
        client_id: get(row, "client_id")?,
        subject: get(row, "subject")?,
        expires_at: get(row, "expires_at")?,
        revoked: get(row, "revoked")?,
    })
}

pub(crate) fn session(row: &PgRow) -> StoreResult<Session> {
    Ok(Session {
        session_id: get(row, "session_id")?,
        secret_hash: get(row, "secret_hash")?,
        user_id: get(row, "user_id")?,
        auth_time: get(row, "auth_time")?,
        created_at: get(row, "created_at")?,
        idle_expires_at: get(row, "idle_expires_at")?,
        expires_at: get(row, "expires_at")?,
    })
}

pub(crate) fn key(row: &PgRow) -> StoreResult<SigningKeyRecord> {
    Ok(SigningKeyRecord {
        kid: get(row, "kid")?,
        alg: get(row, "alg")?,
        private_key_encrypted: get(row, "private_key_encrypted")?,
        public_jwk: get(row, "public_jwk")?,
        state: get_enum(row, "state")?,
        created_at: get(row, "created_at")?,
        retire_at: get(row, "retire_at")?,
    })
}

/// Converts every row, stopping at the first bad one.
pub(crate) fn all<T>(
    rows: Vec<PgRow>,
    convert: fn(&PgRow) -> StoreResult<T>,
) -> StoreResult<Vec<T>> {
    rows.iter().map(convert).collect()
}

pub(crate) fn role(row: &PgRow) -> StoreResult<Role> {
    Ok(Role {
        role_id: get(row, "role_id")?,
        name: get(row, "name")?,
        description: get(row, "description")?,
        created_at: get(row, "created_at")?,
        updated_at: get(row, "updated_at")?,
    })
}

macro_rules! log_columns {
    () => {
        "log_id, date_ms, event_type, description, client_id, client_name, user_id, user_name, \
         ip, user_agent, details"
    };
}
pub(crate) use log_columns;

pub(crate) fn log_event(row: &PgRow) -> StoreResult<LogEvent> {
    Ok(LogEvent {
        log_id: get(row, "log_id")?,
        date_ms: get(row, "date_ms")?,
        event_type: get(row, "event_type")?,
        description: get(row, "description")?,
        client_id: get(row, "client_id")?,
        client_name: get(row, "client_name")?,
        user_id: get(row, "user_id")?,
        user_name: get(row, "user_name")?,
        ip: get(row, "ip")?,
        user_agent: get(row, "user_agent")?,
        details: get(row, "details")?,
    })
}
