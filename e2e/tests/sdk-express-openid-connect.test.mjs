// The custom-server model with express-openid-connect in code flow, in a real browser:
// examples/express-openid-connect (unchanged SDK, configured only with the issuer, client and
// secret) against the portcullis binary, calling the express-oauth2-jwt-bearer billing API
// (examples/apis-express). Sign-in through the hosted page, profile, API call with the access
// token, 401/403 for a wrong audience and a missing scope, reload, refresh of an expired access
// token, logout at the provider. Screenshots of each final state go to e2e/screenshots/.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ensureInstalled, exampleDir, startApi, startProcess, waitUntil } from '../lib/apps.mjs';
import {
  DEMO,
  freePort,
  jwtPayload,
  launchBrowser,
  openPage,
  screenshot as saveScreenshot,
  signIn,
  startPortcullis,
  waitForURL as waitForPageURL,
} from '../lib/portcullis.mjs';
import { userAccessToken as mintUserAccessToken } from '../lib/tokens.mjs';

const APP_DIR = exampleDir('express-openid-connect');

const CLIENT_ID = 'e2e-express-openid-connect';
const CLIENT_SECRET = 'e2e-express-oidc-secret-0123456789abcdef0123';
// The billing API with a short token lifetime, so that the refresh case does not wait long.
const BILLING_AUDIENCE = 'https://billing.express-openid-connect.e2e.example';
const TOKEN_LIFETIME = 8; // seconds

let provider;
let app; // { origin, child, output(), stop() }
let api; // examples/apis-express's billing API
let browser;
let page;
let userSub; // the signed-in user's id, as the profile page shows it

// ---------------------------------------------------------------- helpers

/**
 * An access token for the same application, minted outside the browser the way the app does it
 * (code flow through the hosted sign-in page, client_secret_post): used to call the API with a
 * token for another audience or without the scope.
 */
const userAccessToken = ({ audience, scope }) =>
  mintUserAccessToken(provider, {
    audience,
    scope,
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    redirectUri: `${app.origin}/callback`,
  });

const screenshot = (name) => saveScreenshot(page, name);
const text = (selector) => page.locator(selector).innerText();

const waitForURL = (url, what) => waitForPageURL(page, url, what);

// ---------------------------------------------------------------- setup

before(async () => {
  ensureInstalled(APP_DIR);
  ensureInstalled(exampleDir('apis-express'));
  const appPort = await freePort();
  const appOrigin = `http://localhost:${appPort}`;

  provider = await startPortcullis({
    tenant: `
[[applications]]
client_id = "${CLIENT_ID}"
name = "Express OpenID Connect app"
app_type = "regular_web"
callbacks = ["${appOrigin}/callback"]
allowed_logout_urls = ["${appOrigin}"] # express-openid-connect returns to BASE_URL as given
client_secret = "${CLIENT_SECRET}"

[[apis]]
identifier = "${BILLING_AUDIENCE}"
name = "Billing API (express-openid-connect e2e)"
token_lifetime = ${TOKEN_LIFETIME}
scopes = [{ value = "read:billing", description = "Read billing information" }]
`,
  });

  api = await startApi('billing.mjs', { ISSUER_BASE_URL: provider.origin, AUDIENCE: BILLING_AUDIENCE });
  api.url = `${api.url}/api/billing-info`; // the endpoint the app and the tests call

  app = await startProcess('server.js', ['server.js'], {
    cwd: APP_DIR,
    env: {
      NODE_ENV: 'development',
      PORT: String(appPort),
      // express-openid-connect's own variables: what changes between two Auth0 tenants. An
      // http:// issuer needs no switch (the SDK allows insecure requests for it by itself).
      ISSUER_BASE_URL: provider.origin,
      BASE_URL: appOrigin,
      CLIENT_ID: CLIENT_ID,
      CLIENT_SECRET: CLIENT_SECRET,
      SECRET: 'e2e-express-openid-connect-cookie-secret-0123456789',
      BILLING_API_AUDIENCE: BILLING_AUDIENCE,
      BILLING_API_URL: api.url,
    },
    readyUrl: `${appOrigin}/`,
  });
  app.origin = appOrigin;

  browser = await launchBrowser();
  ({ page } = await openPage(browser, { timeout: 15_000 }));
});

after(async () => {
  await browser?.close();
  await app?.stop();
  await api?.stop();
  await provider?.stop();
  if (process.env.PORTCULLIS_E2E_LOG) console.error(app?.output(), api?.output());
});

// ---------------------------------------------------------------- the user's journey (in order)

test('signs in through the hosted sign-in page and shows the profile', async () => {
  await page.goto(`${app.origin}/profile`);
  // requiresAuth-style redirect: /profile → /login → the provider's hosted page.
  await waitForURL((u) => u.origin === provider.origin && u.pathname === '/u/login', "the provider's sign-in page");
  await screenshot('sdk-express-openid-connect-1-hosted-sign-in.png');
  await signIn(page, DEMO.user.email, DEMO.user.password);
  await waitForURL(`${app.origin}/profile`, "the app's profile page");
  assert.equal(await text('#name'), DEMO.user.name);
  assert.equal(await text('#email'), DEMO.user.email);
  userSub = await text('#user-id');
  assert.match(userSub, /\S/);
  await screenshot('sdk-express-openid-connect-2-profile.png');
});

test('calls the billing API with req.oidc.accessToken', async () => {
  await page.goto(`${app.origin}/billing`);
  assert.equal(await text('#api-status'), '200', await text('body'));
  const body = JSON.parse(await text('#api-body'));
  assert.equal(body.customer, userSub);
  assert.ok(Array.isArray(body.invoices));
  await screenshot('sdk-express-openid-connect-3-billing.png');
});

test('the API answers 401 for a token for another audience and 403 without the scope', async () => {
  // No token at all.
  let res = await fetch(api.url);
  assert.equal(res.status, 401);
  assert.match(res.headers.get('www-authenticate'), /^Bearer realm="api"/);
  assert.doesNotMatch(res.headers.get('www-authenticate'), /error=/);

  // A token of the same user and application, but for the TV-shows API.
  const otherAudience = await userAccessToken({ audience: DEMO.apis.tvShows, scope: 'openid read:shows' });
  assert.ok([jwtPayload(otherAudience).aud].flat().includes(DEMO.apis.tvShows));
  assert.ok(![jwtPayload(otherAudience).aud].flat().includes(BILLING_AUDIENCE));
  res = await fetch(api.url, { headers: { authorization: `Bearer ${otherAudience}` } });
  assert.equal(res.status, 401);
  assert.match(res.headers.get('www-authenticate'), /error="invalid_token"/);
  assert.match(res.headers.get('www-authenticate'), /aud/);

  // A token for the billing API without read:billing.
  const noScope = await userAccessToken({ audience: BILLING_AUDIENCE, scope: 'openid profile' });
  assert.ok([jwtPayload(noScope).aud].flat().includes(BILLING_AUDIENCE));
  assert.ok(!String(jwtPayload(noScope).scope ?? '').split(' ').includes('read:billing'));
  res = await fetch(api.url, { headers: { authorization: `Bearer ${noScope}` } });
  assert.equal(res.status, 403);
  assert.match(res.headers.get('www-authenticate'), /error="insufficient_scope"/);
  assert.match(res.headers.get('www-authenticate'), /scope="read:billing"/);
});

test('a reload keeps the user signed in (appSession cookie)', async () => {
  await page.goto(`${app.origin}/profile`);
  await page.reload();
  assert.equal(new URL(page.url()).origin, app.origin);
  assert.equal(await text('#name'), DEMO.user.name);
  await screenshot('sdk-express-openid-connect-4-after-reload.png');
});

test('an expired access token is refreshed with req.oidc.accessToken.refresh() (offline_access)', async () => {
  await page.goto(`${app.origin}/billing`);
  assert.equal(await text('#api-status'), '200', await text('body'));
  // expires_in counts whole seconds; isExpired() is true once expires_at <= now.
  const expiresAt = Date.now() + Number(await text('#expires-in')) * 1000;
  await waitUntil(() => Date.now() >= expiresAt + 1_000, 'the access token to expire');
  await page.goto(`${app.origin}/billing`);
  assert.equal(await text('#refreshed'), 'yes', await text('body'));
  assert.equal(await text('#api-status'), '200', await text('body'));
  assert.ok(Number(await text('#expires-in')) > 0);
  await screenshot('sdk-express-openid-connect-5-refreshed.png');
});

test('logout ends the session at the provider too: the next login shows the sign-in form', async () => {
  await page.goto(`${app.origin}/profile`);
  await page.click('#logout');
  // idpLogout: /logout → the provider's end_session_endpoint (id_token_hint, post_logout_redirect_uri)
  // → back to the app's home page, without a confirmation prompt.
  await waitForURL((u) => u.origin === app.origin && u.pathname === '/', "the app's home page after logout");
  assert.match(await text('#status'), /signed out/);
  await screenshot('sdk-express-openid-connect-6-signed-out.png');

  await page.goto(`${app.origin}/profile`);
  await waitForURL((u) => u.origin === provider.origin && u.pathname === '/u/login', "the provider's sign-in page");
  await page.locator('form[action="/u/login"] input[name="password"]').waitFor();
  await screenshot('sdk-express-openid-connect-7-sign-in-again.png');
});
