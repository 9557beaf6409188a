-- The audit log: security events with Auth0's log event type codes.
CREATE TABLE log_events (
    log_id      TEXT    COLLATE "C" NOT NULL PRIMARY KEY,
    date_ms     BIGINT  NOT NULL,
    event_type  TEXT    NOT NULL,
    description TEXT,
    client_id   TEXT,
    client_name TEXT,
    user_id     TEXT,
    user_name   TEXT,
    ip          TEXT,
    user_agent  TEXT,
    details     TEXT
);
CREATE INDEX log_events_by_date ON log_events (date_ms, log_id);
CREATE INDEX log_events_by_user ON log_events (user_id, date_ms);
CREATE INDEX log_events_by_type ON log_events (event_type, date_ms);
