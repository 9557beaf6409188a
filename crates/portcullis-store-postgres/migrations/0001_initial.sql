-- Portcullis schema, PostgreSQL. Mirrors the SQLite backend's migrations of the same number
-- (BIGINT Unix times, BOOLEAN flags, list columns as JSON text), so both backends store the same
-- records the same way. Differences: BYTEA for binary columns, and `COLLATE "C"` on the
-- identifiers lists are ordered by, so ties on `created_at` sort bytewise on every server
-- whatever its default collation (as SQLite's BINARY collation does).
--
-- No foreign keys between these tables on purpose: an authorization code is stored before the grant
-- it will create, and the storage traits do not require a parent row on insert. The cascades the
-- traits document (delete_client, delete_user, delete_api) are explicit statements in one
-- transaction.

CREATE TABLE clients (
    client_id                  TEXT    COLLATE "C" NOT NULL PRIMARY KEY,
    name                       TEXT    NOT NULL,
    app_type                   TEXT    NOT NULL,
    secret_hash                TEXT,
    token_endpoint_auth_method TEXT    NOT NULL,
    redirect_uris              TEXT    NOT NULL, -- JSON array of strings
    post_logout_redirect_uris  TEXT    NOT NULL, -- JSON array of strings
    web_origins                TEXT    NOT NULL, -- JSON array of strings
    grant_types                TEXT    NOT NULL, -- JSON array of strings
    created_at                 BIGINT  NOT NULL,
    updated_at                 BIGINT  NOT NULL
);
CREATE INDEX clients_created ON clients (created_at, client_id);

CREATE TABLE users (
    user_id        TEXT    COLLATE "C" NOT NULL PRIMARY KEY,
    email          TEXT    NOT NULL UNIQUE, -- lower-cased by the store before it is written
    email_verified BOOLEAN NOT NULL,
    name           TEXT,
    given_name     TEXT,
    family_name    TEXT,
    nickname       TEXT,
    picture        TEXT,
    password_hash  TEXT,
    blocked        BOOLEAN NOT NULL,
    created_at     BIGINT  NOT NULL,
    updated_at     BIGINT  NOT NULL
);
CREATE INDEX users_created ON users (created_at, user_id);

CREATE TABLE apis (
    api_id               TEXT    COLLATE "C" NOT NULL PRIMARY KEY,
    identifier           TEXT    NOT NULL UNIQUE,
    name                 TEXT    NOT NULL,
    scopes               TEXT    NOT NULL, -- JSON array of {"value", "description"}
    token_lifetime       BIGINT  NOT NULL,
    allow_offline_access BOOLEAN NOT NULL,
    created_at           BIGINT  NOT NULL,
    updated_at           BIGINT  NOT NULL
);
CREATE INDEX apis_created ON apis (created_at, api_id);

CREATE TABLE client_grants (
    grant_id   TEXT   COLLATE "C" NOT NULL PRIMARY KEY,
    client_id  TEXT   NOT NULL,
    audience   TEXT   NOT NULL, -- an API identifier
    scopes     TEXT   NOT NULL, -- JSON array of strings
    created_at BIGINT NOT NULL,
    UNIQUE (client_id, audience)
);
CREATE INDEX client_grants_audience ON client_grants (audience);
CREATE INDEX client_grants_created ON client_grants (created_at, grant_id);

CREATE TABLE authorization_codes (
    code_hash             TEXT    NOT NULL PRIMARY KEY,
    grant_id              TEXT    NOT NULL,
    client_id             TEXT    NOT NULL,
    redirect_uri          TEXT    NOT NULL,
    user_id               TEXT    NOT NULL,
    session_id            TEXT    NOT NULL,
    scope                 TEXT    NOT NULL,
    audience              TEXT,
    nonce                 TEXT,
    code_challenge        TEXT,
    code_challenge_method TEXT,
    auth_time             BIGINT  NOT NULL,
    max_age_requested     BOOLEAN NOT NULL,
    created_at            BIGINT  NOT NULL,
    expires_at            BIGINT  NOT NULL,
    used_at               BIGINT -- set once, by consume_code
);
CREATE INDEX authorization_codes_client ON authorization_codes (client_id);
CREATE INDEX authorization_codes_user ON authorization_codes (user_id);
CREATE INDEX authorization_codes_expires ON authorization_codes (expires_at);

CREATE TABLE grants (
    grant_id   TEXT    NOT NULL PRIMARY KEY,
    client_id  TEXT    COLLATE "C" NOT NULL,
    user_id    TEXT    NOT NULL,
    session_id TEXT,
    scope      TEXT    NOT NULL,
    audience   TEXT,
    nonce      TEXT,
    auth_time  BIGINT  NOT NULL,
    offline    BOOLEAN NOT NULL,
    revoked    BOOLEAN NOT NULL,
    created_at BIGINT  NOT NULL,
    expires_at BIGINT  NOT NULL
);
CREATE INDEX grants_client ON grants (client_id);
CREATE INDEX grants_user ON grants (user_id);
CREATE INDEX grants_session ON grants (session_id);
CREATE INDEX grants_expires ON grants (expires_at);

CREATE TABLE refresh_tokens (
    token_hash TEXT    NOT NULL PRIMARY KEY,
    grant_id   TEXT    NOT NULL,
    client_id  TEXT    NOT NULL,
    created_at BIGINT  NOT NULL,
    expires_at BIGINT  NOT NULL,
    used_at    BIGINT,
    revoked    BOOLEAN NOT NULL
);
CREATE INDEX refresh_tokens_grant ON refresh_tokens (grant_id);
CREATE INDEX refresh_tokens_client ON refresh_tokens (client_id);
CREATE INDEX refresh_tokens_expires ON refresh_tokens (expires_at);

CREATE TABLE access_tokens (
    jti        TEXT    NOT NULL PRIMARY KEY,
    grant_id   TEXT, -- NULL for client_credentials tokens
    client_id  TEXT    NOT NULL,
    subject    TEXT    NOT NULL,
    expires_at BIGINT  NOT NULL,
    revoked    BOOLEAN NOT NULL
);
CREATE INDEX access_tokens_grant ON access_tokens (grant_id);
CREATE INDEX access_tokens_client ON access_tokens (client_id);
CREATE INDEX access_tokens_expires ON access_tokens (expires_at);

CREATE TABLE sessions (
    session_id      TEXT   NOT NULL PRIMARY KEY,
    secret_hash     TEXT   NOT NULL UNIQUE,
    user_id         TEXT   NOT NULL,
    auth_time       BIGINT NOT NULL,
    created_at      BIGINT NOT NULL,
    idle_expires_at BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE signing_keys (
    kid                   TEXT   COLLATE "C" NOT NULL PRIMARY KEY,
    alg                   TEXT   NOT NULL,
    private_key_encrypted BYTEA  NOT NULL,
    public_jwk            TEXT   NOT NULL,
    state                 TEXT   NOT NULL, -- next | current | previous | retired
    created_at            BIGINT NOT NULL,
    retire_at             BIGINT
);
-- At most one `current` and at most one `next` key, whatever the replicas do.
CREATE UNIQUE INDEX signing_keys_one_current_one_next ON signing_keys (state)
    WHERE state IN ('current', 'next');
CREATE INDEX signing_keys_created ON signing_keys (created_at, kid);

CREATE TABLE rate_limits (
    rate_key     TEXT   NOT NULL PRIMARY KEY,
    window_start BIGINT NOT NULL,
    hits         BIGINT NOT NULL
);
