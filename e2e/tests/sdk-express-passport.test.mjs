// The guide's custom-server model in a real browser: examples/express-passport (Express +
// express-session + passport + passport-auth0, unchanged but for the documented http URL
// options) against the portcullis binary, calling the express-oauth2-jwt-bearer billing API
// (examples/apis-express). The journey itself (sign-in through the hosted page, profile, API call
// with the access token, 401/403, reload, refresh, logout at the provider) is
// lib/custom-server.mjs; this file gives what is specific to passport-auth0.

import assert from 'node:assert/strict';
import { customServerJourney } from '../lib/custom-server.mjs';
import { waitUntil } from '../lib/apps.mjs';

const CLIENT_ID = 'e2e-express-passport';
const CLIENT_SECRET = 'e2e-express-passport-secret-0123456789abcdef';

customServerJourney({
  name: 'express-passport',
  appName: 'Express passport app',
  clientId: CLIENT_ID,
  clientSecret: CLIENT_SECRET,
  logoutUrl: (appOrigin) => `${appOrigin}/`,
  env: ({ provider, appOrigin, audience, apiUrl }) => ({
    BASE_URL: appOrigin,
    // What changes between two Auth0 tenants…
    AUTH0_DOMAIN: `localhost:${provider.port}`,
    AUTH0_CLIENT_ID: CLIENT_ID,
    AUTH0_CLIENT_SECRET: CLIENT_SECRET,
    BILLING_API_AUDIENCE: audience,
    // …plus the documented switch for plain http (passport-auth0's four URL options).
    AUTH0_HTTP: 'true',
    SESSION_SECRET: 'e2e-express-passport-session-secret',
    BILLING_API_URL: apiUrl,
  }),
  titles: {
    billing: 'calls the billing API with the access token from passport-auth0',
    reload: 'a reload keeps the user signed in (express-session cookie)',
    refresh: 'an expired access token is refreshed with the refresh token passport-auth0 received',
  },
  async refresh({ page, text, appOrigin }) {
    await page.goto(`${appOrigin}/billing`);
    const refreshedBefore = Number(await text('#refreshed'));
    const expiresAt = Date.parse(await text('#expires-at'));
    await waitUntil(() => Date.now() > expiresAt, 'the access token to expire');
    await page.goto(`${appOrigin}/billing`);
    assert.equal(await text('#api-status'), '200', await text('body'));
    assert.equal(Number(await text('#refreshed')), refreshedBefore + 1);
    assert.ok(Date.parse(await text('#expires-at')) > Date.now());
  },
  // /logout → the provider's /v2/logout → back to the app's home page.
  logoutLanding: (appOrigin) => `${appOrigin}/`,
});
