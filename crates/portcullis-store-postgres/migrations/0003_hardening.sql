-- Throttle counters are keyed by a fixed-size digest of a typed key (never by caller-sized text)
-- and carry the end of their window, so expired ones can be purged. The old counters are
-- short-lived and keyed differently: they are dropped, not migrated.
DROP TABLE rate_limits;
CREATE TABLE rate_limits (
    rate_key     TEXT   NOT NULL PRIMARY KEY, -- 64 hex characters
    window_start BIGINT NOT NULL,
    window_end   BIGINT NOT NULL,
    hits         BIGINT NOT NULL
);
CREATE INDEX rate_limits_window_end ON rate_limits (window_end);

-- Expired sessions are purged on a schedule.
CREATE INDEX sessions_expires ON sessions (expires_at);
CREATE INDEX sessions_idle_expires ON sessions (idle_expires_at);

-- RFC 7662 §4: the applications allowed to introspect an API's tokens (JSON array of client ids).
ALTER TABLE apis ADD COLUMN introspection_clients TEXT NOT NULL DEFAULT '[]';
