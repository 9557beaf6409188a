// RBAC in access tokens (docs/rbac.md), checked by express-oauth2-jwt-bearer: the example reports
// API (examples/apis-express/reports.mjs) guards reads with `requiredScopes('read:reports')` and
// writes with `claimIncludes('permissions', …)`. Portcullis's API has enforce_policies and
// token_dialect = "access_token_authz"; users get roles in the tenant file and with the CLI, and
// a custom claim carries the role names.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ensureInstalled, exampleDir, startApi } from '../lib/apps.mjs';
import { DEMO, jwtPayload, startPortcullis } from '../lib/portcullis.mjs';
import { callApi as call, userAccessToken } from '../lib/tokens.mjs';

const REPORTS = 'https://api/reports';
const ROLES_CLAIM = 'https://reports.example/roles';
const WRITER = { email: 'writer@example.com', password: 'quartz-lantern-meadow-42', name: 'Writer' };
const NOBODY = { email: 'nobody@example.com', password: 'amber-cactus-harbor-77', name: 'Nobody' };

let provider;
let api;

const tokenFor = (user, scope) =>
  userAccessToken(provider, { audience: REPORTS, scope: `openid ${scope}`, user });

before(async () => {
  ensureInstalled(exampleDir('apis-express'));
  provider = await startPortcullis({
    tenant: `
[[apis]]
identifier = "${REPORTS}"
name = "Reports API"
enforce_policies = true
token_dialect = "access_token_authz"
scopes = [
  { value = "read:reports", description = "Read reports" },
  { value = "write:reports", description = "Write reports" },
  { value = "delete:reports", description = "Delete reports" },
]

[[roles]]
name = "reader"
permissions = [{ resource_server_identifier = "${REPORTS}", permission_name = "read:reports" }]

[[roles]]
name = "writer"
description = "Writes reports"
permissions = [
  { resource_server_identifier = "${REPORTS}", permission_name = "read:reports" },
  { resource_server_identifier = "${REPORTS}", permission_name = "write:reports" },
]

[[users]]
email = "${WRITER.email}"
password = "${WRITER.password}"
email_verified = true
name = "${WRITER.name}"
roles = ["writer"]

[[users]]
email = "${NOBODY.email}"
password = "${NOBODY.password}"
email_verified = true
name = "${NOBODY.name}"

[[custom_claims]]
name = "${ROLES_CLAIM}"
from = "roles"
`,
  });
  api = await startApi('reports.mjs', { ISSUER_BASE_URL: provider.origin, AUDIENCE: REPORTS });
});

after(async () => {
  await api?.stop();
  await provider?.stop();
});

describe('RBAC tokens checked by express-oauth2-jwt-bearer', () => {
  test('a writer gets the scopes asked for that the role holds, and every permission', async () => {
    const token = await tokenFor(WRITER, 'read:reports delete:reports');
    const claims = jwtPayload(token);
    assert.equal(claims.scope, 'openid read:reports', 'delete:reports is not held: not granted');
    assert.deepEqual(claims.permissions, ['read:reports', 'write:reports']);
    assert.deepEqual(claims[ROLES_CLAIM], ['writer']);
    assert.equal((await call(`${api.url}/api/reports`, { token })).status, 200);
    const created = await call(`${api.url}/api/reports`, { token, method: 'POST' });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.json.by, claims.sub);
    // claimIncludes needs every listed permission: delete:reports is missing.
    const refused = await call(`${api.url}/api/reports`, { token, method: 'DELETE' });
    assert.equal(refused.status, 401, refused.text);
    assert.match(refused.challenge, /error="invalid_token"/);
  });

  test('a user without roles gets no API scope and an empty permissions claim', async () => {
    const token = await tokenFor(NOBODY, 'read:reports write:reports');
    const claims = jwtPayload(token);
    assert.equal(claims.scope, 'openid');
    assert.deepEqual(claims.permissions, []);
    assert.deepEqual(claims[ROLES_CLAIM], []);
    const read = await call(`${api.url}/api/reports`, { token });
    assert.equal(read.status, 403, read.text);
    assert.match(read.challenge, /error="insufficient_scope"/);
    assert.equal((await call(`${api.url}/api/reports`, { token, method: 'POST' })).status, 401);
  });

  test('a role given with the CLI shows in the next token', async () => {
    provider.cli(['roles', 'assign', '--user', NOBODY.email, 'reader']);
    const token = await tokenFor(NOBODY, 'read:reports');
    const claims = jwtPayload(token);
    assert.equal(claims.scope, 'openid read:reports');
    assert.deepEqual(claims.permissions, ['read:reports']);
    assert.deepEqual(claims[ROLES_CLAIM], ['reader']);
    assert.equal((await call(`${api.url}/api/reports`, { token })).status, 200);
    assert.equal((await call(`${api.url}/api/reports`, { token, method: 'POST' })).status, 401);

    provider.cli(['roles', 'unassign', '--user', NOBODY.email, 'reader']);
    const after = jwtPayload(await tokenFor(NOBODY, 'read:reports'));
    assert.equal(after.scope, 'openid');
    assert.deepEqual(after.permissions, []);
  });

  test('the demo user (no roles) is refused by the API', async () => {
    const token = await tokenFor(DEMO.user, 'read:reports');
    assert.equal(jwtPayload(token).scope, 'openid');
    assert.equal((await call(`${api.url}/api/reports`, { token })).status, 403);
  });
});
