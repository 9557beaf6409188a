// openid-client v6 (used by nextjs-auth0 v4 and express-openid-connect) against the real portcullis
// binary. The sign-in goes through the hosted page (/u/login) with fetch and a cookie jar.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as client from 'openid-client';
import * as jose from 'jose';
import { BASIC_APP as BASIC, DEMO, UserAgent, startPortcullis } from '../lib/portcullis.mjs';
import { rejectsWith as rejectsWithError, verifyJwt as verifyJwtWith } from '../lib/tokens.mjs';

const insecure = { execute: [client.allowInsecureRequests] };

let provider;
let web; // demo-web, client_secret_post (openid-client's default when a secret is given)
let jwks;

before(async () => {
  provider = await startPortcullis({ tenant: BASIC.tenant });
  web = await client.discovery(new URL(provider.issuer), DEMO.web.clientId, DEMO.web.clientSecret, undefined, insecure);
  jwks = jose.createRemoteJWKSet(new URL(web.serverMetadata().jwks_uri));
});

after(async () => {
  await provider?.stop();
});

/** Signs in through the hosted page and redeems the code with openid-client. */
async function codeFlow(config, { redirectUri, scope, extra = {}, agent = new UserAgent(provider.origin) }) {
  const pkceCodeVerifier = client.randomPKCECodeVerifier();
  const expectedState = client.randomState();
  const expectedNonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope,
    state: expectedState,
    nonce: expectedNonce,
    code_challenge: await client.calculatePKCECodeChallenge(pkceCodeVerifier),
    code_challenge_method: 'S256',
    ...extra,
  });
  const callback = await agent.authorize(url, DEMO.user);
  const tokens = await client.authorizationCodeGrant(config, callback, {
    pkceCodeVerifier,
    expectedState,
    expectedNonce,
    idTokenExpected: true,
  });
  return { tokens, claims: tokens.claims(), agent };
}

const verifyJwt = (jwt, audience) => verifyJwtWith(jwt, { jwks, issuer: provider.issuer, audience });
const rejectsWith = (promise, error) => rejectsWithError(promise, error, client.ResponseBodyError);

describe('openid-client', () => {
  test('discovery: the issuer is byte-identical to the expected one', () => {
    const meta = web.serverMetadata();
    assert.equal(meta.issuer, provider.issuer);
    assert.ok(meta.supportsPKCE('S256'));
    assert.ok(meta.end_session_endpoint);
  });

  test('discovery is refused when the expected issuer differs', async () => {
    // The issuer check is real: without the trailing-slash equality this would not throw.
    await assert.rejects(
      client.discovery(new URL(`http://127.0.0.1:${provider.port}/`), DEMO.web.clientId, DEMO.web.clientSecret, undefined, insecure),
      (e) => e instanceof client.ClientError,
    );
  });

  test('code + PKCE, confidential client (client_secret_post); ID token verified against JWKS', async () => {
    const { tokens, claims } = await codeFlow(web, {
      redirectUri: DEMO.web.callback,
      scope: 'openid profile email offline_access',
      extra: { audience: DEMO.apis.tvShows },
    });
    assert.equal(claims.iss, provider.issuer);
    assert.equal(claims.aud, DEMO.web.clientId);
    assert.equal(claims.email, DEMO.user.email);
    assert.equal(tokens.token_type.toLowerCase(), 'bearer');
    assert.ok(tokens.expiresIn() > 0);
    assert.equal(typeof tokens.refresh_token, 'string');
    const idt = await verifyJwt(tokens.id_token, DEMO.web.clientId);
    assert.equal(idt.sub, claims.sub);
    const at = await verifyJwt(tokens.access_token, DEMO.apis.tvShows);
    assert.equal(at.sub, claims.sub);
  });

  test('code + PKCE, confidential client (client_secret_basic, percent-encoded secret)', async () => {
    const config = await client.discovery(
      new URL(provider.issuer), BASIC.clientId, undefined, client.ClientSecretBasic(BASIC.clientSecret), insecure,
    );
    const { tokens, claims } = await codeFlow(config, { redirectUri: BASIC.callback, scope: 'openid' });
    assert.equal(claims.aud, BASIC.clientId);
    await verifyJwt(tokens.id_token, BASIC.clientId);
  });

  test('code + PKCE, public SPA client (none)', async () => {
    const config = await client.discovery(new URL(provider.issuer), DEMO.spa.clientId, undefined, client.None(), insecure);
    const { tokens, claims } = await codeFlow(config, {
      redirectUri: DEMO.spa.callback,
      scope: 'openid profile offline_access',
    });
    assert.equal(claims.aud, DEMO.spa.clientId);
    await verifyJwt(tokens.id_token, DEMO.spa.clientId);
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
    assert.notEqual(refreshed.refresh_token, tokens.refresh_token);
    assert.equal(refreshed.claims().sub, claims.sub);
  });

  test('a public client that omits PKCE is refused with an error redirect', async () => {
    const config = await client.discovery(new URL(provider.issuer), DEMO.spa.clientId, undefined, client.None(), insecure);
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: DEMO.spa.callback,
      scope: 'openid',
      state: 'no-pkce',
    });
    const callback = await new UserAgent(provider.origin).authorize(url, DEMO.user);
    assert.equal(callback.searchParams.get('error'), 'invalid_request');
    assert.equal(callback.searchParams.get('state'), 'no-pkce');
    assert.equal(callback.searchParams.get('code'), null);
  });

  test('refresh rotation: new refresh token, old one rejected with invalid_grant', async () => {
    const { tokens, claims } = await codeFlow(web, { redirectUri: DEMO.web.callback, scope: 'openid offline_access' });
    const second = await client.refreshTokenGrant(web, tokens.refresh_token);
    assert.equal(typeof second.refresh_token, 'string');
    assert.notEqual(second.refresh_token, tokens.refresh_token);
    assert.equal(second.claims().sub, claims.sub, 'an ID token on refresh, same subject');
    await rejectsWith(client.refreshTokenGrant(web, tokens.refresh_token), 'invalid_grant');
  });

  test('client_credentials for demo-m2m with an audience', async () => {
    const m2m = await client.discovery(new URL(provider.issuer), DEMO.m2m.clientId, DEMO.m2m.clientSecret, undefined, insecure);
    const tokens = await client.clientCredentialsGrant(m2m, { audience: DEMO.apis.billing });
    assert.equal(tokens.refresh_token, undefined);
    assert.equal(tokens.id_token, undefined);
    const at = await verifyJwt(tokens.access_token, DEMO.apis.billing);
    assert.equal(at.azp, DEMO.m2m.clientId);
    assert.equal(at.sub, `${DEMO.m2m.clientId}@clients`);
    assert.equal(at.scope, 'read:billing');
  });

  test('userinfo', async () => {
    const { tokens, claims } = await codeFlow(web, { redirectUri: DEMO.web.callback, scope: 'openid profile email' });
    const info = await client.fetchUserInfo(web, tokens.access_token, claims.sub);
    assert.equal(info.sub, claims.sub);
    assert.equal(info.email, DEMO.user.email);
    assert.equal(info.email_verified, true);
    assert.equal(info.name, DEMO.user.name);
  });

  test('revocation of a refresh token', async () => {
    const { tokens } = await codeFlow(web, { redirectUri: DEMO.web.callback, scope: 'openid offline_access' });
    await client.tokenRevocation(web, tokens.refresh_token, { token_type_hint: 'refresh_token' });
    await rejectsWith(client.refreshTokenGrant(web, tokens.refresh_token), 'invalid_grant');
  });

  test('RP-initiated logout: end_session URL from buildEndSessionUrl, then prompt=none gives login_required', async () => {
    const { tokens, agent } = await codeFlow(web, { redirectUri: DEMO.web.callback, scope: 'openid' });
    const silent = () =>
      agent.authorize(
        client.buildAuthorizationUrl(web, {
          redirect_uri: DEMO.web.callback,
          scope: 'openid',
          state: 'silent',
          prompt: 'none',
          code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URstJ3PtZzHvB8',
          code_challenge_method: 'S256',
        }),
      );
    // While the IdP session lives, prompt=none gives a code.
    const before = await silent();
    assert.ok(before.searchParams.get('code'), `expected a code, got ${before}`);

    const endSession = client.buildEndSessionUrl(web, {
      id_token_hint: tokens.id_token,
      post_logout_redirect_uri: DEMO.web.logoutUrl,
      state: 'bye',
    });
    assert.equal(endSession.origin + endSession.pathname, `${provider.issuer}oidc/logout`);
    const { response } = await agent.follow(endSession);
    assert.ok([302, 303].includes(response.status), `status ${response.status}`);
    assert.equal(response.headers.get('location'), `${DEMO.web.logoutUrl}?state=bye`);

    const afterLogout = await silent();
    assert.equal(afterLogout.searchParams.get('error'), 'login_required');
    assert.equal(afterLogout.searchParams.get('state'), 'silent');
    assert.equal(afterLogout.searchParams.get('iss'), provider.issuer);
  });

  test('RP-initiated logout with an unregistered post_logout_redirect_uri does not redirect', async () => {
    const { tokens, agent } = await codeFlow(web, { redirectUri: DEMO.web.callback, scope: 'openid' });
    const endSession = client.buildEndSessionUrl(web, {
      id_token_hint: tokens.id_token,
      post_logout_redirect_uri: 'http://localhost:3000/elsewhere',
    });
    const { response } = await agent.follow(endSession);
    assert.equal(response.headers.get('location'), null);
    assert.ok(response.status === 200 || response.status === 400, `status ${response.status}`);
    assert.doesNotMatch(await response.text(), /localhost:3000\/elsewhere"/);
  });

  test('a bad client secret: the library surfaces invalid_client', async () => {
    const bad = await client.discovery(new URL(provider.issuer), DEMO.m2m.clientId, 'wrong-secret', undefined, insecure);
    const e = await rejectsWith(client.clientCredentialsGrant(bad, { audience: DEMO.apis.billing }), 'invalid_client');
    assert.equal(e.status, 401);
  });

  test('an unregistered redirect_uri gets an error page, no redirect', async () => {
    const url = client.buildAuthorizationUrl(web, {
      redirect_uri: 'https://attacker.example/callback',
      scope: 'openid',
      state: 'x',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URstJ3PtZzHvB8',
      code_challenge_method: 'S256',
    });
    const ua = new UserAgent(provider.origin);
    await assert.rejects(ua.authorize(url, DEMO.user), (e) => {
      assert.equal(e.response.status, 400);
      assert.equal(e.response.headers.get('location'), null);
      assert.doesNotMatch(e.body, /attacker\.example\/callback\?/);
      return true;
    });
  });
});
