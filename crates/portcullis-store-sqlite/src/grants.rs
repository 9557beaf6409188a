//! `GrantStore`: codes, grants, refresh tokens, access-token records.

use crate::SqliteStore;
use crate::error::Failure;
use crate::rows::{
    self, access_columns, code_columns, grant_columns, refresh_columns, user_columns,
};
use crate::sql;
use crate::{mfa, users};
use async_trait::async_trait;
use portcullis_store::*;
use rusqlite::{Connection, params};

/// The grant filter of [`GrantOwner`], spliced into fixed statements at compile time (never
/// from input). Binds: the owner's key, then `include_offline`.
macro_rules! revoke_statements {
    ($filter:literal) => {
        [
            concat!(
                "UPDATE refresh_tokens SET revoked = TRUE WHERE grant_id IN ",
                "(SELECT grant_id FROM grants WHERE ",
                $filter,
                ")"
            ),
            concat!(
                "UPDATE access_tokens SET revoked = TRUE WHERE grant_id IN ",
                "(SELECT grant_id FROM grants WHERE ",
                $filter,
                ")"
            ),
            concat!(
                "UPDATE grants SET revoked = TRUE WHERE ",
                $filter,
                " AND revoked = FALSE"
            ),
        ]
    };
}

#[async_trait]
impl GrantStore for SqliteStore {
    async fn insert_code(&self, code: &AuthorizationCode) -> StoreResult<()> {
        let code = code.clone();
        self.write(move |tx| {
            sql::execute(
                tx,
                concat!(
                    "INSERT INTO authorization_codes (",
                    code_columns!(),
                    ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                ),
                params![
                    code.code_hash,
                    code.grant_id,
                    code.client_id,
                    code.redirect_uri,
                    code.user_id,
                    code.session_id,
                    code.scope,
                    code.audience,
                    code.nonce,
                    code.code_challenge,
                    code.code_challenge_method,
                    code.auth_time,
                    code.max_age_requested,
                    code.created_at,
                    code.expires_at,
                    code.used_at,
                ],
            )?;
            Ok(())
        })
        .await
    }

    async fn get_code(&self, code_hash: &str) -> StoreResult<Option<AuthorizationCode>> {
        let code_hash = code_hash.to_owned();
        self.read_now(move |c| select_code(c, &code_hash)).await
    }

    async fn get_code_in_use(
        &self,
        code_hash: &str,
    ) -> StoreResult<Option<AuthorizationCodeInUse>> {
        let code_hash = code_hash.to_owned();
        self.read_now(move |c| {
            let Some(code) = select_code(c, &code_hash)? else {
                return Ok(None);
            };
            Ok(Some(AuthorizationCodeInUse {
                user: users::select_user(c, &code.user_id)?,
                session_factors: mfa::select_session_factors(c, &code.session_id)?,
                code,
            }))
        })
        .await
    }

    async fn consume_code(&self, code_hash: &str, now: UnixTime) -> StoreResult<AuthorizationCode> {
        let code_hash = code_hash.to_owned();
        self.write(move |tx| claim_code(tx, &code_hash, now)).await
    }

    async fn redeem_code(
        &self,
        code_hash: &str,
        now: UnixTime,
        grant: &Grant,
        refresh: Option<&RefreshTokenRecord>,
    ) -> StoreResult<()> {
        let (code_hash, grant, refresh) = (code_hash.to_owned(), grant.clone(), refresh.cloned());
        // One transaction: an error anywhere rolls the claim back with the rest.
        self.write(move |tx| {
            claim_code(tx, &code_hash, now)?;
            insert_grant(tx, &grant)?;
            if let Some(token) = &refresh {
                insert_refresh_token(tx, token)?;
            }
            Ok(())
        })
        .await
    }

    async fn revoke_user_client_grants(&self, user_id: &str, client_id: &str) -> StoreResult<u64> {
        let (user_id, client_id) = (user_id.to_owned(), client_id.to_owned());
        self.write(move |tx| {
            let mut revoked = 0;
            for statement in revoke_statements!("user_id = ? AND client_id = ?") {
                revoked = sql::execute(tx, statement, params![user_id, client_id])?;
            }
            // The last statement's count: the grants.
            Ok(revoked)
        })
        .await
    }

    async fn revoke_user_grants(&self, user_id: &str) -> StoreResult<u64> {
        self.revoke_grants_where(GrantOwner::User, user_id, true)
            .await
    }

    async fn session_client_ids(&self, session_id: &str) -> StoreResult<Vec<String>> {
        let session_id = session_id.to_owned();
        self.read(move |c| {
            Ok(sql::all(
                c,
                "SELECT client_id FROM grants WHERE session_id = ? \
                 GROUP BY client_id ORDER BY MIN(created_at), client_id",
                [session_id],
                |r| r.get(0),
            )?)
        })
        .await
    }

    async fn create_grant(&self, grant: &Grant) -> StoreResult<()> {
        let grant = grant.clone();
        self.write(move |tx| insert_grant(tx, &grant)).await
    }

    async fn get_grant(&self, grant_id: &str) -> StoreResult<Option<Grant>> {
        let grant_id = grant_id.to_owned();
        self.read_now(move |c| select_grant(c, &grant_id)).await
    }

    async fn revoke_grant(&self, grant_id: &str) -> StoreResult<()> {
        let grant_id = grant_id.to_owned();
        self.write(move |tx| {
            for statement in [
                "UPDATE grants SET revoked = TRUE WHERE grant_id = ?",
                "UPDATE refresh_tokens SET revoked = TRUE WHERE grant_id = ?",
                "UPDATE access_tokens SET revoked = TRUE WHERE grant_id = ?",
            ] {
                sql::execute(tx, statement, [&grant_id])?;
            }
            Ok(())
        })
        .await
    }

    async fn revoke_session_grants(
        &self,
        session_id: &str,
        include_offline: bool,
    ) -> StoreResult<u64> {
        self.revoke_grants_where(GrantOwner::Session, session_id, include_offline)
            .await
    }

    async fn insert_refresh_token(&self, token: &RefreshTokenRecord) -> StoreResult<()> {
        let token = token.clone();
        self.write(move |tx| insert_refresh_token(tx, &token)).await
    }

    async fn get_refresh_token(&self, token_hash: &str) -> StoreResult<Option<RefreshTokenRecord>> {
        let token_hash = token_hash.to_owned();
        self.read_now(move |c| select_refresh_token(c, &token_hash))
            .await
    }

    async fn get_refresh_token_in_use(
        &self,
        token_hash: &str,
    ) -> StoreResult<Option<RefreshTokenInUse>> {
        let token_hash = token_hash.to_owned();
        self.read_now(move |c| {
            let Some(token) = select_refresh_token(c, &token_hash)? else {
                return Ok(None);
            };
            let grant = select_grant(c, &token.grant_id)?;
            let user = match &grant {
                Some(grant) => users::select_user(c, &grant.user_id)?,
                None => None,
            };
            let session_factors = match grant.as_ref().and_then(|g| g.session_id.as_deref()) {
                Some(session_id) => mfa::select_session_factors(c, session_id)?,
                None => Vec::new(),
            };
            Ok(Some(RefreshTokenInUse {
                token,
                grant,
                user,
                session_factors,
            }))
        })
        .await
    }

    async fn rotate_refresh_token(
        &self,
        old_hash: &str,
        new: &RefreshTokenRecord,
        now: UnixTime,
    ) -> StoreResult<()> {
        let (old_hash, new) = (old_hash.to_owned(), new.clone());
        // One transaction holding the write lock from the start: the claim and the insert
        // commit together, and any early return rolls both back.
        self.write(move |tx| {
            let claimed = sql::execute(
                tx,
                "UPDATE refresh_tokens SET used_at = ? \
                 WHERE token_hash = ? AND used_at IS NULL AND revoked = FALSE",
                params![now, old_hash],
            )?;
            if claimed == 0 {
                let old: Option<(String, bool)> = sql::optional(
                    tx,
                    "SELECT grant_id, revoked FROM refresh_tokens WHERE token_hash = ?",
                    [&old_hash],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )?;
                return Err(match old {
                    Some((grant_id, false)) => StoreError::AlreadyConsumed { grant_id },
                    _ => StoreError::NotFound,
                }
                .into());
            }
            insert_refresh_token(tx, &new)
        })
        .await
    }

    async fn insert_access_token(&self, token: &AccessTokenRecord) -> StoreResult<()> {
        let token = token.clone();
        self.write(move |tx| {
            sql::execute(
                tx,
                concat!(
                    "INSERT INTO access_tokens (",
                    access_columns!(),
                    ") VALUES (?, ?, ?, ?, ?, ?)"
                ),
                params![
                    token.jti,
                    token.grant_id,
                    token.client_id,
                    token.subject,
                    token.expires_at,
                    token.revoked,
                ],
            )?;
            Ok(())
        })
        .await
    }

    async fn get_access_token(&self, jti: &str) -> StoreResult<Option<AccessTokenRecord>> {
        let jti = jti.to_owned();
        self.read_now(move |c| {
            Ok(sql::optional(
                c,
                concat!(
                    "SELECT ",
                    access_columns!(),
                    " FROM access_tokens WHERE jti = ?"
                ),
                [jti],
                rows::access_token,
            )?)
        })
        .await
    }

    async fn revoke_access_token(&self, jti: &str, expires_at: UnixTime) -> StoreResult<()> {
        let jti = jti.to_owned();
        self.write(move |tx| {
            sql::execute(
                tx,
                "INSERT INTO revoked_access_tokens (jti, expires_at) VALUES (?, ?) \
                 ON CONFLICT (jti) DO NOTHING",
                params![jti, expires_at],
            )?;
            Ok(())
        })
        .await
    }

    async fn access_token_live(&self, jti: &str, grant_id: Option<&str>) -> StoreResult<bool> {
        let (jti, grant_id) = (jti.to_owned(), grant_id.map(str::to_owned));
        self.read_now(move |c| {
            Ok(sql::one(
                c,
                "SELECT NOT EXISTS (SELECT 1 FROM revoked_access_tokens WHERE jti = ?1) \
                 AND (?2 IS NULL OR EXISTS \
                 (SELECT 1 FROM grants WHERE grant_id = ?2 AND revoked = FALSE))",
                params![jti, grant_id],
                |r| r.get(0),
            )?)
        })
        .await
    }

    async fn live_token_user(
        &self,
        jti: &str,
        grant_id: Option<&str>,
        user_id: &str,
    ) -> StoreResult<Option<User>> {
        let (jti, grant_id, user_id) = (
            jti.to_owned(),
            grant_id.map(str::to_owned),
            user_id.to_owned(),
        );
        self.read_now(move |c| {
            Ok(sql::optional(
                c,
                concat!(
                    "SELECT ",
                    user_columns!(),
                    ", connection, upstream_email FROM users WHERE user_id = ?1",
                    " AND NOT EXISTS (SELECT 1 FROM revoked_access_tokens WHERE jti = ?2)",
                    " AND (?3 IS NULL OR EXISTS",
                    " (SELECT 1 FROM grants WHERE grant_id = ?3 AND revoked = FALSE))"
                ),
                params![user_id, jti, grant_id],
                rows::user,
            )?)
        })
        .await
    }

    async fn purge_expired(&self, now: UnixTime) -> StoreResult<u64> {
        self.write(move |tx| {
            let mut purged = 0;
            // Tokens before grants: a grant goes only once none of its tokens is left.
            for statement in [
                "DELETE FROM authorization_codes WHERE expires_at < ?",
                "DELETE FROM refresh_tokens WHERE expires_at < ?",
                "DELETE FROM access_tokens WHERE expires_at < ?",
                "DELETE FROM revoked_access_tokens WHERE expires_at < ?",
                "DELETE FROM grants WHERE expires_at < ? \
                 AND NOT EXISTS (SELECT 1 FROM refresh_tokens r WHERE r.grant_id = grants.grant_id) \
                 AND NOT EXISTS (SELECT 1 FROM access_tokens a WHERE a.grant_id = grants.grant_id)",
            ] {
                purged += sql::execute(tx, statement, [now])?;
            }
            Ok(purged)
        })
        .await
    }
}

/// Marks the code used and returns it. One statement: of many concurrent callers, exactly one
/// sees `used_at IS NULL`.
fn claim_code(
    conn: &Connection,
    code_hash: &str,
    now: UnixTime,
) -> Result<AuthorizationCode, Failure> {
    let claimed = sql::optional(
        conn,
        concat!(
            "UPDATE authorization_codes SET used_at = ? \
             WHERE code_hash = ? AND used_at IS NULL RETURNING ",
            code_columns!()
        ),
        params![now, code_hash],
        rows::code,
    )?;
    if let Some(code) = claimed {
        return Ok(code);
    }
    // Not claimed: either it was used (used_at never goes back to NULL) or it does not exist.
    let grant_id: Option<String> = sql::optional(
        conn,
        "SELECT grant_id FROM authorization_codes WHERE code_hash = ?",
        [code_hash],
        |r| r.get(0),
    )?;
    Err(match grant_id {
        Some(grant_id) => StoreError::AlreadyConsumed { grant_id },
        None => StoreError::NotFound,
    }
    .into())
}

fn select_code(c: &Connection, code_hash: &str) -> Result<Option<AuthorizationCode>, Failure> {
    Ok(sql::optional(
        c,
        concat!(
            "SELECT ",
            code_columns!(),
            " FROM authorization_codes WHERE code_hash = ?"
        ),
        [code_hash],
        rows::code,
    )?)
}

fn select_grant(c: &Connection, grant_id: &str) -> Result<Option<Grant>, Failure> {
    Ok(sql::optional(
        c,
        concat!(
            "SELECT ",
            grant_columns!(),
            " FROM grants WHERE grant_id = ?"
        ),
        [grant_id],
        rows::grant,
    )?)
}

fn select_refresh_token(
    c: &Connection,
    token_hash: &str,
) -> Result<Option<RefreshTokenRecord>, Failure> {
    Ok(sql::optional(
        c,
        concat!(
            "SELECT ",
            refresh_columns!(),
            " FROM refresh_tokens WHERE token_hash = ?"
        ),
        [token_hash],
        rows::refresh_token,
    )?)
}

fn insert_grant(conn: &Connection, grant: &Grant) -> Result<(), Failure> {
    sql::execute(
        conn,
        concat!(
            "INSERT INTO grants (",
            grant_columns!(),
            ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        ),
        params![
            grant.grant_id,
            grant.client_id,
            grant.user_id,
            grant.session_id,
            grant.scope,
            grant.audience,
            grant.nonce,
            grant.auth_time,
            grant.offline,
            grant.revoked,
            grant.created_at,
            grant.expires_at,
        ],
    )?;
    Ok(())
}

fn insert_refresh_token(conn: &Connection, token: &RefreshTokenRecord) -> Result<(), Failure> {
    sql::execute(
        conn,
        concat!(
            "INSERT INTO refresh_tokens (",
            refresh_columns!(),
            ") VALUES (?, ?, ?, ?, ?, ?, ?)"
        ),
        params![
            token.token_hash,
            token.grant_id,
            token.client_id,
            token.created_at,
            token.expires_at,
            token.used_at,
            token.revoked,
        ],
    )?;
    Ok(())
}

/// Which column selects the grants to revoke.
#[derive(Clone, Copy)]
enum GrantOwner {
    User,
    Session,
}

impl GrantOwner {
    /// Revoke the refresh tokens, the access-token records, then the grants themselves.
    fn statements(self) -> [&'static str; 3] {
        match self {
            GrantOwner::User => revoke_statements!("user_id = ? AND (? OR offline = FALSE)"),
            GrantOwner::Session => revoke_statements!("session_id = ? AND (? OR offline = FALSE)"),
        }
    }
}

impl SqliteStore {
    /// Revokes, in one transaction, the grants whose `owner` column equals `key` (sparing
    /// `offline_access` grants unless `include_offline`), with their refresh tokens and
    /// access-token records. Returns how many grants this call revoked.
    async fn revoke_grants_where(
        &self,
        owner: GrantOwner,
        key: &str,
        include_offline: bool,
    ) -> StoreResult<u64> {
        let key = key.to_owned();
        self.write(move |tx| {
            let mut revoked = 0;
            for statement in owner.statements() {
                revoked = sql::execute(tx, statement, params![key, include_offline])?;
            }
            // The last statement's count: the grants.
            Ok(revoked)
        })
        .await
    }
}
