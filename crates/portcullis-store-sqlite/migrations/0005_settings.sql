-- Tenant-wide settings from the tenant file's [tenant] table (e.g. signup).
CREATE TABLE settings (
    name       TEXT   NOT NULL PRIMARY KEY,
    value      TEXT   NOT NULL,
    updated_at BIGINT NOT NULL
);
