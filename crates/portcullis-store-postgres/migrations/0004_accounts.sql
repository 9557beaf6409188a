-- Hosted accounts: single-use secrets sent by email, the outgoing mail queue, consents of
-- third-party applications (mirrors the SQLite migration of the same number).

CREATE TABLE email_tokens (
    token_id   TEXT    COLLATE "C" NOT NULL PRIMARY KEY,
    purpose    TEXT    NOT NULL, -- signup | verify_email | reset_password
    email      TEXT    NOT NULL,
    user_id    TEXT,
    token_hash TEXT    NOT NULL UNIQUE,
    code_hash  TEXT,
    attempts   BIGINT  NOT NULL,
    payload    TEXT    NOT NULL, -- JSON
    created_at BIGINT  NOT NULL,
    expires_at BIGINT  NOT NULL,
    UNIQUE (purpose, email)
);
CREATE INDEX email_tokens_expires ON email_tokens (expires_at);

CREATE TABLE outgoing_mail (
    mail_id         TEXT   COLLATE "C" NOT NULL PRIMARY KEY,
    recipient       TEXT   NOT NULL,
    subject         TEXT   NOT NULL,
    text_body       TEXT   NOT NULL,
    html_body       TEXT   NOT NULL,
    created_at      BIGINT NOT NULL,
    attempts        BIGINT NOT NULL,
    next_attempt_at BIGINT, -- NULL once sent or given up
    sent_at         BIGINT,
    last_error      TEXT
);
CREATE INDEX outgoing_mail_due ON outgoing_mail (next_attempt_at);
CREATE INDEX outgoing_mail_created ON outgoing_mail (created_at);

ALTER TABLE clients ADD COLUMN first_party BOOLEAN NOT NULL DEFAULT TRUE;
CREATE TABLE consents (
    user_id    TEXT   COLLATE "C" NOT NULL,
    client_id  TEXT   COLLATE "C" NOT NULL,
    scopes     TEXT   NOT NULL, -- JSON array of strings
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, client_id)
);
