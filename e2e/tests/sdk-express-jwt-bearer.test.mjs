// express-oauth2-jwt-bearer (examples/apis-express, unchanged but for ISSUER_BASE_URL and
// AUDIENCE) against the portcullis binary: discovery over plain http on loopback, JWKS, issuer,
// audience, expiry and scope checks, with M2M tokens and with a user's code-flow token. Every
// refusal is checked for its status AND its WWW-Authenticate challenge (RFC 6750 §3).

import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ensureInstalled, exampleDir, startApi, waitUntil } from '../lib/apps.mjs';
import { DEMO, jwtPayload, startPortcullis } from '../lib/portcullis.mjs';
import { callApi as get, clientCredentials, userAccessToken } from '../lib/tokens.mjs';

const APIS_DIR = exampleDir('apis-express');

const SHOWS = 'https://api/tv-shows';
const BILLING = 'https://api/billing';
const SHORT = 'https://api/short-lived'; // access tokens live 1 s

// ---------------------------------------------------------------------------------------------
// Helpers of this suite.

/** A client_credentials token from `provider` for `audience` (the development tenant's M2M app). */
const m2mToken = (provider, audience) => clientCredentials(provider, { audience });

/**
 * The demo user's access token for `audience`/`scope`: demo-web's code flow + PKCE through the
 * hosted sign-in (its callback, http://localhost:3000/callback: nothing needs to listen there).
 */
const userToken = (provider, audience, scope) => userAccessToken(provider, { audience, scope });

/** Asserts an RFC 6750 refusal as express-oauth2-jwt-bearer words it. */
function assertRefused(res, status, error, description) {
  assert.equal(res.status, status, `${res.status} ${res.text}`);
  assert.match(res.challenge, /^Bearer realm="api"/);
  if (error === undefined) {
    assert.doesNotMatch(res.challenge, /error=/, 'no error code when no token was sent (RFC 6750 §3.1)');
    return;
  }
  assert.match(res.challenge, new RegExp(`error="${error}"`));
  if (description) assert.ok(res.challenge.includes(`error_description="${description}`), `challenge: ${res.challenge}`);
  assert.equal(res.json?.error, error, 'the example answers {error, error_description} too');
}

// ---------------------------------------------------------------------------------------------

let provider;
let shows; // tv-shows.mjs, ISSUER_BASE_URL without the trailing slash
let billing; // billing.mjs, ISSUER_BASE_URL = the exact issuer, with the trailing slash
let short; // tv-shows.mjs for the short-lived audience

before(async () => {
  ensureInstalled(APIS_DIR);
  provider = await startPortcullis({
    tenant: `
[[apis]]
identifier = "${SHOWS}"
name = "TV shows API"
scopes = [{ value = "read:shows", description = "Read your TV shows" }]

[[apis]]
identifier = "${BILLING}"
name = "Billing API"
scopes = [{ value = "read:billing", description = "Read invoices" }]

[[apis]]
identifier = "${SHORT}"
name = "Short-lived tokens"
token_lifetime = 1
scopes = [{ value = "read:shows", description = "Read your TV shows" }]

[[client_grants]]
client_id = "${DEMO.m2m.clientId}"
audience = "${BILLING}"
scopes = ["read:billing"]

[[client_grants]]
client_id = "${DEMO.m2m.clientId}"
audience = "${SHOWS}"
scopes = []

[[client_grants]]
client_id = "${DEMO.m2m.clientId}"
audience = "${SHORT}"
scopes = ["read:shows"]
`,
  });
  [shows, billing, short] = await Promise.all([
    startApi('tv-shows.mjs', { ISSUER_BASE_URL: provider.origin, AUDIENCE: SHOWS }),
    startApi('billing.mjs', { ISSUER_BASE_URL: provider.issuer, AUDIENCE: BILLING }),
    startApi('tv-shows.mjs', { ISSUER_BASE_URL: provider.origin, AUDIENCE: SHORT }),
  ]);
});

after(async () => {
  await Promise.all([shows, billing, short].map((a) => a?.stop()));
  await provider?.stop();
});

describe('express-oauth2-jwt-bearer APIs against Portcullis', () => {
  test('an M2M token with read:billing is accepted (discovery, JWKS and issuer over http)', async () => {
    const token = await m2mToken(provider, BILLING);
    const header = JSON.parse(Buffer.from(token.split('.')[0], 'base64url'));
    assert.equal(header.alg, 'RS256');
    assert.ok(header.kid);
    assert.equal(jwtPayload(token).iss, provider.issuer);
    const res = await get(`${billing.url}/api/billing-info`, { token });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.customer, `${DEMO.m2m.clientId}@clients`);
    assert.equal(res.json.invoices.length, 2);
  });

  test("a user's code-flow token with read:shows is accepted", async () => {
    const token = await userToken(provider, SHOWS, 'openid profile email read:shows');
    const claims = jwtPayload(token);
    assert.ok(claims.scope.split(' ').includes('read:shows'));
    assert.ok(claims.sub.length > 0);
    const res = await get(`${shows.url}/api/my/shows`, { token });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json.map((s) => s.title), ['The Expanse', 'Severance', 'Halt and Catch Fire', 'Mr. Robot']);
  });

  test('no token: 401 with a bare Bearer challenge', async () => {
    assertRefused(await get(`${shows.url}/api/my/shows`), 401);
  });

  test('a token for another audience: 401 invalid_token', async () => {
    assertRefused(
      await get(`${shows.url}/api/my/shows`, { token: await m2mToken(provider, BILLING) }),
      401, 'invalid_token', "Unexpected 'aud' value",
    );
    assertRefused(
      await get(`${billing.url}/api/billing-info`, { token: await userToken(provider, SHOWS, 'openid read:shows') }),
      401, 'invalid_token', "Unexpected 'aud' value",
    );
  });

  test('the right audience without the scope: 403 insufficient_scope', async () => {
    const m2m = await m2mToken(provider, SHOWS); // granted no scope
    assert.ok(!(jwtPayload(m2m).scope ?? '').split(' ').includes('read:shows'));
    const res = await get(`${shows.url}/api/my/shows`, { token: m2m });
    assertRefused(res, 403, 'insufficient_scope', 'Insufficient Scope');
    assert.match(res.challenge, /scope="read:shows"/);

    // A user who did not ask for read:shows does not get it.
    const user = await userToken(provider, SHOWS, 'openid profile');
    assert.ok(!(jwtPayload(user).scope ?? '').split(' ').includes('read:shows'), `scope ${jwtPayload(user).scope}`);
    assertRefused(await get(`${shows.url}/api/my/shows`, { token: user }), 403, 'insufficient_scope');
  });

  test('an expired token: 401 invalid_token', async () => {
    const token = await m2mToken(provider, SHORT);
    const claims = jwtPayload(token);
    assert.equal(claims.exp - claims.iat, 1, 'the API token_lifetime applies');
    assert.equal((await get(`${short.url}/api/my/shows`, { token })).status, 200, 'valid while fresh');
    // The SDK allows 5 s of clock skew: wait (polling) until it refuses the token.
    let res;
    await waitUntil(
      async () => (res = await get(`${short.url}/api/my/shows`, { token })).status !== 200,
      'the API to refuse the expired token',
      { interval: 250 },
    );
    assertRefused(res, 401, 'invalid_token', "'exp' claim timestamp check failed");
    assert.ok(Date.now() / 1000 >= claims.exp + 5 - 1, 'refused only after exp + the 5 s tolerance');
  });

  test('a tampered token: 401 invalid_token (signature checked against the JWKS)', async () => {
    const token = await m2mToken(provider, BILLING);
    const [h, p, s] = token.split('.');
    const payload = { ...jwtPayload(token), sub: 'someone-else@clients' };
    const forged = `${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${s}`;
    assertRefused(await get(`${billing.url}/api/billing-info`, { token: forged }), 401, 'invalid_token', 'signature verification failed');
    assertRefused(await get(`${billing.url}/api/billing-info`, { token: 'not.a.jwt' }), 401, 'invalid_token');
  });

  test("another provider's token (same audience, other keys and issuer): 401 invalid_token", async () => {
    const other = await startPortcullis({
      tenant: `
[[apis]]
identifier = "${BILLING}"
scopes = [{ value = "read:billing" }]

[[client_grants]]
client_id = "${DEMO.m2m.clientId}"
audience = "${BILLING}"
scopes = ["read:billing"]
`,
    });
    try {
      const token = await m2mToken(other, BILLING);
      assertRefused(await get(`${billing.url}/api/billing-info`, { token }), 401, 'invalid_token');
    } finally {
      await other.stop();
    }
  });

  test('strict mode (RFC 9068 access-token profile: typ at+jwt, iat, sub, client_id, jti) accepts the tokens', async () => {
    // The same SDK, in process, with `strict: true` (not used by the example apps).
    const lib = (m) => import(path.join(APIS_DIR, 'node_modules', m));
    const { default: express } = await lib('express/index.js');
    const { auth, requiredScopes } = await lib('express-oauth2-jwt-bearer/dist/index.js');
    const app = express();
    app.use(auth({ issuerBaseURL: provider.origin, audience: BILLING, strict: true }));
    app.get('/strict', requiredScopes('read:billing'), (req, res) => res.json(req.auth));
    app.use((err, req, res, next) => res.status(err.status ?? 500).set(err.headers ?? {}).json({ error: err.code, message: err.message }));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const token = await m2mToken(provider, BILLING);
      const res = await get(`http://localhost:${server.address().port}/strict`, { token });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.json.header.typ, 'at+jwt');
      for (const claim of ['iat', 'sub', 'client_id', 'jti']) assert.ok(res.json.payload[claim], claim);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  test('CORS: a browser on an allowed origin may call the API with a bearer token', async () => {
    const preflight = await get(`${shows.url}/api/my/shows`, {
      method: 'OPTIONS',
      headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), 'http://localhost:5173');
    assert.match(preflight.headers.get('access-control-allow-headers'), /authorization/);
    const denied = await get(`${shows.url}/api/my/shows`, { headers: { origin: 'http://evil.example' } });
    assert.equal(denied.headers.get('access-control-allow-origin'), null);
  });
});
