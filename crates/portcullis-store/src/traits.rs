//! The storage traits. One per aggregate, each sized to what its callers need.

use crate::error::StoreResult;
use crate::model::*;
use async_trait::async_trait;

/// Applications.
#[async_trait]
pub trait ClientStore: Send + Sync {
    /// Fails with `Conflict` when the client id exists.
    async fn create_client(&self, client: &Client) -> StoreResult<()>;
    async fn get_client(&self, client_id: &str) -> StoreResult<Option<Client>>;
    /// Ordered by creation time, then id.
    async fn list_clients(&self) -> StoreResult<Vec<Client>>;
    /// Replaces every field but `client_id` and `created_at`. `NotFound` when absent.
    async fn update_client(&self, client: &Client) -> StoreResult<()>;
    /// Also deletes its client grants, grants, codes and tokens. `NotFound` when absent.
    async fn delete_client(&self, client_id: &str) -> StoreResult<()>;
}

/// End users.
#[async_trait]
pub trait UserStore: Send + Sync {
    /// Creates a user of the database connection (password sign-in). Stores the email
    /// lower-cased. Fails with `Conflict` when the id or the (lower-cased) email is another
    /// database-connection user's.
    async fn create_user(&self, user: &User) -> StoreResult<()>;
    async fn get_user(&self, user_id: &str) -> StoreResult<Option<User>>;
    /// The database-connection user with this email (compared lower-cased); users of upstream
    /// connections are never found by email (their address is not proven to be theirs here).
    async fn get_user_by_email(&self, email: &str) -> StoreResult<Option<User>>;
    /// Ordered by creation time, then id.
    async fn list_users(&self) -> StoreResult<Vec<User>>;
    /// Replaces every field but `user_id` and `created_at` (the email stored lower-cased).
    /// `NotFound` when absent, `Conflict` when the user is of the database connection and the new
    /// email is another database-connection user's.
    async fn update_user(&self, user: &User) -> StoreResult<()>;
    /// Also deletes the user's sessions, grants, codes, tokens, identities and role
    /// assignments. `NotFound` when absent.
    async fn delete_user(&self, user_id: &str) -> StoreResult<()>;
}

/// Accounts at upstream identity providers, and the users they sign in.
#[async_trait]
pub trait IdentityStore: Send + Sync {
    /// Creates, in one step, a user of the upstream connection `identity.connection` and its
    /// identity. The user's email is not unique (it is the upstream's claim, not proven here).
    /// `Conflict` when the user id or the (connection, subject) exists.
    async fn create_upstream_user(&self, user: &User, identity: &Identity) -> StoreResult<()>;
    async fn get_identity(&self, connection: &str, subject: &str) -> StoreResult<Option<Identity>>;
    /// A user's identities, oldest first.
    async fn list_user_identities(&self, user_id: &str) -> StoreResult<Vec<Identity>>;
    /// Links an identity to an existing user. `Conflict` when the (connection, subject) exists.
    async fn link_identity(&self, identity: &Identity) -> StoreResult<()>;
    /// Replaces the profile and `updated_at` of an identity. `NotFound` when absent.
    async fn update_identity(&self, identity: &Identity) -> StoreResult<()>;
    /// Gives a user without a password one, as a user of the database connection: `email`
    /// (which the caller had the user prove) becomes the verified sign-in address, unique among
    /// the database connection's users; the user keeps its id and identities. `NotFound` when the
    /// user is absent or already has a password; `Conflict` when another database user has the
    /// address.
    async fn add_database_password(
        &self,
        user_id: &str,
        email: &str,
        password_hash: &str,
        now: UnixTime,
    ) -> StoreResult<()>;
    /// Account linking: moves every identity of `from`, a user of an upstream connection only
    /// (no password), to `into`, and deletes `from` with its sessions, grants and tokens, in one
    /// step. `NotFound` when either user is absent; `Conflict` when `from` has a password or
    /// signs in with the database connection.
    async fn merge_upstream_user(&self, from: &str, into: &str) -> StoreResult<()>;
}

/// How a server learns that applications, APIs or client grants changed (it keeps them in
/// memory: `portcullis_core::catalog`).
#[async_trait]
pub trait CatalogStore: Send + Sync {
    /// A counter the database moves on every write to applications, APIs, client grants or
    /// settings, whoever makes it (a trigger): another replica's, the CLI's, this process's.
    async fn catalog_generation(&self) -> StoreResult<i64>;
    /// How many writes to applications, APIs, client grants or settings this store object (and
    /// its clones) made, counted after each commits: free to read on every request.
    fn local_catalog_writes(&self) -> u64;
}

/// APIs (resource servers) and the M2M grants to them.
#[async_trait]
pub trait ApiStore: Send + Sync {
    /// Fails with `Conflict` when the id or the identifier exists.
    async fn create_api(&self, api: &Api) -> StoreResult<()>;
    async fn get_api(&self, api_id: &str) -> StoreResult<Option<Api>>;
    async fn get_api_by_identifier(&self, identifier: &str) -> StoreResult<Option<Api>>;
    /// Ordered by creation time, then id.
    async fn list_apis(&self) -> StoreResult<Vec<Api>>;
    /// Replaces every field but `api_id` and `created_at`. `NotFound` when absent.
    async fn update_api(&self, api: &Api) -> StoreResult<()>;
    /// Also deletes its client grants and the roles' permissions for it. `NotFound` when
    /// absent.
    async fn delete_api(&self, api_id: &str) -> StoreResult<()>;

    /// Fails with `Conflict` when the (client, audience) pair exists.
    async fn create_client_grant(&self, grant: &ClientGrant) -> StoreResult<()>;
    async fn find_client_grant(
        &self,
        client_id: &str,
        audience: &str,
    ) -> StoreResult<Option<ClientGrant>>;
    /// Ordered by creation time, then id.
    async fn list_client_grants(&self) -> StoreResult<Vec<ClientGrant>>;
    /// Replaces the scopes. `NotFound` when absent.
    async fn update_client_grant(&self, grant: &ClientGrant) -> StoreResult<()>;
    /// `NotFound` when absent.
    async fn delete_client_grant(&self, grant_id: &str) -> StoreResult<()>;
}

/// Roles (Auth0's RBAC): their permissions, and the users they are assigned to.
#[async_trait]
pub trait RoleStore: Send + Sync {
    /// Fails with `Conflict` when the id or the name exists.
    async fn create_role(&self, role: &Role) -> StoreResult<()>;
    async fn get_role(&self, role_id: &str) -> StoreResult<Option<Role>>;
    /// Names are compared exactly.
    async fn get_role_by_name(&self, name: &str) -> StoreResult<Option<Role>>;
    /// Ordered by name, then id.
    async fn list_roles(&self) -> StoreResult<Vec<Role>>;
    /// Replaces `name`, `description` and `updated_at`. `NotFound` when absent, `Conflict` when
    /// the new name is another role's.
    async fn update_role(&self, role: &Role) -> StoreResult<()>;
    /// Also removes its permissions and its assignments to users. `NotFound` when absent.
    async fn delete_role(&self, role_id: &str) -> StoreResult<()>;

    /// Adds permissions to a role; ones it already has are left alone. `NotFound` when the
    /// role is absent.
    async fn add_role_permissions(
        &self,
        role_id: &str,
        permissions: &[Permission],
    ) -> StoreResult<()>;
    /// Removes permissions from a role; ones it does not have are ignored. `NotFound` when the
    /// role is absent.
    async fn remove_role_permissions(
        &self,
        role_id: &str,
        permissions: &[Permission],
    ) -> StoreResult<()>;
    /// Ordered by API identifier, then permission name.
    async fn list_role_permissions(&self, role_id: &str) -> StoreResult<Vec<Permission>>;
    /// Removes every role's permissions for the API `identifier` whose name is not in `keep`
    /// (the API stopped defining them, or was deleted when `keep` is empty). Returns how many.
    async fn prune_api_permissions(&self, identifier: &str, keep: &[String]) -> StoreResult<u64>;

    /// Assigns roles to a user; roles already assigned are left alone. `NotFound` when the user
    /// or any of the roles is absent (and then nothing changes).
    async fn assign_user_roles(&self, user_id: &str, role_ids: &[String]) -> StoreResult<()>;
    /// Takes roles away from a user; roles not assigned are ignored.
    async fn remove_user_roles(&self, user_id: &str, role_ids: &[String]) -> StoreResult<()>;
    /// A user's roles, ordered by name, then id.
    async fn list_user_roles(&self, user_id: &str) -> StoreResult<Vec<Role>>;
    /// The ids of the users a role is assigned to, ordered.
    async fn list_role_users(&self, role_id: &str) -> StoreResult<Vec<String>>;
    /// Every permission a user holds through their roles, with the role each comes from,
    /// ordered by API identifier, permission name, then role id. With `api`, only that API's.
    async fn list_user_permissions(
        &self,
        user_id: &str,
        api: Option<&str>,
    ) -> StoreResult<Vec<UserPermission>>;
}

/// Authorization codes, grants, refresh tokens and access-token records.
#[async_trait]
pub trait GrantStore: Send + Sync {
    async fn insert_code(&self, code: &AuthorizationCode) -> StoreResult<()>;
    /// Atomically marks the code used and returns it. A second call for the same hash returns
    /// `AlreadyConsumed { grant_id }`; an unknown hash returns `NotFound`. Expiry is the caller's
    /// check (the record carries `expires_at`).
    async fn consume_code(&self, code_hash: &str, now: UnixTime) -> StoreResult<AuthorizationCode>;
    /// Redeems a code in one step, all or nothing: claims it (as [`GrantStore::consume_code`]:
    /// `AlreadyConsumed { grant_id }` if it was used, `NotFound` if unknown), stores `grant`
    /// (`Conflict` if its id is taken) and, when given, `refresh`. On any error nothing is
    /// stored and the code is not claimed.
    ///
    /// The default runs the three calls one after the other, which is not all-or-nothing;
    /// backends override it with one transaction.
    async fn redeem_code(
        &self,
        code_hash: &str,
        now: UnixTime,
        grant: &Grant,
        refresh: Option<&RefreshTokenRecord>,
    ) -> StoreResult<()> {
        self.consume_code(code_hash, now).await?;
        self.create_grant(grant).await?;
        if let Some(token) = refresh {
            self.insert_refresh_token(token).await?;
        }
        Ok(())
    }
    /// The code with this hash, used or not (`used_at` says), without changing it: the token
    /// endpoint checks the code's client, redirect URI and PKCE binding before consuming it.
    async fn get_code(&self, code_hash: &str) -> StoreResult<Option<AuthorizationCode>>;
    /// The code with this hash (as [`GrantStore::get_code`]), its user and its session's
    /// factors, in one read: what the token endpoint checks before it redeems the code.
    async fn get_code_in_use(&self, code_hash: &str)
    -> StoreResult<Option<AuthorizationCodeInUse>>;

    /// Fails with `Conflict` when the id exists.
    async fn create_grant(&self, grant: &Grant) -> StoreResult<()>;
    async fn get_grant(&self, grant_id: &str) -> StoreResult<Option<Grant>>;
    /// Marks the grant revoked, with all its refresh tokens and access-token records.
    /// Revoking an unknown or already revoked grant is not an error.
    async fn revoke_grant(&self, grant_id: &str) -> StoreResult<()>;
    /// Revokes the grants of an IdP session, with their tokens, as [`Self::revoke_grant`] does;
    /// with `include_offline = false` the grants that hold `offline_access` survive. Returns how
    /// many grants this call revoked (grants already revoked are not counted).
    /// Revokes every grant of a user, `offline_access` ones included, with their tokens (a
    /// password change or a block). Returns how many grants this call revoked.
    async fn revoke_user_grants(&self, user_id: &str) -> StoreResult<u64>;
    /// Revokes every grant of one user for one application (a consent taken back), with their
    /// tokens, `offline_access` ones included. Returns how many grants this call revoked.
    async fn revoke_user_client_grants(&self, user_id: &str, client_id: &str) -> StoreResult<u64>;

    /// The applications that took part in an IdP session: the distinct client ids of the grants
    /// created in it (revoked ones included), in order of first grant.
    async fn session_client_ids(&self, session_id: &str) -> StoreResult<Vec<String>>;

    async fn revoke_session_grants(
        &self,
        session_id: &str,
        include_offline: bool,
    ) -> StoreResult<u64>;

    async fn insert_refresh_token(&self, token: &RefreshTokenRecord) -> StoreResult<()>;
    async fn get_refresh_token(&self, token_hash: &str) -> StoreResult<Option<RefreshTokenRecord>>;
    /// The refresh token with this hash, its grant, the grant's user and its session's factors,
    /// in one read (what `get_refresh_token`, `get_grant`, `get_user` and
    /// `list_session_factors` would return): a refresh needs them all before it rotates the
    /// token.
    async fn get_refresh_token_in_use(
        &self,
        token_hash: &str,
    ) -> StoreResult<Option<RefreshTokenInUse>>;
    /// Atomically marks `old_hash` used (at `now`) and stores `new`. Exactly one of many
    /// concurrent callers succeeds. When `old_hash` was already used, returns
    /// `AlreadyConsumed { grant_id }` and changes nothing (the caller revokes the family); when
    /// unknown or revoked (used or not), `NotFound`. When `new.token_hash` exists, `Conflict`
    /// and nothing changes.
    async fn rotate_refresh_token(
        &self,
        old_hash: &str,
        new: &RefreshTokenRecord,
        now: UnixTime,
    ) -> StoreResult<()>;

    /// Access tokens are not recorded when they are issued: they carry their claims (signed or
    /// sealed), and whether one is still good hangs on its grant and on a list of revoked `jti`s
    /// ([`GrantStore::access_token_live`]). Records written by releases before migration 14
    /// (and by older replicas during a rolling upgrade) are still read through
    /// [`GrantStore::get_access_token`]; this release writes none, so this method is for
    /// conformance tests of those records.
    async fn insert_access_token(&self, token: &AccessTokenRecord) -> StoreResult<()>;
    /// A recorded access token (see [`GrantStore::insert_access_token`]).
    async fn get_access_token(&self, jti: &str) -> StoreResult<Option<AccessTokenRecord>>;
    /// RFC 7009 §2.1 for access tokens: remembers `jti` as revoked until `expires_at` (the
    /// token's `exp`; after it the token is dead anyway and the entry is purged). Revoking twice,
    /// or a `jti` never seen, is not an error.
    async fn revoke_access_token(&self, jti: &str, expires_at: UnixTime) -> StoreResult<()>;
    /// Whether the database lets an access token live, in one read: `jti` was not revoked and,
    /// for a token of a grant (`grant_id`), that grant exists and is not revoked.
    async fn access_token_live(&self, jti: &str, grant_id: Option<&str>) -> StoreResult<bool>;
    /// The user `user_id` when the access token is live (as [`GrantStore::access_token_live`]
    /// says), in one read: what /userinfo needs. `None` when the token is not live or the user
    /// does not exist.
    async fn live_token_user(
        &self,
        jti: &str,
        grant_id: Option<&str>,
        user_id: &str,
    ) -> StoreResult<Option<User>>;

    /// Deletes codes, refresh tokens, access-token records and revoked `jti`s that expired
    /// before `now` (`expires_at < now`), then grants that expired before `now` and have no
    /// refresh token or access-token record left. Returns how many rows went.
    async fn purge_expired(&self, now: UnixTime) -> StoreResult<u64>;
}

/// IdP sessions (the SSO cookie).
#[async_trait]
pub trait SessionStore: Send + Sync {
    async fn create_session(&self, session: &Session) -> StoreResult<()>;
    async fn get_session_by_secret_hash(&self, secret_hash: &str) -> StoreResult<Option<Session>>;
    async fn get_session(&self, session_id: &str) -> StoreResult<Option<Session>>;
    /// Moves the inactivity deadline. Unknown session is not an error.
    async fn touch_session(&self, session_id: &str, idle_expires_at: UnixTime) -> StoreResult<()>;
    /// Unknown session is not an error.
    async fn delete_session(&self, session_id: &str) -> StoreResult<()>;
    /// The live and expired sessions of a user, oldest first.
    async fn list_user_sessions(&self, user_id: &str) -> StoreResult<Vec<Session>>;
    /// Ends every session of a user (password change, block). Returns how many.
    async fn delete_user_sessions(&self, user_id: &str) -> StoreResult<u64>;
    /// Deletes the sessions past their absolute or inactivity deadline at `now`
    /// (`expires_at <= now` or `idle_expires_at <= now`). Returns how many.
    async fn purge_expired_sessions(&self, now: UnixTime) -> StoreResult<u64>;
}

/// Token-signing keys.
#[async_trait]
pub trait KeyStore: Send + Sync {
    /// Fails with `Conflict` when the kid exists, or when the key is `Current` (or `Next`) and a
    /// `Current` (or `Next`) key exists: there is at most one of each, whatever the replicas do.
    async fn insert_key(&self, key: &SigningKeyRecord) -> StoreResult<()>;
    /// Every key, retired ones included, ordered by creation time.
    async fn list_keys(&self) -> StoreResult<Vec<SigningKeyRecord>>;
    /// One atomic rotation: the `Current` key becomes `Previous` with `retire_at`, the `Next` key
    /// (if any) becomes `Current`, and `new_next` is inserted as `Next`. If there was no `Next`,
    /// `new_next` becomes `Current` instead and no `Next` remains. Previous keys whose
    /// `retire_at` is before `now` become `Retired` (checked before the `Current` key is demoted).
    /// The `state` of `new_next` is ignored. When its kid exists, `Conflict` and nothing changes.
    async fn rotate_keys(
        &self,
        new_next: &SigningKeyRecord,
        retire_at: UnixTime,
        now: UnixTime,
    ) -> StoreResult<()>;
    /// Retires a `Previous` key at once (it leaves the JWKS; Auth0's "revoke"). A `Retired` key
    /// stays as it is. `NotFound` when no key has this kid, `Conflict` when it is `Current` or
    /// `Next` (those are revoked by rotating first).
    async fn revoke_key(&self, kid: &str) -> StoreResult<()>;
}

/// Counters for throttling (failed sign-ins, bad client secrets), shared by every replica.
///
/// Keys are [`RateKey`]s: fixed-size digests, so no caller can grow the table by sending long
/// identifiers. A window starts at the first counted attempt and covers
/// `[start, start + window_secs)`; an attempt at or after its end starts a new one.
#[async_trait]
pub trait RateLimitStore: Send + Sync {
    /// Reserves one attempt on `key` when fewer than `limit` are counted in the current window,
    /// and returns whether it did. Increment and check are one atomic step, so of any number of
    /// concurrent callers (on any replica) at most `limit` get `true` per window; a refused
    /// attempt is not counted.
    async fn try_acquire(
        &self,
        key: &RateKey,
        limit: u32,
        window_secs: i64,
        now: UnixTime,
    ) -> StoreResult<bool>;
    /// The attempts counted in the current window (0 when it has ended or the key is unknown).
    async fn attempts(&self, key: &RateKey, now: UnixTime) -> StoreResult<u32>;
    /// Forgets the attempts counted on `key` (the guarded operation succeeded).
    async fn reset(&self, key: &RateKey) -> StoreResult<()>;
    /// Deletes the counters whose window ended at or before `now`. Returns how many.
    async fn purge_expired_rate_limits(&self, now: UnixTime) -> StoreResult<u64>;
}

/// Single-use secrets sent by email (sign-up confirmation, email verification, password reset).
#[async_trait]
pub trait EmailTokenStore: Send + Sync {
    /// Stores `token`, replacing (in one step) any token of the same purpose for the same email:
    /// the previous link and code stop working.
    async fn put_email_token(&self, token: &EmailToken) -> StoreResult<()>;
    async fn get_email_token_by_hash(
        &self,
        purpose: EmailTokenPurpose,
        token_hash: &str,
    ) -> StoreResult<Option<EmailToken>>;
    async fn get_email_token_for(
        &self,
        purpose: EmailTokenPurpose,
        email: &str,
    ) -> StoreResult<Option<EmailToken>>;
    /// Counts one wrong code and returns the count. `NotFound` when the token is gone.
    async fn count_email_token_attempt(&self, token_id: &str) -> StoreResult<u32>;
    /// Deletes the token and says whether this call did: of many concurrent callers exactly one
    /// gets `true` (single use).
    async fn take_email_token(&self, token_id: &str) -> StoreResult<bool>;
    /// Deletes tokens that expired at or before `now`. Returns how many.
    async fn purge_expired_email_tokens(&self, now: UnixTime) -> StoreResult<u64>;
}

/// Tenant-wide settings declared in the tenant file's `[tenant]` table (e.g. `signup`), shared
/// by every replica.
#[async_trait]
pub trait SettingStore: Send + Sync {
    async fn get_setting(&self, name: &str) -> StoreResult<Option<String>>;
    /// Stores a setting, replacing its value.
    async fn put_setting(&self, name: &str, value: &str, now: UnixTime) -> StoreResult<()>;
    /// Removes a setting (back to the configuration's default); returns whether it existed.
    async fn delete_setting(&self, name: &str) -> StoreResult<bool>;
}

/// Consents users gave to third-party applications.
#[async_trait]
pub trait ConsentStore: Send + Sync {
    async fn get_consent(&self, user_id: &str, client_id: &str) -> StoreResult<Option<Consent>>;
    /// Stores a consent, replacing the one of the same (user, client).
    async fn put_consent(&self, consent: &Consent) -> StoreResult<()>;
    /// A user's consents, ordered by client id.
    async fn list_user_consents(&self, user_id: &str) -> StoreResult<Vec<Consent>>;
    /// Deletes one; returns whether it existed.
    async fn delete_consent(&self, user_id: &str, client_id: &str) -> StoreResult<bool>;
}

/// The outgoing mail queue. Sending never happens inside a request: requests enqueue, a worker
/// on any replica claims and delivers, with retries.
#[async_trait]
pub trait MailStore: Send + Sync {
    async fn enqueue_mail(&self, mail: &OutgoingMail) -> StoreResult<()>;
    /// Claims up to `limit` unsent mails due at `now` (oldest first) by moving their
    /// `next_attempt_at` to `lease_until`, atomically: a mail claimed by one worker is not
    /// claimed by another until the lease ends. Returns them as claimed.
    async fn claim_due_mail(
        &self,
        now: UnixTime,
        lease_until: UnixTime,
        limit: u32,
    ) -> StoreResult<Vec<OutgoingMail>>;
    /// Marks a mail delivered.
    async fn mark_mail_sent(&self, mail_id: &str, now: UnixTime) -> StoreResult<()>;
    /// Records a failed attempt: `attempts` + 1, the error, and when to try again (`None`: never,
    /// the mail is given up).
    async fn mark_mail_failed(
        &self,
        mail_id: &str,
        error: &str,
        next_attempt_at: Option<UnixTime>,
    ) -> StoreResult<()>;
    async fn get_mail(&self, mail_id: &str) -> StoreResult<Option<OutgoingMail>>;
    /// Every mail, newest first (for operators and tests).
    async fn list_mail(&self, limit: u32) -> StoreResult<Vec<OutgoingMail>>;
    /// Deletes mails sent (or given up) before `before`. Returns how many.
    async fn purge_mail(&self, before: UnixTime) -> StoreResult<u64>;
}

/// Several writes as one: a tenant-file apply changes everything it lists or nothing.
#[async_trait]
pub trait TenantStore: Send + Sync {
    /// Runs `changes` in order in one transaction. Each fails as its single-record method
    /// would (`Conflict`, `NotFound`); on the first failure the transaction is rolled back, so
    /// the database is as it was before the call, and that error is returned.
    async fn apply_tenant_changes(&self, changes: &[TenantChange]) -> StoreResult<()>;
}

/// Second factors, recovery codes and the factors each session used (multi-factor
/// authentication).
#[async_trait]
pub trait MfaStore: Send + Sync {
    /// Stores a new factor.
    async fn create_mfa_factor(&self, factor: &MfaFactor) -> StoreResult<()>;
    /// A user's factors, confirmed or not, oldest first.
    async fn list_mfa_factors(&self, user_id: &str) -> StoreResult<Vec<MfaFactor>>;
    /// One factor by id, whoever's it is (a passkey found by its credential id).
    async fn get_mfa_factor(&self, factor_id: &str) -> StoreResult<Option<MfaFactor>>;
    /// Marks an unconfirmed factor of `user_id` confirmed, with its first accepted step.
    /// Returns whether it was there and unconfirmed.
    async fn confirm_mfa_factor(
        &self,
        user_id: &str,
        factor_id: &str,
        step: Option<i64>,
        now: UnixTime,
    ) -> StoreResult<bool>;
    /// Accepts TOTP time step `step` for a confirmed factor only if it is later than the last
    /// accepted one, atomically (RFC 6238 §5.2). Returns whether it was accepted.
    async fn use_totp_step(&self, factor_id: &str, step: i64, now: UnixTime) -> StoreResult<bool>;
    /// Renames a factor of `user_id`; returns whether it existed.
    async fn rename_mfa_factor(
        &self,
        user_id: &str,
        factor_id: &str,
        name: &str,
    ) -> StoreResult<bool>;
    /// Replaces a factor's secret (a passkey's counter moved); returns whether it existed.
    async fn update_mfa_factor_secret(
        &self,
        factor_id: &str,
        secret: &str,
        now: UnixTime,
    ) -> StoreResult<bool>;
    /// Deletes one factor of `user_id`; returns whether it existed.
    async fn delete_mfa_factor(&self, user_id: &str, factor_id: &str) -> StoreResult<bool>;
    /// Deletes every factor and recovery code of a user; returns how many factors.
    async fn delete_user_mfa(&self, user_id: &str) -> StoreResult<u64>;
    /// Replaces a user's recovery codes with these keyed hashes.
    async fn replace_recovery_codes(
        &self,
        user_id: &str,
        code_hashes: &[String],
        now: UnixTime,
    ) -> StoreResult<()>;
    /// Uses up one unused recovery code, atomically; returns whether it was there and unused.
    async fn use_recovery_code(
        &self,
        user_id: &str,
        code_hash: &str,
        now: UnixTime,
    ) -> StoreResult<bool>;
    /// How many unused recovery codes a user has.
    async fn count_recovery_codes(&self, user_id: &str) -> StoreResult<u32>;
    /// Records that a session's user authenticated with `method` at `at`.
    async fn add_session_factor(&self, session_id: &str, factor: &SessionFactor)
    -> StoreResult<()>;
    /// What a session's user authenticated with, oldest first (none for an unknown session).
    async fn list_session_factors(&self, session_id: &str) -> StoreResult<Vec<SessionFactor>>;
    /// Stores WebAuthn ceremony state under `id` until `expires_at` (replacing any).
    async fn put_webauthn_state(
        &self,
        id: &str,
        state: &str,
        expires_at: UnixTime,
    ) -> StoreResult<()>;
    /// Takes (reads and deletes, atomically) unexpired ceremony state: single use.
    async fn take_webauthn_state(&self, id: &str, now: UnixTime) -> StoreResult<Option<String>>;
    /// Deletes the ceremony state that expired (`expires_at <= now`). Returns how many.
    async fn purge_expired_webauthn_states(&self, now: UnixTime) -> StoreResult<u64>;
}

/// The audit log (Auth0's tenant logs).
#[async_trait]
pub trait LogStore: Send + Sync {
    /// Stores a batch of events in one transaction. Fails with `Conflict` (and stores none) when
    /// a log id exists.
    async fn insert_log_events(&self, events: &[LogEvent]) -> StoreResult<()>;
    async fn get_log_event(&self, log_id: &str) -> StoreResult<Option<LogEvent>>;
    /// The events `filter` selects, ordered by (`date_ms`, `log_id`) as `order` says, skipping
    /// `offset` and returning at most `limit`.
    async fn list_log_events(
        &self,
        filter: &LogFilter,
        order: LogOrder,
        offset: u64,
        limit: u32,
    ) -> StoreResult<Vec<LogEvent>>;
    /// How many events `filter` selects.
    async fn count_log_events(&self, filter: &LogFilter) -> StoreResult<u64>;
    /// Deletes the events older than `before_ms` (`date_ms < before_ms`). Returns how many.
    async fn purge_log_events(&self, before_ms: i64) -> StoreResult<u64>;
}

/// Bulk user import (Auth0's users-imports job, `portcullis import auth0`).
#[async_trait]
pub trait UserImportStore: Send + Sync {
    /// Stores a batch of users in one transaction, one outcome per user in order. A user whose
    /// id or (lower-cased) email exists is `Duplicate` unless `upsert`; with `upsert`, the user
    /// with that email gets the new `email_verified`, and the names, nickname and picture that
    /// are `Some` (Auth0's upsertable fields; `blocked`, `email` and `user_id` are kept), and
    /// the new password hash when one is given and the stored one is still an imported hash
    /// ([`IMPORTED_PASSWORD_PREFIX`]) or absent; `updated_at` is set. When the email is free but the id belongs to another user,
    /// `Refused`. Outcomes of other users are unaffected by one user's refusal.
    async fn import_users(&self, users: &[User], upsert: bool) -> StoreResult<Vec<ImportOutcome>>;
    /// Replaces the password hash of a user only while it is still `expected` (compare and
    /// swap), so a sign-in upgrading an imported hash never overwrites a password changed
    /// meanwhile. Returns whether it did.
    async fn replace_password_hash(
        &self,
        user_id: &str,
        expected: &str,
        new_hash: &str,
        now: UnixTime,
    ) -> StoreResult<bool>;
}

/// Background jobs of the Management API (`/api/v2/jobs`).
#[async_trait]
pub trait JobStore: Send + Sync {
    /// Stores a new job. Fails with `Conflict` when its id exists.
    async fn create_job(&self, job: &Job) -> StoreResult<()>;
    async fn get_job(&self, job_id: &str) -> StoreResult<Option<Job>>;
    /// Replaces the job's `status`, `updated_at`, `summary` and `errors` (the rest never
    /// changes). `NotFound` when it does not exist.
    async fn update_job(&self, job: &Job) -> StoreResult<()>;
    /// Deletes the jobs created before `before`. Returns how many.
    async fn purge_jobs(&self, before: UnixTime) -> StoreResult<u64>;
}

/// Everything a provider needs, in one object (`Arc<dyn Store>` in application state).
pub trait Store:
    CatalogStore
    + ClientStore
    + UserStore
    + IdentityStore
    + ApiStore
    + GrantStore
    + SessionStore
    + KeyStore
    + RateLimitStore
    + EmailTokenStore
    + MailStore
    + ConsentStore
    + SettingStore
    + TenantStore
    + MfaStore
    + RoleStore
    + LogStore
    + UserImportStore
    + JobStore
{
}

impl<T> Store for T where
    T: CatalogStore
        + ClientStore
        + UserStore
        + IdentityStore
        + ApiStore
        + GrantStore
        + SessionStore
        + KeyStore
        + RateLimitStore
        + EmailTokenStore
        + MailStore
        + ConsentStore
        + SettingStore
        + TenantStore
        + MfaStore
        + RoleStore
        + LogStore
        + UserImportStore
        + JobStore
{
}
