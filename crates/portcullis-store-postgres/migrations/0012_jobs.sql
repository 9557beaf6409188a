-- Background jobs of the Management API (Auth0's users-imports job): their state lives here so
-- that every replica answers GET /api/v2/jobs/{id}, whichever one runs the job.
CREATE TABLE jobs (
    job_id        TEXT    COLLATE "C" NOT NULL PRIMARY KEY,
    job_type      TEXT    NOT NULL, -- users_import
    status        TEXT    NOT NULL, -- pending | processing | completed | failed
    connection_id TEXT    NOT NULL,
    upsert        BOOLEAN NOT NULL,
    external_id   TEXT,
    created_at    BIGINT  NOT NULL,
    updated_at    BIGINT  NOT NULL,
    summary       TEXT,             -- JSON: {inserted, updated, failed, total}
    errors        TEXT              -- JSON: [{user, errors: [{code, message, path}]}]
);
CREATE INDEX jobs_created ON jobs (created_at);
