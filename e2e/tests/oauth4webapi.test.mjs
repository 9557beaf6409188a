// oauth4webapi v3 (the strict core under nextjs-auth0 v4 and openid-client v6) against the real
// portcullis binary. The sign-in goes through the hosted page (/u/login) with fetch and a cookie jar.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as oauth from 'oauth4webapi';
import * as jose from 'jose';
import { BASIC_APP as BASIC, DEMO, UserAgent, startPortcullis } from '../lib/portcullis.mjs';
import { rejectsWith as rejectsWithError, verifyJwt as verifyJwtWith } from '../lib/tokens.mjs';

const insecure = { [oauth.allowInsecureRequests]: true };

let provider;
let as; // the authorization server metadata
let jwks;

before(async () => {
  provider = await startPortcullis({ tenant: BASIC.tenant });
  const issuer = new URL(provider.issuer);
  as = await oauth.processDiscoveryResponse(
    issuer,
    await oauth.discoveryRequest(issuer, { algorithm: 'oidc', ...insecure }),
  );
  jwks = jose.createRemoteJWKSet(new URL(as.jwks_uri));
});

after(async () => {
  await provider?.stop();
});

/**
 * Runs the authorization code flow with PKCE through the hosted sign-in page and redeems the
 * code. Returns the token endpoint result, the validated ID token claims and the nonce used.
 */
async function codeFlow({ client, clientAuth, redirectUri, scope, audience, maxAge, agent }) {
  const codeVerifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const nonce = oauth.generateRandomNonce();
  const url = new URL(as.authorization_endpoint);
  url.searchParams.set('client_id', client.client_id);
  url.searchParams.set('redirect_uri', redirectUri);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('scope', scope);
  url.searchParams.set('state', state);
  url.searchParams.set('nonce', nonce);
  url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(codeVerifier));
  url.searchParams.set('code_challenge_method', 'S256');
  if (audience) url.searchParams.set('audience', audience);
  if (maxAge !== undefined) url.searchParams.set('max_age', String(maxAge));

  const ua = agent ?? new UserAgent(provider.origin);
  const callback = await ua.authorize(url, DEMO.user);
  assert.equal(callback.origin + callback.pathname, redirectUri, 'redirected to the registered callback');

  // Checks state and the RFC 9207 `iss` (mandatory: discovery advertises it).
  const params = oauth.validateAuthResponse(as, client, callback, state);
  const response = await oauth.authorizationCodeGrantRequest(
    as, client, clientAuth, params, redirectUri, codeVerifier, insecure,
  );
  const result = await oauth.processAuthorizationCodeResponse(as, client, response, {
    expectedNonce: nonce,
    requireIdToken: true,
    ...(maxAge !== undefined ? { maxAge } : {}),
  });
  return { result, claims: oauth.getValidatedIdTokenClaims(result), nonce, agent: ua };
}

/** Verifies a JWT's signature against the provider's JWKS (RS256, `kid`) and its iss/aud. */
const verifyJwt = (jwt, audience) => verifyJwtWith(jwt, { jwks, issuer: provider.issuer, audience });

/** Awaits `promise`, expecting an OAuth error response with `error`. Returns the error. */
const rejectsWith = (promise, error) => rejectsWithError(promise, error, oauth.ResponseBodyError);

const web = { client_id: DEMO.web.clientId };
const webAuth = oauth.ClientSecretPost(DEMO.web.clientSecret);
const spa = { client_id: DEMO.spa.clientId };

describe('oauth4webapi', () => {
  test('discovery: issuer with a trailing slash and the endpoints the SDKs use', () => {
    assert.equal(as.issuer, `http://localhost:${provider.port}/`);
    assert.equal(as.authorization_endpoint, `${provider.issuer}authorize`);
    assert.equal(as.token_endpoint, `${provider.issuer}oauth/token`);
    assert.equal(as.userinfo_endpoint, `${provider.issuer}userinfo`);
    assert.equal(as.revocation_endpoint, `${provider.issuer}oauth/revoke`);
    assert.equal(as.end_session_endpoint, `${provider.issuer}oidc/logout`);
    assert.deepEqual(as.id_token_signing_alg_values_supported, ['RS256']);
    assert.ok(as.code_challenge_methods_supported.includes('S256'));
  });

  test('code + PKCE, confidential client with client_secret_post; ID token signed by a JWKS key', async () => {
    const { result, claims, nonce } = await codeFlow({
      client: web,
      clientAuth: webAuth,
      redirectUri: DEMO.web.callback,
      scope: 'openid profile email',
      maxAge: 300,
    });
    assert.equal(result.token_type.toLowerCase(), 'bearer');
    assert.equal(typeof result.expires_in, 'number');
    assert.equal(claims.iss, provider.issuer);
    assert.equal(claims.aud, DEMO.web.clientId);
    assert.equal(claims.nonce, nonce);
    assert.equal(claims.email, DEMO.user.email);
    assert.equal(claims.name, DEMO.user.name);
    assert.equal(typeof claims.auth_time, 'number', 'auth_time present with max_age');
    assert.ok(claims.sid, 'sid present');
    // oauth4webapi does not check the signature of token-endpoint ID tokens: jose does.
    const verified = await verifyJwt(result.id_token, DEMO.web.clientId);
    assert.equal(verified.sub, claims.sub);
  });

  test('code + PKCE with an API audience: the access token is a JWT for the API', async () => {
    const { result, claims } = await codeFlow({
      client: web,
      clientAuth: webAuth,
      redirectUri: DEMO.web.callback,
      scope: 'openid read:shows',
      audience: DEMO.apis.tvShows,
    });
    const at = await verifyJwt(result.access_token, DEMO.apis.tvShows);
    assert.equal(at.sub, claims.sub);
    assert.equal(at.azp, DEMO.web.clientId);
    assert.ok(at.scope.split(' ').includes('read:shows'), `scope ${at.scope}`);
    assert.ok([at.aud].flat().includes(as.userinfo_endpoint), 'aud includes the userinfo URL with openid');
  });

  test('code + PKCE, confidential client with client_secret_basic (percent-encoded secret)', async () => {
    const { result, claims } = await codeFlow({
      client: { client_id: BASIC.clientId },
      clientAuth: oauth.ClientSecretBasic(BASIC.clientSecret),
      redirectUri: BASIC.callback,
      scope: 'openid email',
    });
    assert.equal(claims.aud, BASIC.clientId);
    assert.equal(claims.email, DEMO.user.email);
    await verifyJwt(result.id_token, BASIC.clientId);
  });

  test('code + PKCE, public SPA client (none), then refresh without a secret', async () => {
    const { result, claims } = await codeFlow({
      client: spa,
      clientAuth: oauth.None(),
      redirectUri: DEMO.spa.callback,
      scope: 'openid profile offline_access',
    });
    assert.equal(claims.aud, DEMO.spa.clientId);
    assert.equal(typeof result.refresh_token, 'string', 'offline_access gives a refresh token');
    const refreshed = await oauth.processRefreshTokenResponse(
      as, spa,
      await oauth.refreshTokenGrantRequest(as, spa, oauth.None(), result.refresh_token, insecure),
    );
    assert.notEqual(refreshed.refresh_token, result.refresh_token, 'rotated');
    assert.equal(typeof refreshed.id_token, 'string', 'an ID token on refresh (auth0-spa-js needs it)');
    assert.equal(oauth.getValidatedIdTokenClaims(refreshed).sub, claims.sub);
  });

  test('refresh rotation: new refresh token; the old one then gives invalid_grant and revokes the family', async () => {
    const { result, claims } = await codeFlow({
      client: web,
      clientAuth: webAuth,
      redirectUri: DEMO.web.callback,
      scope: 'openid offline_access',
    });
    const rt1 = result.refresh_token;
    assert.equal(typeof rt1, 'string');

    const refresh = async (rt) =>
      oauth.processRefreshTokenResponse(
        as, web, await oauth.refreshTokenGrantRequest(as, web, webAuth, rt, insecure),
      );
    const second = await refresh(rt1);
    const rt2 = second.refresh_token;
    assert.equal(typeof rt2, 'string');
    assert.notEqual(rt2, rt1, 'a new refresh token');
    assert.notEqual(second.access_token, result.access_token);
    const refreshedClaims = oauth.getValidatedIdTokenClaims(second);
    assert.equal(refreshedClaims.sub, claims.sub);
    assert.equal(refreshedClaims.nonce, undefined, 'no nonce in a refreshed ID token');
    await verifyJwt(second.id_token, DEMO.web.clientId);

    await rejectsWith(refresh(rt1), 'invalid_grant');
    // Reuse detection: the reused token's successor is revoked too.
    await rejectsWith(refresh(rt2), 'invalid_grant');
  });

  test('client_credentials for the M2M application with an audience', async () => {
    const m2m = { client_id: DEMO.m2m.clientId };
    const m2mAuth = oauth.ClientSecretPost(DEMO.m2m.clientSecret);
    const result = await oauth.processClientCredentialsResponse(
      as, m2m,
      await oauth.clientCredentialsGrantRequest(
        as, m2m, m2mAuth, new URLSearchParams({ audience: DEMO.apis.billing }), insecure,
      ),
    );
    assert.equal(result.token_type.toLowerCase(), 'bearer');
    assert.equal(result.refresh_token, undefined, 'no refresh token for client_credentials');
    const at = await verifyJwt(result.access_token, DEMO.apis.billing);
    assert.equal(at.sub, `${DEMO.m2m.clientId}@clients`);
    assert.equal(at.scope, 'read:billing');

    // No grant for the TV shows API.
    const denied = oauth.clientCredentialsGrantRequest(
      as, m2m, m2mAuth, new URLSearchParams({ audience: DEMO.apis.tvShows }), insecure,
    ).then((r) => oauth.processClientCredentialsResponse(as, m2m, r));
    await assert.rejects(denied, (e) => e instanceof oauth.ResponseBodyError && e.status >= 400 && e.status < 500);
  });

  test('userinfo with the access token returns the ID token subject and claims', async () => {
    const { result, claims } = await codeFlow({
      client: web,
      clientAuth: webAuth,
      redirectUri: DEMO.web.callback,
      scope: 'openid profile email',
    });
    const info = await oauth.processUserInfoResponse(
      as, web, claims.sub,
      await oauth.userInfoRequest(as, web, result.access_token, insecure),
    );
    assert.equal(info.sub, claims.sub);
    assert.equal(info.email, DEMO.user.email);
    assert.equal(info.name, DEMO.user.name);

    // A different expected subject is caught by the library (the response is really checked).
    await assert.rejects(
      oauth.userInfoRequest(as, web, result.access_token, insecure).then((r) =>
        oauth.processUserInfoResponse(as, web, 'someone-else', r),
      ),
    );
  });

  test('revocation: a revoked refresh token gives invalid_grant', async () => {
    const { result } = await codeFlow({
      client: web,
      clientAuth: webAuth,
      redirectUri: DEMO.web.callback,
      scope: 'openid offline_access',
    });
    const res = await oauth.revocationRequest(as, web, webAuth, result.refresh_token, {
      additionalParameters: { token_type_hint: 'refresh_token' },
      ...insecure,
    });
    await oauth.processRevocationResponse(res); // throws unless 200
    await rejectsWith(
      oauth.refreshTokenGrantRequest(as, web, webAuth, result.refresh_token, insecure).then((r) =>
        oauth.processRefreshTokenResponse(as, web, r),
      ),
      'invalid_grant',
    );
    // RFC 7009: an unknown token is still a 200.
    await oauth.processRevocationResponse(
      await oauth.revocationRequest(as, web, webAuth, 'not-a-token', insecure),
    );
  });

  test('a bad client secret with client_secret_post: the library surfaces invalid_client', async () => {
    const m2m = { client_id: DEMO.m2m.clientId };
    const e = await rejectsWith(
      oauth.clientCredentialsGrantRequest(
        as, m2m, oauth.ClientSecretPost('wrong-secret'),
        new URLSearchParams({ audience: DEMO.apis.billing }), insecure,
      ).then((r) => oauth.processClientCredentialsResponse(as, m2m, r)),
      'invalid_client',
    );
    assert.equal(e.status, 401);
  });

  test('a bad client secret with client_secret_basic: 401 invalid_client', async () => {
    const client = { client_id: BASIC.clientId };
    const response = await oauth.refreshTokenGrantRequest(
      as, client, oauth.ClientSecretBasic('wrong-secret'), 'some-refresh-token', insecure,
    );
    assert.equal(response.status, 401);
    // RFC 6749 §5.2: Basic auth failures carry a WWW-Authenticate challenge, and oauth4webapi
    // then throws a challenge error without reading the body (auth0-compat.md §1), so the
    // library cannot surface invalid_client here; the body still says it.
    assert.match(response.headers.get('www-authenticate') ?? '', /^Basic /i);
    await assert.rejects(
      oauth.processRefreshTokenResponse(as, client, response.clone()),
      (e) => e instanceof oauth.WWWAuthenticateChallengeError && e.status === 401,
    );
    const body = await response.json();
    assert.equal(body.error, 'invalid_client');
  });

  test('an unregistered redirect_uri is an error page, never a redirect', async () => {
    const url = new URL(as.authorization_endpoint);
    url.searchParams.set('client_id', DEMO.web.clientId);
    url.searchParams.set('redirect_uri', 'http://localhost:3000/not-registered');
    url.searchParams.set('response_type', 'code');
    url.searchParams.set('scope', 'openid');
    url.searchParams.set('state', 'abc');
    url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(oauth.generateRandomCodeVerifier()));
    url.searchParams.set('code_challenge_method', 'S256');
    const { response, url: landed } = await new UserAgent(provider.origin).follow(url);
    assert.equal(response.headers.get('location'), null, 'no redirect');
    assert.equal(response.status, 400);
    assert.match(response.headers.get('content-type'), /text\/html/);
    assert.equal(landed.pathname, '/authorize');
    const html = await response.text();
    assert.match(html, /redirect_uri|callback/i, 'the page says what is wrong');
  });

  test('ID token check: the library rejects a code exchange with the wrong nonce', async () => {
    // Guards the helper: a mismatching nonce must fail, so the passing flows above really check it.
    const codeVerifier = oauth.generateRandomCodeVerifier();
    const url = new URL(as.authorization_endpoint);
    for (const [k, v] of Object.entries({
      client_id: web.client_id,
      redirect_uri: DEMO.web.callback,
      response_type: 'code',
      scope: 'openid',
      state: 's1',
      nonce: 'the-real-nonce',
      code_challenge: await oauth.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
    })) url.searchParams.set(k, v);
    const callback = await new UserAgent(provider.origin).authorize(url, DEMO.user);
    const params = oauth.validateAuthResponse(as, web, callback, 's1');
    const response = await oauth.authorizationCodeGrantRequest(
      as, web, webAuth, params, DEMO.web.callback, codeVerifier, insecure,
    );
    await assert.rejects(
      oauth.processAuthorizationCodeResponse(as, web, response, { expectedNonce: 'another-nonce' }),
      /nonce/,
    );
  });
});
