-- Access tokens are no longer recorded when they are issued: whether one is still good hangs on
-- its grant (revoked, deleted) and on this list of the `jti`s revoked one by one (RFC 7009), kept
-- until the token would have expired anyway. The access_tokens table stays for the records
-- written before this migration, and by older replicas during a rolling upgrade.
CREATE TABLE revoked_access_tokens (
    jti        TEXT   NOT NULL PRIMARY KEY,
    expires_at BIGINT NOT NULL
);
CREATE INDEX revoked_access_tokens_expires ON revoked_access_tokens (expires_at);

-- Tenant settings (custom claims, MFA policy, strict scopes…) are kept in memory with the
-- catalog: writing one moves the catalog's generation too.
CREATE TRIGGER settings_catalog AFTER INSERT OR UPDATE OR DELETE ON settings
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_generation_bump();
