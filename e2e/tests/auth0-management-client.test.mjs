// Auth0's own Management API client drives Portcullis's /api/v2/ unchanged: `ManagementClient`
// from the `auth0` package (7.x, and 4.x as `auth0-v4`, whose calls differ) with `domain` =
// the Portcullis host, `clientId` and `clientSecret` of an M2M application granted the built-in
// Management API. Plain http on loopback goes through the clients' documented `fetch` option
// (their base URL is always https://{domain}), and `audience` is the issuer's `api/v2/`.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ManagementClient, ManagementError } from 'auth0';
import { ManagementClient as ManagementClientV4 } from 'auth0-v4';
import { DEMO, startPortcullis } from '../lib/portcullis.mjs';
import { userAccessToken } from '../lib/tokens.mjs';
import { jwtPayload } from '../lib/portcullis.mjs';

const M2M = { clientId: 'e2e-mgmt', clientSecret: 'e2e-mgmt-secret-0123456789abcdefghijklmnop' };
const SCOPES = [
  'read:users', 'create:users', 'update:users', 'delete:users', 'read:sessions', 'delete:sessions',
  'read:clients', 'create:clients', 'update:clients', 'delete:clients', 'update:client_keys',
  'read:connections', 'read:resource_servers', 'create:resource_servers', 'update:resource_servers',
  'delete:resource_servers', 'read:client_grants', 'create:client_grants', 'update:client_grants',
  'delete:client_grants', 'read:signing_keys', 'create:signing_keys', 'update:signing_keys',
  'read:roles', 'create:roles', 'update:roles', 'delete:roles', 'read:role_members',
  'create:role_members', 'delete:role_members', 'read:logs',
];
const DB = 'Username-Password-Authentication';
const RBAC_API = 'https://api.e2e-rbac.example';
/** A bcrypt hash of "correct horse battery" (the import's test vectors). */
const BCRYPT = '$2b$04$izr3Y8VkduI0U1roxybM7eQ5zksgpVNSi.Mj0hjaguAUFPzBwMRXe';

/** Calls `read` until `done(result)` holds (a background job, the audit log's writer). */
async function eventually(read, done, what) {
  for (let i = 0; i < 200; i += 1) {
    const result = await read();
    if (done(result)) return result;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`${what} did not happen`);
}

/** The permissions of the demo user's next access token for the RBAC API. */
async function nextPermissions() {
  const token = await userAccessToken(provider, { audience: RBAC_API, scope: 'openid read:things' });
  return jwtPayload(token).permissions;
}

/** A users file for the import job: one new user, one that exists (the demo user). */
function usersFile(email) {
  const users = [
    { email, email_verified: true, password_hash: BCRYPT, mfa_factors: [] },
    { email: DEMO.user.email, email_verified: true },
  ];
  return new Blob([JSON.stringify(users)], { type: 'application/json' });
}
const PASSWORD = 'a long and unusual passphrase 7';

let provider;
let domain;
let audience;

/** fetch that sends the clients' https://localhost:PORT requests to the http provider. */
function loopbackFetch(input, init) {
  const toHttp = (url) => url.replace(/^https:\/\/localhost:/, 'http://localhost:');
  if (input instanceof Request) return fetch(new Request(toHttp(input.url), input), init);
  return fetch(toHttp(String(input)), init);
}

const v7 = (extra = {}) =>
  new ManagementClient({ domain, audience, fetch: loopbackFetch, ...M2M, ...extra });
const v4 = () => new ManagementClientV4({ domain, audience, fetch: loopbackFetch, ...M2M });

before(async () => {
  provider = await startPortcullis();
  domain = new URL(provider.issuer).host;
  audience = `${provider.issuer}api/v2/`;
  const file = path.join(provider.dataDir, 'mgmt-tenant.toml');
  fs.writeFileSync(
    file,
    `
[[applications]]
client_id = "${M2M.clientId}"
name = "Management client"
app_type = "non_interactive"
client_secret = "${M2M.clientSecret}"

[[client_grants]]
client_id = "${M2M.clientId}"
audience = "${audience}"
scopes = ${JSON.stringify(SCOPES)}
`,
  );
  provider.cli(['apply', file]);
});

after(async () => {
  await provider?.stop();
});

describe('auth0 7.x ManagementClient', () => {
  test('users: create, get, list with totals and q, by email, update, sessions, delete', async () => {
    const mc = v7();
    const created = await mc.users.create({
      connection: DB,
      email: 'Ada@Example.com',
      password: PASSWORD,
      user_id: 'ada-v7',
      name: 'Ada Lovelace',
      app_metadata: { plan: 'gold' },
      user_metadata: { theme: 'dark' },
    });
    assert.equal(created.user_id, 'auth0|ada-v7');
    assert.equal(created.email, 'ada@example.com');
    assert.deepEqual(created.app_metadata, { plan: 'gold' });

    const got = await mc.users.get('auth0|ada-v7');
    assert.equal(got.name, 'Ada Lovelace');
    assert.equal(got.identities[0].connection, DB);

    const page = await mc.users.list({ q: 'app_metadata.plan:gold', search_engine: 'v3', per_page: 10 });
    assert.deepEqual(page.data.map((u) => u.user_id), ['auth0|ada-v7']);
    const everyone = [];
    for await (const user of await mc.users.list({ per_page: 1 })) everyone.push(user.email);
    assert.ok(everyone.includes('ada@example.com') && everyone.includes(DEMO.user.email), everyone.join());

    const byEmail = await mc.users.listUsersByEmail({ email: 'ADA@example.com' });
    assert.deepEqual(byEmail.map((u) => u.user_id), ['auth0|ada-v7']);

    const updated = await mc.users.update('auth0|ada-v7', {
      app_metadata: { plan: 'silver', roles: ['admin'] },
      user_metadata: { theme: null },
      email_verified: true,
      blocked: true,
    });
    assert.deepEqual(updated.app_metadata, { plan: 'silver', roles: ['admin'] });
    assert.deepEqual(updated.user_metadata, {});
    assert.equal(updated.blocked, true);
    await mc.users.update('auth0|ada-v7', { blocked: false, password: 'another long passphrase 8' });

    // The demo user signs in; the session is listed, then ended.
    const demo = (await mc.users.listUsersByEmail({ email: DEMO.user.email }))[0];
    await userAccessToken(provider, { audience: DEMO.apis.billing, scope: 'openid read:billing' });
    const sessions = await mc.users.sessions.list(demo.user_id);
    assert.equal(sessions.data.length, 1);
    assert.equal(sessions.data[0].user_id, demo.user_id);
    await mc.users.sessions.delete(demo.user_id);
    assert.equal((await mc.users.sessions.list(demo.user_id)).data.length, 0);

    await mc.users.delete('auth0|ada-v7');
    await assert.rejects(mc.users.get('auth0|ada-v7'), (e) => {
      assert.ok(e instanceof ManagementError, String(e));
      assert.equal(e.statusCode, 404);
      assert.equal(e.body.errorCode, 'inexistent_user');
      return true;
    });
    await assert.rejects(
      mc.users.create({ connection: DB, email: 'bad@example.com', password: PASSWORD, app_metadata: { 'a.b': 1 } }),
      (e) => e.statusCode === 400 && e.body.errorCode === 'invalid_body',
    );
  });

  test('clients: create, get, list, update, rotate the secret, delete', async () => {
    const mc = v7();
    const created = await mc.clients.create({
      name: 'Shop',
      app_type: 'regular_web',
      callbacks: ['https://shop.example/callback'],
      allowed_logout_urls: ['https://shop.example/'],
      web_origins: ['https://shop.example'],
      grant_types: ['authorization_code', 'refresh_token'],
      is_first_party: true,
    });
    assert.ok(created.client_id);
    assert.ok(created.client_secret.length >= 32);
    const got = await mc.clients.get(created.client_id);
    assert.deepEqual(got.callbacks, ['https://shop.example/callback']);
    const all = await mc.clients.list({ per_page: 100 });
    assert.ok(all.data.some((c) => c.client_id === created.client_id));
    const updated = await mc.clients.update(created.client_id, { name: 'Shop 2', is_first_party: false });
    assert.equal(updated.name, 'Shop 2');
    assert.equal(updated.is_first_party, false);
    const rotated = await mc.clients.rotateSecret(created.client_id);
    assert.notEqual(rotated.client_secret, created.client_secret);
    await mc.clients.delete(created.client_id);
    await assert.rejects(mc.clients.get(created.client_id), (e) => e.statusCode === 404);
  });

  test('connections, resource servers and client grants', async () => {
    const mc = v7();
    const connections = [];
    for await (const c of await mc.connections.list()) connections.push(c);
    assert.deepEqual(connections.map((c) => c.name), [DB]);
    const db = await mc.connections.get(connections[0].id);
    assert.equal(db.strategy, 'auth0');

    const api = await mc.resourceServers.create({
      identifier: 'https://api.e2e-mgmt.example',
      name: 'E2E API',
      scopes: [{ value: 'read:things', description: 'Read things' }],
      token_lifetime: 600,
      allow_offline_access: false,
    });
    assert.equal(api.token_lifetime, 600);
    const fetched = await mc.resourceServers.get(api.id);
    assert.equal(fetched.identifier, 'https://api.e2e-mgmt.example');
    const apis = await mc.resourceServers.list();
    assert.ok(apis.data.some((a) => a.identifier === audience && a.is_system));
    await mc.resourceServers.update(api.id, {
      scopes: [{ value: 'read:things' }, { value: 'write:things' }],
    });

    const grant = await mc.clientGrants.create({
      client_id: DEMO.m2m.clientId,
      audience: 'https://api.e2e-mgmt.example',
      scope: ['read:things'],
    });
    assert.deepEqual((await mc.clientGrants.get(grant.id)).scope, ['read:things']);
    const grants = [];
    for await (const g of await mc.clientGrants.list({ audience: 'https://api.e2e-mgmt.example' })) grants.push(g);
    assert.deepEqual(grants.map((g) => g.id), [grant.id]);
    const changed = await mc.clientGrants.update(grant.id, { scope: ['read:things', 'write:things'] });
    assert.deepEqual(changed.scope, ['read:things', 'write:things']);
    await mc.clientGrants.delete(grant.id);
    await mc.resourceServers.delete(api.id);
    await assert.rejects(mc.resourceServers.get(api.id), (e) => e.statusCode === 404);
  });

  test('signing keys: list, get, rotate, revoke', async () => {
    const mc = v7();
    const before = await mc.keys.signing.list();
    const current = before.find((k) => k.current);
    assert.ok(current, JSON.stringify(before));
    assert.equal((await mc.keys.signing.get(current.kid)).kid, current.kid);
    const rotated = await mc.keys.signing.rotate();
    assert.ok(rotated.kid);
    const previous = await mc.keys.signing.get(current.kid);
    assert.equal(previous.previous, true);
    const revoked = await mc.keys.signing.revoke(current.kid);
    assert.equal(revoked.kid, current.kid);
    // The client's cached token was signed by the revoked key: a new client gets a new one.
    await assert.rejects(mc.keys.signing.get(current.kid), (e) => e.statusCode === 401);
    assert.equal((await v7().keys.signing.get(current.kid)).revoked, true);
  });

  test('roles: CRUD, permissions, users; a user\'s roles and permissions reach the next token', async () => {
    const mc = v7();
    await mc.resourceServers.create({
      identifier: RBAC_API,
      name: 'RBAC API',
      scopes: [{ value: 'read:things', description: 'Read things' }],
      enforce_policies: true,
      token_dialect: 'access_token_authz',
    });
    const role = await mc.roles.create({ name: 'Thing reader', description: 'Reads things' });
    assert.match(role.id, /^rol_/);
    assert.equal((await mc.roles.get(role.id)).name, 'Thing reader');
    const updated = await mc.roles.update(role.id, { description: 'Reads all things' });
    assert.equal(updated.description, 'Reads all things');
    const listed = await mc.roles.list({ name_filter: 'thing' });
    assert.deepEqual(listed.data.map((r) => r.id), [role.id]);

    const permission = { resource_server_identifier: RBAC_API, permission_name: 'read:things' };
    await mc.roles.permissions.add(role.id, { permissions: [permission] });
    const held = await mc.roles.permissions.list(role.id);
    assert.deepEqual(held.data, [{ ...permission, resource_server_name: 'RBAC API', description: 'Read things' }]);

    const demo = (await mc.users.listUsersByEmail({ email: DEMO.user.email }))[0];
    assert.deepEqual(await nextPermissions(), []);
    await mc.roles.users.assign(role.id, { users: [demo.user_id] });
    const members = await mc.roles.users.list(role.id);
    assert.deepEqual(members.data.map((u) => u.user_id), [demo.user_id]);
    assert.deepEqual((await mc.users.roles.list(demo.user_id)).data.map((r) => r.name), ['Thing reader']);
    const effective = await mc.users.permissions.list(demo.user_id);
    assert.equal(effective.data.length, 1);
    assert.equal(effective.data[0].permission_name, 'read:things');
    assert.deepEqual(effective.data[0].sources, [{ source_id: role.id, source_name: 'Thing reader', source_type: 'ROLE' }]);
    assert.deepEqual(await nextPermissions(), ['read:things']);

    await mc.users.roles.delete(demo.user_id, { roles: [role.id] });
    assert.deepEqual((await mc.users.roles.list(demo.user_id)).data, []);
    assert.deepEqual(await nextPermissions(), []);
    await mc.users.roles.assign(demo.user_id, { roles: [role.id] });
    assert.deepEqual(await nextPermissions(), ['read:things']);
    await mc.roles.permissions.delete(role.id, { permissions: [permission] });
    assert.deepEqual(await nextPermissions(), []);

    await mc.roles.delete(role.id);
    await assert.rejects(mc.roles.get(role.id), (e) => e.statusCode === 404 && e.body.errorCode === 'inexistent_role');
    await mc.resourceServers.delete((await mc.resourceServers.get(RBAC_API)).id);
  });

  test('logs: list with search and paging, get one', async () => {
    const mc = v7();
    await mc.roles.delete((await mc.roles.create({ name: 'Logged role' })).id);
    const page = await eventually(
      () => mc.logs.list({ search: 'type:sapi', per_page: 5, sort: 'date:-1' }),
      (p) => p.data.some((e) => e.description === 'POST /api/v2/roles'),
      'the sapi event',
    );
    assert.ok(page.data.every((e) => e.type === 'sapi'), JSON.stringify(page.data));
    assert.ok(page.data.length <= 5);
    const event = page.data[0];
    assert.equal(event.client_id, M2M.clientId);
    assert.equal(event.client_name, 'Management client');
    assert.match(event.date, /Z$/);
    const one = await mc.logs.get(event.log_id);
    assert.equal(one.log_id, event.log_id);
    assert.equal(one.type, 'sapi');
    const logins = await mc.logs.list({ search: 'type:s', per_page: 100 });
    assert.ok(logins.data.some((e) => e.user_name === DEMO.user.email), JSON.stringify(logins.data));
    await assert.rejects(mc.logs.get('nope'), (e) => e.statusCode === 404);
  });

  test('jobs: import users, the job, its errors; the imported user signs in', async () => {
    const mc = v7();
    const connection = (await mc.connections.list()).data[0];
    const job = await mc.jobs.usersImports.create({
      users: usersFile('imported-v7@example.com'),
      connection_id: connection.id,
      upsert: false,
      external_id: 'e2e-v7',
    });
    assert.equal(job.type, 'users_import');
    assert.equal(job.connection_id, connection.id);
    assert.match(job.id, /^job_/);
    const done = await eventually(() => mc.jobs.get(job.id), (j) => j.status === 'completed', 'the import');
    assert.deepEqual(done.summary, { failed: 1, updated: 0, inserted: 1, total: 2 });
    const errors = await mc.jobs.errors.get(job.id);
    assert.equal(errors.length, 1);
    assert.equal(errors[0].user.email, DEMO.user.email);
    assert.equal(errors[0].errors[0].code, 'DUPLICATED_USER');
    const token = await userAccessToken(provider, {
      audience: DEMO.apis.billing,
      scope: 'openid read:billing',
      user: { email: 'imported-v7@example.com', password: 'correct horse battery' },
    });
    assert.ok(token);
  });

  test('a token without the scope is refused with Auth0\'s 403', async () => {
    provider.cli(['apply', writeTenant('limited', ['read:clients'])]);
    const limited = v7({ clientId: 'e2e-mgmt-limited', clientSecret: 'e2e-mgmt-limited-secret-0123456789abcdef' });
    await limited.clients.list();
    await assert.rejects(limited.users.list(), (e) => {
      assert.equal(e.statusCode, 403);
      assert.equal(e.body.errorCode, 'insufficient_scope');
      assert.match(e.body.message, /read:users/);
      return true;
    });
  });
});

/** A tenant file for another M2M application granted `scopes`; returns its path. */
function writeTenant(name, scopes) {
  const file = path.join(provider.dataDir, `mgmt-${name}.toml`);
  fs.writeFileSync(
    file,
    `
[[applications]]
client_id = "e2e-mgmt-${name}"
name = "Management client ${name}"
app_type = "non_interactive"
client_secret = "e2e-mgmt-${name}-secret-0123456789abcdef"

[[client_grants]]
client_id = "e2e-mgmt-${name}"
audience = "${audience}"
scopes = ${JSON.stringify(scopes)}
`,
  );
  return file;
}

describe('auth0 4.x ManagementClient (auth0-v4)', () => {
  test('users, clients, connections, resource servers, grants and keys', async () => {
    const mc = v4();
    const { data: created } = await mc.users.create({
      connection: DB,
      email: 'grace@example.com',
      password: PASSWORD,
      app_metadata: { plan: 'gold' },
    });
    assert.match(created.user_id, /^auth0\|/);
    const { data: got } = await mc.users.get({ id: created.user_id });
    assert.equal(got.email, 'grace@example.com');
    const { data: found } = await mc.users.getAll({ q: 'email:"grace@example.com"', search_engine: 'v3', include_totals: true });
    assert.equal(found.total, 1);
    assert.equal(found.users[0].user_id, created.user_id);
    const { data: byEmail } = await mc.usersByEmail.getByEmail({ email: 'grace@example.com' });
    assert.equal(byEmail.length, 1);
    const { data: updated } = await mc.users.update({ id: created.user_id }, { user_metadata: { lang: 'de' } });
    assert.deepEqual(updated.user_metadata, { lang: 'de' });
    await mc.users.delete({ id: created.user_id });

    const { data: client } = await mc.clients.create({ name: 'Worker', app_type: 'non_interactive' });
    const { data: fetched } = await mc.clients.get({ client_id: client.client_id });
    assert.equal(fetched.app_type, 'non_interactive');
    await mc.clients.update({ client_id: client.client_id }, { name: 'Worker 2' });
    const { data: rotated } = await mc.clients.rotateClientSecret({ client_id: client.client_id });
    assert.ok(rotated.client_secret);
    const { data: grant } = await mc.clientGrants.create({ client_id: client.client_id, audience, scope: ['read:users'] });
    await mc.clientGrants.update({ id: grant.id }, { scope: ['read:users', 'read:clients'] });
    const { data: grants } = await mc.clientGrants.getAll({ client_id: client.client_id });
    assert.deepEqual(grants.map((g) => g.scope), [['read:users', 'read:clients']]);
    await mc.clientGrants.delete({ id: grant.id });
    await mc.clients.delete({ client_id: client.client_id });

    const { data: connections } = await mc.connections.getAll();
    assert.deepEqual(connections.map((c) => c.name), [DB]);
    const { data: api } = await mc.resourceServers.create({ identifier: 'https://api.v4.example', name: 'V4' });
    await mc.resourceServers.update({ id: api.id }, { token_lifetime: 1200 });
    const { data: again } = await mc.resourceServers.get({ id: api.id });
    assert.equal(again.token_lifetime, 1200);
    await mc.resourceServers.delete({ id: api.id });

    const { data: keys } = await mc.keys.getAll();
    assert.ok(keys.some((k) => k.current));
    const { data: rotatedKey } = await mc.keys.rotate();
    assert.ok(rotatedKey.kid);
  });

  test('roles, a user\'s roles and permissions, logs and import jobs', async () => {
    const mc = v4();
    const { data: api } = await mc.resourceServers.create({
      identifier: 'https://api.v4-rbac.example',
      name: 'V4 RBAC',
      scopes: [{ value: 'read:v4', description: 'Read v4' }],
    });
    const { data: role } = await mc.roles.create({ name: 'V4 role', description: 'From auth0 4.x' });
    await mc.roles.update({ id: role.id }, { name: 'V4 role renamed' });
    const { data: got } = await mc.roles.get({ id: role.id });
    assert.equal(got.name, 'V4 role renamed');
    const { data: all } = await mc.roles.getAll({ include_totals: true });
    assert.ok(all.roles.some((r) => r.id === role.id) && all.total >= 1);
    const permission = { resource_server_identifier: 'https://api.v4-rbac.example', permission_name: 'read:v4' };
    await mc.roles.addPermissions({ id: role.id }, { permissions: [permission] });
    const { data: held } = await mc.roles.getPermissions({ id: role.id });
    assert.deepEqual(held.map((p) => p.permission_name), ['read:v4']);

    const { data: user } = await mc.users.create({ connection: DB, email: 'rbac-v4@example.com', password: PASSWORD });
    await mc.roles.assignUsers({ id: role.id }, { users: [user.user_id] });
    const { data: members } = await mc.roles.getUsers({ id: role.id });
    assert.deepEqual(members.map((u) => u.user_id), [user.user_id]);
    const { data: roles } = await mc.users.getRoles({ id: user.user_id });
    assert.deepEqual(roles.map((r) => r.id), [role.id]);
    const { data: permissions } = await mc.users.getPermissions({ id: user.user_id });
    assert.deepEqual(permissions.map((p) => [p.permission_name, p.sources[0].source_id]), [['read:v4', role.id]]);
    await mc.users.deleteRoles({ id: user.user_id }, { roles: [role.id] });
    assert.deepEqual((await mc.users.getRoles({ id: user.user_id })).data, []);
    await mc.users.assignRoles({ id: user.user_id }, { roles: [role.id] });
    await mc.roles.deletePermissions({ id: role.id }, { permissions: [permission] });
    assert.deepEqual((await mc.users.getPermissions({ id: user.user_id })).data, []);
    await mc.roles.delete({ id: role.id });
    await mc.users.delete({ id: user.user_id });
    await mc.resourceServers.delete({ id: api.id });

    const { data: logs } = await eventually(
      () => mc.logs.getAll({ q: 'type:sapi', per_page: 100 }),
      (r) => r.data.some((e) => e.description === 'DELETE /api/v2/roles/' + role.id),
      'the sapi event',
    );
    const { data: one } = await mc.logs.get({ id: logs[0].log_id });
    assert.equal(one.type, 'sapi');

    const { data: connections } = await mc.connections.getAll();
    const { data: job } = await mc.jobs.importUsers({
      users: usersFile('imported-v4@example.com'),
      connection_id: connections[0].id,
      upsert: true,
    });
    assert.equal(job.type, 'users_import');
    const { data: done } = await eventually(
      () => mc.jobs.get({ id: job.id }),
      (r) => r.data.status === 'completed',
      'the import',
    );
    // With upsert the existing user is updated, not an error.
    assert.deepEqual(done.summary, { failed: 0, updated: 1, inserted: 1, total: 2 });
    const { data: errors, status } = await mc.jobs.getErrors({ id: job.id });
    assert.equal(status, 204);
    assert.equal(errors, undefined);
  });
});
