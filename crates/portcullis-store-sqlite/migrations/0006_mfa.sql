-- Multi-factor authentication: second factors, recovery codes, the factors each session used,
-- and WebAuthn ceremony state between its two requests.
CREATE TABLE mfa_factors (
    factor_id      TEXT    NOT NULL PRIMARY KEY,
    user_id        TEXT    NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    kind           TEXT    NOT NULL,
    name           TEXT    NOT NULL,
    secret         TEXT    NOT NULL,
    confirmed      BOOLEAN NOT NULL,
    last_used_step BIGINT,
    created_at     BIGINT  NOT NULL,
    last_used_at   BIGINT
);
CREATE INDEX mfa_factors_user ON mfa_factors (user_id);

CREATE TABLE mfa_recovery_codes (
    user_id    TEXT   NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    code_hash  TEXT   NOT NULL,
    created_at BIGINT NOT NULL,
    used_at    BIGINT,
    PRIMARY KEY (user_id, code_hash)
);

CREATE TABLE session_factors (
    session_id TEXT   NOT NULL REFERENCES sessions (session_id) ON DELETE CASCADE,
    method     TEXT   NOT NULL,
    at         BIGINT NOT NULL
);
CREATE INDEX session_factors_session ON session_factors (session_id);

CREATE TABLE webauthn_states (
    state_id   TEXT   NOT NULL PRIMARY KEY,
    state      TEXT   NOT NULL,
    expires_at BIGINT NOT NULL
);
