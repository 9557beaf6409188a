// The custom-server model with express-openid-connect in code flow, in a real browser:
// examples/express-openid-connect (unchanged SDK, configured only with the issuer, client and
// secret) against the portcullis binary, calling the express-oauth2-jwt-bearer billing API
// (examples/apis-express). The journey itself (sign-in through the hosted page, profile, API call
// with the access token, 401/403, reload, refresh, logout at the provider) is
// lib/custom-server.mjs; this file gives what is specific to express-openid-connect.

import assert from 'node:assert/strict';
import { customServerJourney } from '../lib/custom-server.mjs';
import { waitUntil } from '../lib/apps.mjs';

const CLIENT_ID = 'e2e-express-openid-connect';
const CLIENT_SECRET = 'e2e-express-oidc-secret-0123456789abcdef0123';

customServerJourney({
  name: 'express-openid-connect',
  appName: 'Express OpenID Connect app',
  clientId: CLIENT_ID,
  clientSecret: CLIENT_SECRET,
  // express-openid-connect returns to BASE_URL as given.
  logoutUrl: (appOrigin) => appOrigin,
  env: ({ provider, appOrigin, audience, apiUrl }) => ({
    // express-openid-connect's own variables: what changes between two Auth0 tenants. An
    // http:// issuer needs no switch (the SDK allows insecure requests for it by itself).
    ISSUER_BASE_URL: provider.origin,
    BASE_URL: appOrigin,
    CLIENT_ID: CLIENT_ID,
    CLIENT_SECRET: CLIENT_SECRET,
    SECRET: 'e2e-express-openid-connect-cookie-secret-0123456789',
    BILLING_API_AUDIENCE: audience,
    BILLING_API_URL: apiUrl,
  }),
  titles: {
    billing: 'calls the billing API with req.oidc.accessToken',
    reload: 'a reload keeps the user signed in (appSession cookie)',
    refresh: 'an expired access token is refreshed with req.oidc.accessToken.refresh() (offline_access)',
  },
  async refresh({ page, text, appOrigin }) {
    await page.goto(`${appOrigin}/billing`);
    assert.equal(await text('#api-status'), '200', await text('body'));
    // expires_in counts whole seconds; isExpired() is true once expires_at <= now.
    const expiresAt = Date.now() + Number(await text('#expires-in')) * 1000;
    await waitUntil(() => Date.now() >= expiresAt + 1_000, 'the access token to expire');
    await page.goto(`${appOrigin}/billing`);
    assert.equal(await text('#refreshed'), 'yes', await text('body'));
    assert.equal(await text('#api-status'), '200', await text('body'));
    assert.ok(Number(await text('#expires-in')) > 0);
  },
  // idpLogout: /logout → the provider's end_session_endpoint (id_token_hint,
  // post_logout_redirect_uri) → back to the app's home page, without a confirmation prompt.
  logoutLanding: (appOrigin) => (u) => u.origin === appOrigin && u.pathname === '/',
});
