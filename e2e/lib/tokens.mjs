// Tokens from a running provider without a browser (client_credentials, a user's code flow through
// the hosted sign-in page), introspection, JWT checks and bearer calls to APIs. Each helper asserts
// that the provider answered 200, with the body in the message. See ../README.md for the API.

import assert from 'node:assert/strict';
import * as oauth from 'oauth4webapi';
import * as jose from 'jose';
import { DEMO, UserAgent } from './portcullis.mjs';

/** POSTs `params` (form-encoded) to the provider's `path`; asserts a 200 and returns the JSON body. */
async function postForm(provider, path, params, what) {
  const res = await fetch(new URL(path, provider.issuer), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params),
  });
  const body = await res.json();
  assert.equal(res.status, 200, `${what}: ${JSON.stringify(body)}`);
  return body;
}

/**
 * A `client_credentials` access token from `provider` for `audience`; the client defaults to the
 * development tenant's M2M application (`DEMO.m2m`).
 */
export async function clientCredentials(
  provider,
  { audience, clientId = DEMO.m2m.clientId, clientSecret = DEMO.m2m.clientSecret },
) {
  const params = { grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret, audience };
  return (await postForm(provider, 'oauth/token', params, `client_credentials for ${audience}`)).access_token;
}

/**
 * A user's access token for `audience`/`scope`, minted outside the browser the way a regular web
 * application does it: authorization code + PKCE through the hosted sign-in page (`UserAgent`),
 * then the code redeemed with client_secret_post. `redirectUri` must be registered for the client;
 * nothing needs to listen there. Defaults: `DEMO.web` and its callback, `DEMO.user`.
 */
export async function userAccessToken(
  provider,
  {
    audience,
    scope,
    clientId = DEMO.web.clientId,
    clientSecret = DEMO.web.clientSecret,
    redirectUri = DEMO.web.callback,
    user = DEMO.user,
  },
) {
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const url = new URL('authorize', provider.issuer);
  for (const [k, v] of Object.entries({
    client_id: clientId,
    redirect_uri: redirectUri,
    response_type: 'code',
    scope,
    audience,
    state,
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  })) url.searchParams.set(k, v);
  const back = await new UserAgent(provider.origin).authorize(url, user);
  assert.equal(back.searchParams.get('state'), state);
  const code = back.searchParams.get('code');
  assert.ok(code, `no code in ${back}`);
  const params = {
    grant_type: 'authorization_code',
    code,
    redirect_uri: redirectUri,
    code_verifier: verifier,
    client_id: clientId,
    client_secret: clientSecret,
  };
  return (await postForm(provider, 'oauth/token', params, 'authorization_code')).access_token;
}

/** Introspects `token` (RFC 7662) as the confidential client `clientId`; returns the JSON answer. */
export async function introspect(provider, token, { clientId, clientSecret }) {
  return postForm(provider, 'oauth/introspect', { token, client_id: clientId, client_secret: clientSecret }, 'introspection');
}

/**
 * Verifies a JWT's signature against `jwks` (a jose key set) and its `issuer`/`audience`: RS256,
 * with a `kid` in the header. Returns the payload.
 */
export async function verifyJwt(jwt, { jwks, issuer, audience }) {
  const { payload, protectedHeader } = await jose.jwtVerify(jwt, jwks, { issuer, audience, algorithms: ['RS256'] });
  assert.equal(protectedHeader.alg, 'RS256');
  assert.ok(protectedHeader.kid, 'the JWT header names its key');
  return payload;
}

/**
 * Awaits `promise`, expecting it to reject with an OAuth error response `error`, as an instance of
 * `ErrorClass` (the client library's ResponseBodyError). Returns the error.
 */
export async function rejectsWith(promise, error, ErrorClass) {
  try {
    await promise;
  } catch (e) {
    assert.ok(e instanceof ErrorClass, `expected a ${ErrorClass.name}, got ${e?.name}: ${e?.message}`);
    assert.equal(e.error, error);
    return e;
  }
  assert.fail(`expected an ${error} error, but the request succeeded`);
}

/**
 * Calls an API with `Authorization: Bearer <token>` (when given). Returns `{ status, headers,
 * challenge (WWW-Authenticate, '' when absent), text, json (undefined when not JSON) }`.
 */
export async function callApi(url, { token, headers = {}, method = 'GET' } = {}) {
  const res = await fetch(url, { method, headers: { ...headers, ...(token ? { authorization: `Bearer ${token}` } : {}) } });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, challenge: res.headers.get('www-authenticate') ?? '', text, json };
}
