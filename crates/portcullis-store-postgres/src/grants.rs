//! `GrantStore`: codes, grants, refresh tokens, access-token records.
//!
//! Statements with `RETURNING` are read with `fetch_all` (they return at most one row), so the
//! statement always runs to completion and its write commits before the connection is reused.

use crate::PostgresStore;
use crate::error::db;
use crate::rows::{
    self, access_columns, code_columns, grant_columns, refresh_columns, user_columns,
};
use async_trait::async_trait;
use portcullis_store::*;
use std::sync::LazyLock;

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
impl GrantStore for PostgresStore {
    async fn insert_code(&self, code: &AuthorizationCode) -> StoreResult<()> {
        sqlx::query(concat!(
            "INSERT INTO authorization_codes (",
            code_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"
        ))
        .bind(&code.code_hash)
        .bind(&code.grant_id)
        .bind(&code.client_id)
        .bind(&code.redirect_uri)
        .bind(&code.user_id)
        .bind(&code.session_id)
        .bind(&code.scope)
        .bind(&code.audience)
        .bind(&code.nonce)
        .bind(&code.code_challenge)
        .bind(&code.code_challenge_method)
        .bind(code.auth_time)
        .bind(code.max_age_requested)
        .bind(code.created_at)
        .bind(code.expires_at)
        .bind(code.used_at)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn get_code(&self, code_hash: &str) -> StoreResult<Option<AuthorizationCode>> {
        if crate::unstorable(code_hash) {
            return Ok(None);
        }
        let row = sqlx::query(concat!(
            "SELECT ",
            code_columns!(),
            " FROM authorization_codes WHERE code_hash = $1"
        ))
        .bind(code_hash)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        row.as_ref().map(rows::code).transpose()
    }

    async fn get_code_in_use(
        &self,
        code_hash: &str,
    ) -> StoreResult<Option<AuthorizationCodeInUse>> {
        if crate::unstorable(code_hash) {
            return Ok(None);
        }
        /// The code, its user and its session's factors in one statement: one round trip.
        static SELECT: LazyLock<String> = LazyLock::new(|| {
            format!(
                "SELECT {}, {}, {} FROM authorization_codes c \
                 LEFT JOIN users u ON u.user_id = c.user_id \
                 WHERE c.code_hash = $1",
                rows::aliased("c", code_columns!()),
                rows::aliased(
                    "u",
                    concat!(user_columns!(), ", connection, upstream_email")
                ),
                rows::session_factor_arrays("c.session_id"),
            )
        });
        let Some(row) = sqlx::query(SELECT.as_str())
            .bind(code_hash)
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?
        else {
            return Ok(None);
        };
        Ok(Some(AuthorizationCodeInUse {
            code: rows::code_in(&row, "c_")?,
            user: rows::joined(&row, "u_", "user_id", rows::user_in)?,
            session_factors: rows::session_factors(&row)?,
        }))
    }

    async fn consume_code(&self, code_hash: &str, now: UnixTime) -> StoreResult<AuthorizationCode> {
        if crate::unstorable(code_hash) {
            return Err(StoreError::NotFound);
        }
        // One statement: of many concurrent callers, exactly one sees `used_at IS NULL` (the
        // others wait for its row lock and re-check the condition on the updated row).
        let claimed = sqlx::query(concat!(
            "UPDATE authorization_codes SET used_at = $1 \
             WHERE code_hash = $2 AND used_at IS NULL RETURNING ",
            code_columns!()
        ))
        .bind(now)
        .bind(code_hash)
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        if let Some(row) = claimed.first() {
            return rows::code(row);
        }
        Err(self.unclaimed_code(code_hash).await?)
    }

    async fn redeem_code(
        &self,
        code_hash: &str,
        now: UnixTime,
        grant: &Grant,
        refresh: Option<&RefreshTokenRecord>,
    ) -> StoreResult<()> {
        if crate::unstorable(code_hash) {
            return Err(StoreError::NotFound);
        }
        // One statement, so one round trip and atomic: the claim (of concurrent claims, one
        // sees `used_at IS NULL`; the others wait for its row lock and re-check), the grant
        // (only if claimed) and the refresh token (only if asked for and the grant was stored).
        // A taken grant id fails the whole statement, claim included.
        let placeholder = RefreshTokenRecord {
            token_hash: String::new(),
            grant_id: String::new(),
            client_id: String::new(),
            created_at: 0,
            expires_at: 0,
            used_at: None,
            revoked: false,
        };
        let token = refresh.unwrap_or(&placeholder);
        let query = sqlx::query(concat!(
            "WITH claimed AS (UPDATE authorization_codes SET used_at = $1 \
             WHERE code_hash = $2 AND used_at IS NULL RETURNING grant_id), \
             new_grant AS (INSERT INTO grants (",
            grant_columns!(),
            ") SELECT $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14 FROM claimed \
             RETURNING grant_id), \
             new_refresh AS (INSERT INTO refresh_tokens (",
            refresh_columns!(),
            ") SELECT $15, $16, $17, $18, $19, $20, $21 FROM new_grant WHERE $22 \
             RETURNING token_hash) \
             SELECT COUNT(*) FROM claimed"
        ))
        .bind(now)
        .bind(code_hash);
        let query = bind_refresh_token(bind_grant(query, grant), token);
        let claimed: i64 = query
            .bind(refresh.is_some())
            .fetch_one(&self.pool)
            .await
            .and_then(|row| sqlx::Row::try_get(&row, 0))
            .map_err(db)?;
        if claimed == 1 {
            return Ok(());
        }
        Err(self.unclaimed_code(code_hash).await?)
    }

    async fn revoke_user_client_grants(&self, user_id: &str, client_id: &str) -> StoreResult<u64> {
        if crate::unstorable(user_id) || crate::unstorable(client_id) {
            return Ok(0);
        }
        let mut tx = self.begin().await?;
        let mut revoked = 0;
        for statement in revoke_statements!("user_id = $1 AND client_id = $2") {
            revoked = sqlx::query(statement)
                .bind(user_id)
                .bind(client_id)
                .execute(&mut *tx)
                .await
                .map_err(db)?
                .rows_affected();
        }
        tx.commit().await.map_err(db)?;
        // The last statement's count: the grants.
        Ok(revoked)
    }

    async fn revoke_user_grants(&self, user_id: &str) -> StoreResult<u64> {
        self.revoke_grants_where(GrantOwner::User, user_id, true)
            .await
    }

    async fn session_client_ids(&self, session_id: &str) -> StoreResult<Vec<String>> {
        if crate::unstorable(session_id) {
            return Ok(Vec::new());
        }
        sqlx::query_scalar(
            "SELECT client_id FROM grants WHERE session_id = $1 \
             GROUP BY client_id ORDER BY MIN(created_at), client_id",
        )
        .bind(session_id)
        .fetch_all(&self.pool)
        .await
        .map_err(db)
    }

    async fn create_grant(&self, grant: &Grant) -> StoreResult<()> {
        let query = sqlx::query(concat!(
            "INSERT INTO grants (",
            grant_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
        ));
        bind_grant(query, grant)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn get_grant(&self, grant_id: &str) -> StoreResult<Option<Grant>> {
        if crate::unstorable(grant_id) {
            return Ok(None);
        }
        sqlx::query(concat!(
            "SELECT ",
            grant_columns!(),
            " FROM grants WHERE grant_id = $1"
        ))
        .bind(grant_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?
        .as_ref()
        .map(rows::grant)
        .transpose()
    }

    async fn revoke_grant(&self, grant_id: &str) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        for statement in [
            "UPDATE grants SET revoked = TRUE WHERE grant_id = $1",
            "UPDATE refresh_tokens SET revoked = TRUE WHERE grant_id = $1",
            "UPDATE access_tokens SET revoked = TRUE WHERE grant_id = $1",
        ] {
            sqlx::query(statement)
                .bind(grant_id)
                .execute(&mut *tx)
                .await
                .map_err(db)?;
        }
        tx.commit().await.map_err(db)
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
        let mut conn = self.pool.acquire().await.map_err(db)?;
        insert_refresh_token(&mut conn, token).await?;
        conn.release();
        Ok(())
    }

    async fn get_refresh_token(&self, token_hash: &str) -> StoreResult<Option<RefreshTokenRecord>> {
        if crate::unstorable(token_hash) {
            return Ok(None);
        }
        sqlx::query(concat!(
            "SELECT ",
            refresh_columns!(),
            " FROM refresh_tokens WHERE token_hash = $1"
        ))
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?
        .as_ref()
        .map(rows::refresh_token)
        .transpose()
    }

    async fn get_refresh_token_in_use(
        &self,
        token_hash: &str,
    ) -> StoreResult<Option<RefreshTokenInUse>> {
        if crate::unstorable(token_hash) {
            return Ok(None);
        }
        /// The token, its grant, the grant's user and the session's factors in one statement:
        /// one round trip.
        static SELECT: LazyLock<String> = LazyLock::new(|| {
            format!(
                "SELECT {}, {}, {}, {} FROM refresh_tokens r \
                 LEFT JOIN grants g ON g.grant_id = r.grant_id \
                 LEFT JOIN users u ON u.user_id = g.user_id \
                 WHERE r.token_hash = $1",
                rows::aliased("r", refresh_columns!()),
                rows::aliased("g", grant_columns!()),
                rows::aliased(
                    "u",
                    concat!(user_columns!(), ", connection, upstream_email")
                ),
                rows::session_factor_arrays("g.session_id"),
            )
        });
        let Some(row) = sqlx::query(SELECT.as_str())
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?
        else {
            return Ok(None);
        };
        Ok(Some(RefreshTokenInUse {
            token: rows::refresh_token_in(&row, "r_")?,
            grant: rows::joined(&row, "g_", "grant_id", rows::grant_in)?,
            user: rows::joined(&row, "u_", "user_id", rows::user_in)?,
            session_factors: rows::session_factors(&row)?,
        }))
    }

    async fn rotate_refresh_token(
        &self,
        old_hash: &str,
        new: &RefreshTokenRecord,
        now: UnixTime,
    ) -> StoreResult<()> {
        if crate::unstorable(old_hash) {
            return Err(StoreError::NotFound);
        }
        // One statement, so one round trip and atomic: the claim and the insert of its
        // successor. A concurrent claim of the same row waits for this one's row lock, then
        // re-checks `used_at IS NULL` on the committed row (READ COMMITTED) and claims nothing.
        let query = sqlx::query(concat!(
            "WITH claimed AS (UPDATE refresh_tokens SET used_at = $1 \
             WHERE token_hash = $2 AND used_at IS NULL AND revoked = FALSE RETURNING token_hash) \
             INSERT INTO refresh_tokens (",
            refresh_columns!(),
            ") SELECT $3, $4, $5, $6, $7, $8, $9 FROM claimed"
        ))
        .bind(now)
        .bind(old_hash);
        let rotated = bind_refresh_token(query, new)
            .execute(&self.pool)
            .await
            .map_err(db)?
            .rows_affected();
        if rotated == 1 {
            return Ok(());
        }
        let old: Option<(String, bool)> =
            sqlx::query_as("SELECT grant_id, revoked FROM refresh_tokens WHERE token_hash = $1")
                .bind(old_hash)
                .fetch_optional(&self.pool)
                .await
                .map_err(db)?;
        Err(match old {
            Some((grant_id, false)) => StoreError::AlreadyConsumed { grant_id },
            _ => StoreError::NotFound,
        })
    }

    async fn insert_access_token(&self, token: &AccessTokenRecord) -> StoreResult<()> {
        sqlx::query(concat!(
            "INSERT INTO access_tokens (",
            access_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6)"
        ))
        .bind(&token.jti)
        .bind(&token.grant_id)
        .bind(&token.client_id)
        .bind(&token.subject)
        .bind(token.expires_at)
        .bind(token.revoked)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn get_access_token(&self, jti: &str) -> StoreResult<Option<AccessTokenRecord>> {
        if crate::unstorable(jti) {
            return Ok(None);
        }
        sqlx::query(concat!(
            "SELECT ",
            access_columns!(),
            " FROM access_tokens WHERE jti = $1"
        ))
        .bind(jti)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?
        .as_ref()
        .map(rows::access_token)
        .transpose()
    }

    async fn revoke_access_token(&self, jti: &str, expires_at: UnixTime) -> StoreResult<()> {
        if crate::unstorable(jti) {
            return Ok(());
        }
        sqlx::query("INSERT INTO revoked_access_tokens (jti, expires_at) VALUES ($1, $2) ON CONFLICT (jti) DO NOTHING")
            .bind(jti)
            .bind(expires_at)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn access_token_live(&self, jti: &str, grant_id: Option<&str>) -> StoreResult<bool> {
        if grant_id.is_some_and(crate::unstorable) {
            return Ok(false);
        }
        if crate::unstorable(jti) {
            // Never stored, so never revoked: only the grant decides.
            return Ok(match grant_id {
                Some(grant_id) => self.get_grant(grant_id).await?.is_some_and(|g| !g.revoked),
                None => true,
            });
        }
        sqlx::query_scalar(
            "SELECT NOT EXISTS (SELECT 1 FROM revoked_access_tokens WHERE jti = $1) \
             AND ($2::TEXT IS NULL OR EXISTS \
             (SELECT 1 FROM grants WHERE grant_id = $2 AND revoked = FALSE))",
        )
        .bind(jti)
        .bind(grant_id)
        .fetch_one(&self.pool)
        .await
        .map_err(db)
    }

    async fn live_token_user(
        &self,
        jti: &str,
        grant_id: Option<&str>,
        user_id: &str,
    ) -> StoreResult<Option<User>> {
        if crate::unstorable(user_id) || grant_id.is_some_and(crate::unstorable) {
            return Ok(None);
        }
        // A `jti` that cannot be stored was never revoked: bound as NULL, it matches nothing.
        let jti = (!crate::unstorable(jti)).then_some(jti);
        sqlx::query(concat!(
            "SELECT ",
            user_columns!(),
            ", connection, upstream_email FROM users WHERE user_id = $1",
            " AND NOT EXISTS (SELECT 1 FROM revoked_access_tokens WHERE jti = $2)",
            " AND ($3::TEXT IS NULL OR EXISTS",
            " (SELECT 1 FROM grants WHERE grant_id = $3 AND revoked = FALSE))"
        ))
        .bind(user_id)
        .bind(jti)
        .bind(grant_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?
        .as_ref()
        .map(rows::user)
        .transpose()
    }

    async fn purge_expired(&self, now: UnixTime) -> StoreResult<u64> {
        let mut tx = self.begin().await?;
        let mut purged = 0;
        // Tokens before grants: a grant goes only once none of its tokens is left.
        for statement in [
            "DELETE FROM authorization_codes WHERE expires_at < $1",
            "DELETE FROM refresh_tokens WHERE expires_at < $1",
            "DELETE FROM access_tokens WHERE expires_at < $1",
            "DELETE FROM revoked_access_tokens WHERE expires_at < $1",
            "DELETE FROM grants WHERE expires_at < $1 \
             AND NOT EXISTS (SELECT 1 FROM refresh_tokens r WHERE r.grant_id = grants.grant_id) \
             AND NOT EXISTS (SELECT 1 FROM access_tokens a WHERE a.grant_id = grants.grant_id)",
        ] {
            purged += sqlx::query(statement)
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(db)?
                .rows_affected();
        }
        tx.commit().await.map_err(db)?;
        Ok(purged)
    }
}

async fn insert_refresh_token(
    conn: &mut sqlx::PgConnection,
    token: &RefreshTokenRecord,
) -> StoreResult<()> {
    let query = sqlx::query(concat!(
        "INSERT INTO refresh_tokens (",
        refresh_columns!(),
        ") VALUES ($1, $2, $3, $4, $5, $6, $7)"
    ));
    bind_refresh_token(query, token)
        .execute(conn)
        .await
        .map_err(db)?;
    Ok(())
}

type PgQuery<'q> = sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>;

/// Binds a grant's columns, in `grant_columns!()` order, after the query's binds so far.
fn bind_grant<'q>(query: PgQuery<'q>, grant: &'q Grant) -> PgQuery<'q> {
    query
        .bind(&grant.grant_id)
        .bind(&grant.client_id)
        .bind(&grant.user_id)
        .bind(&grant.session_id)
        .bind(&grant.scope)
        .bind(&grant.audience)
        .bind(&grant.nonce)
        .bind(grant.auth_time)
        .bind(grant.offline)
        .bind(grant.revoked)
        .bind(grant.created_at)
        .bind(grant.expires_at)
}

/// Binds a refresh token's columns, in `refresh_columns!()` order, after the query's binds so
/// far.
fn bind_refresh_token<'q>(query: PgQuery<'q>, token: &'q RefreshTokenRecord) -> PgQuery<'q> {
    query
        .bind(&token.token_hash)
        .bind(&token.grant_id)
        .bind(&token.client_id)
        .bind(token.created_at)
        .bind(token.expires_at)
        .bind(token.used_at)
        .bind(token.revoked)
}

impl PostgresStore {
    /// Why a code could not be claimed: it was used (`used_at` never goes back to NULL), or it
    /// does not exist.
    async fn unclaimed_code(&self, code_hash: &str) -> StoreResult<StoreError> {
        let grant_id: Option<String> =
            sqlx::query_scalar("SELECT grant_id FROM authorization_codes WHERE code_hash = $1")
                .bind(code_hash)
                .fetch_optional(&self.pool)
                .await
                .map_err(db)?;
        Ok(match grant_id {
            Some(grant_id) => StoreError::AlreadyConsumed { grant_id },
            None => StoreError::NotFound,
        })
    }
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
            GrantOwner::User => revoke_statements!("user_id = $1 AND ($2 OR offline = FALSE)"),
            GrantOwner::Session => {
                revoke_statements!("session_id = $1 AND ($2 OR offline = FALSE)")
            }
        }
    }
}

impl PostgresStore {
    /// Revokes, in one transaction, the grants whose `owner` column equals `key` (sparing
    /// `offline_access` grants unless `include_offline`), with their refresh tokens and
    /// access-token records. Returns how many grants this call revoked.
    async fn revoke_grants_where(
        &self,
        owner: GrantOwner,
        key: &str,
        include_offline: bool,
    ) -> StoreResult<u64> {
        let mut tx = self.begin().await?;
        let mut revoked = 0;
        for statement in owner.statements() {
            revoked = sqlx::query(statement)
                .bind(key)
                .bind(include_offline)
                .execute(&mut *tx)
                .await
                .map_err(db)?
                .rows_affected();
        }
        tx.commit().await.map_err(db)?;
        // The last statement's count: the grants.
        Ok(revoked)
    }
}
