// The guide's serverless / server-rendered model: examples/nextjs (Next.js + @auth0/nextjs-auth0 v4,
// written as the SDK's README shows) pointed at the real Portcullis binary, driven in headless
// Chromium. The billing API it calls is examples/apis-express (express-oauth2-jwt-bearer,
// `requiredScopes('read:billing')`).
//
// The app is installed (`npm ci`) and built (`next build`) only when node_modules or .next are
// missing or older than the sources; the time each step takes is printed (stdout).
// Screenshots go to e2e/screenshots/nextjs-*.png: look at them.

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import * as jose from 'jose';
import { ensureBuilt, ensureInstalled, exampleDir, startApi, startProcess } from '../lib/apps.mjs';
import {
  DEMO,
  freePort,
  jwtPayload,
  launchBrowser,
  openPage,
  screenshot as saveScreenshot,
  signIn,
  startPortcullis,
  waitForURL,
} from '../lib/portcullis.mjs';
import { clientCredentials as mintClientCredentials, introspect as introspectAs } from '../lib/tokens.mjs';

const APP_DIR = exampleDir('nextjs');
const BILLING_DIR = exampleDir('apis-express');
const NEXT_ENV = { NEXT_TELEMETRY_DISABLED: '1' };

const CLIENT_ID = 'e2e-nextjs';
const CLIENT_SECRET = 'e2e-nextjs-secret-for-tests-only-000000000';
const M2M_ID = 'e2e-nextjs-m2m';
const M2M_SECRET = 'e2e-nextjs-m2m-secret-for-tests-only-0000000';
const AUDIENCE = 'https://billing.nextjs.e2e';
// Access tokens for the billing API live this long (seconds). nextjs-auth0 refreshes a token only
// once it has expired (its default tokenRefreshBuffer is 0), so the refresh test has to wait for
// the expiry: the lifetime is kept short, and long enough that the first calls are not refreshes.
const TOKEN_LIFETIME = 5;
const AUTH0_SECRET = crypto.randomBytes(32).toString('hex');

let provider;
let app; // `next start`: { origin, output(), stop() }
let billing; // examples/apis-express's billing.mjs: { url (its origin), output(), stop() }
let browser;
let context;
let page;
const problems = []; // 5xx answers and page errors seen in the browser

// ---------------------------------------------------------------------------------------------
// Helpers: read the session, call the app and the API.

/**
 * The nextjs-auth0 v4 session as the app stores it: the `__session` cookie (or its `__session__N`
 * chunks), a JWE dir/A256GCM under HKDF-SHA256(AUTH0_SECRET, "", "JWE CEK"). Read from the
 * browser's cookie jar, so the test can see which tokens the app holds without touching the app.
 */
async function readSession() {
  const cookies = await context.cookies(app.origin);
  const whole = cookies.find((c) => c.name === '__session');
  const chunks = cookies
    .filter((c) => /^__session__\d+$/.test(c.name))
    .sort((a, b) => Number(a.name.slice(11)) - Number(b.name.slice(11)));
  const jwe = whole ? whole.value : chunks.map((c) => c.value).join('');
  if (!jwe) return null;
  const key = new Uint8Array(crypto.hkdfSync('sha256', AUTH0_SECRET, '', 'JWE CEK', 32));
  const { payload } = await jose.jwtDecrypt(jwe, key, { clockTolerance: 15 });
  return payload;
}

/** fetch() from inside the page (same cookies, Set-Cookie applied to the browser). */
function pageFetch(url) {
  return page.evaluate(async (u) => {
    const res = await fetch(u, { cache: 'no-store' });
    const text = await res.text();
    let body = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON
    }
    return { status: res.status, body };
  }, url);
}

const screenshot = (name) => saveScreenshot(page, `nextjs-${name}.png`);

const clientCredentials = (clientId, clientSecret, audience) =>
  mintClientCredentials(provider, { clientId, clientSecret, audience });

const introspect = (token) => introspectAs(provider, token, { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });

function callBilling(token) {
  return fetch(new URL('/api/billing-info', billing.url), {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
}

// ---------------------------------------------------------------------------------------------

describe('nextjs-auth0 v4 (examples/nextjs) against Portcullis', () => {
  before(async () => {
    const appPort = await freePort();
    const appOrigin = `http://localhost:${appPort}`;

    // What a developer registers in the Auth0 dashboard for this app, as the SDK's README says:
    // a Regular Web Application with {APP_BASE_URL}/auth/callback and {APP_BASE_URL} as the
    // logout URL; the billing API; and an M2M app for the negative API tests.
    provider = await startPortcullis({
      tenant: `
[[applications]]
client_id = "${CLIENT_ID}"
name = "Next.js example"
app_type = "regular_web"
callbacks = ["${appOrigin}/auth/callback"]
allowed_logout_urls = ["${appOrigin}"]
client_secret = "${CLIENT_SECRET}"

[[applications]]
client_id = "${M2M_ID}"
name = "Next.js example tests (M2M)"
app_type = "non_interactive"
client_secret = "${M2M_SECRET}"

[[apis]]
identifier = "${AUDIENCE}"
name = "Billing API (Next.js example)"
token_lifetime = ${TOKEN_LIFETIME}
scopes = [
  { value = "read:billing", description = "Read invoices" },
  { value = "read:plans", description = "Read plans" },
]

[[client_grants]]
client_id = "${M2M_ID}"
audience = "${AUDIENCE}"
scopes = ["read:plans"]
`,
    });

    const installedApp = ensureInstalled(APP_DIR, { env: NEXT_ENV });
    const installedBilling = ensureInstalled(BILLING_DIR);
    const built = ensureBuilt(APP_DIR, {
      output: '.next/BUILD_ID',
      sources: ['app', 'components', 'lib', 'proxy.ts', 'package-lock.json', 'tsconfig.json', 'node_modules/.package-lock.json'],
      command: [process.execPath, 'node_modules/next/dist/bin/next', 'build'],
      env: NEXT_ENV,
    });
    console.log(
      `npm ci (nextjs): ${installedApp === null ? 'up to date' : `${installedApp} ms`}; ` +
        `npm ci (apis-express): ${installedBilling === null ? 'up to date' : `${installedBilling} ms`}; ` +
        `next build: ${built === null ? 'up to date' : `${built} ms`}`,
    );

    billing = await startApi('billing.mjs', { ISSUER_BASE_URL: provider.origin, AUDIENCE });

    const startedAt = Date.now();
    app = await startProcess('next start', ['node_modules/next/dist/bin/next', 'start', '-p', String(appPort)], {
      cwd: APP_DIR,
      // The .env of examples/nextjs/README.md, with this run's ports.
      env: {
        ...NEXT_ENV,
        AUTH0_DOMAIN: provider.origin, // http://localhost:PORT, never 127.0.0.1
        AUTH0_CLIENT_ID: CLIENT_ID,
        AUTH0_CLIENT_SECRET: CLIENT_SECRET,
        AUTH0_SECRET,
        APP_BASE_URL: appOrigin,
        AUTH0_AUDIENCE: AUDIENCE,
        BILLING_API_URL: billing.url,
      },
      readyUrl: `${appOrigin}/`,
    });
    app.origin = appOrigin;
    console.log(`next start ready in ${Date.now() - startedAt} ms`);

    browser = await launchBrowser();
    ({ context, page } = await openPage(browser));
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('response', (r) => {
      if (r.status() >= 500) problems.push(`${r.status()}: ${r.url()}`);
    });
  });

  after(async () => {
    await browser?.close();
    await app?.stop();
    await billing?.stop();
    await provider?.stop();
    if (problems.length) console.error(`problems seen in the browser:\n${problems.join('\n')}`);
    if (process.env.PORTCULLIS_E2E_LOG) console.error(`next start:\n${app?.output()}\nbilling API:\n${billing?.output()}`);
  });

  let sub;
  let signedIn = false;
  // Everything after the first test needs its signed-in session: without it they would only
  // time out one after the other, so they are skipped (the suite fails on the first test anyway).
  const needsSession = (t) => {
    if (!signedIn) t.skip('the sign-in test failed');
    return !signedIn;
  };

  test('signs in through the hosted page; the home page shows the user with useUser()', async () => {
    await page.goto(`${app.origin}/`);
    await page.locator('#signed-out').waitFor();
    await page.getByRole('link', { name: 'Log in', exact: true }).click();

    // /auth/login redirected to the provider's /authorize, which shows the hosted sign-in form.
    await page.waitForURL((u) => u.origin === provider.origin && u.pathname === '/u/login');
    await page.locator('form[action="/u/login"]').waitFor();
    await screenshot('sign-in');
    await signIn(page, DEMO.user.email, DEMO.user.password);

    // Back through /auth/callback to the home page, where useUser() fetched /auth/profile.
    await waitForURL(page, `${app.origin}/`, "the app's home page", { timeout: 10_000 });
    await assert.doesNotReject(page.locator('#user-name').getByText(DEMO.user.name).waitFor());
    assert.equal(await page.locator('#user-email').textContent(), DEMO.user.email);

    const profile = await pageFetch('/auth/profile');
    assert.equal(profile.status, 200);
    assert.equal(profile.body.email, DEMO.user.email);
    assert.equal(profile.body.name, DEMO.user.name);
    sub = profile.body.sub;
    assert.ok(sub);

    // The session is the SDK's encrypted cookie, and holds what the provider issued.
    const cookie = (await context.cookies(app.origin)).find((c) => c.name.startsWith('__session'));
    assert.ok(cookie, 'the __session cookie is set');
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Lax');
    const session = await readSession();
    assert.equal(session.user.sub, sub);
    assert.ok(session.tokenSet.refreshToken, 'offline_access gave a refresh token');
    assert.ok(session.tokenSet.idToken);
    assert.ok(session.internal.sid, 'the ID token carried a sid');
    const at = jwtPayload(session.tokenSet.accessToken);
    assert.equal(at.iss, provider.issuer);
    assert.equal(at.aud === AUDIENCE || (Array.isArray(at.aud) && at.aud.includes(AUDIENCE)), true, JSON.stringify(at.aud));
    assert.ok(at.scope.split(' ').includes('read:billing'), at.scope);

    // The home page's billing card called the API route (and through it the billing API).
    await page.locator('#billing-result[data-status]').waitFor();
    assert.equal(await page.locator('#billing-result').getAttribute('data-status'), '200');
    await screenshot('home-signed-in');
    signedIn = true;
  });

  test('/account is rendered on the server from the session (getSession())', async (t) => {
    if (needsSession(t)) return;
    // The HTML itself, not a client-side render, carries the user.
    const res = await context.request.get(`${app.origin}/account`, { maxRedirects: 0 });
    assert.equal(res.status(), 200);
    const html = await res.text();
    assert.match(html, /id="account-email"[^>]*>demo@example\.com</);
    assert.ok(html.includes(sub));

    await page.goto(`${app.origin}/account`);
    assert.equal(await page.locator('#account-name').textContent(), DEMO.user.name);
    assert.match(await page.locator('#account-scope').textContent(), /read:billing/);
    await screenshot('account');

    // Without a session the page sends the browser to sign in.
    const anonymous = await fetch(`${app.origin}/account`, { redirect: 'manual' });
    assert.ok([303, 307].includes(anonymous.status), String(anonymous.status));
    assert.match(anonymous.headers.get('location'), /\/auth\/login\?returnTo=(%2F|\/)account/);
  });

  test('the API route calls the billing API with the access token from getAccessToken()', async (t) => {
    if (needsSession(t)) return;
    const res = await pageFetch('/api/billing');
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.customer, sub);
    assert.equal(res.body.invoices.length, 2);

    // Without a session the route has no token to send.
    const anonymous = await fetch(`${app.origin}/api/billing`);
    assert.equal(anonymous.status, 401);
    assert.equal((await anonymous.json()).error, 'missing_session');
  });

  test('the billing API answers 401 without a token or for another audience, 403 without the scope', async (t) => {
    if (needsSession(t)) return;
    // The user's own token (as the app holds it) is accepted.
    const session = await readSession();
    const ok = await callBilling(session.tokenSet.accessToken);
    assert.ok([200, 401].includes(ok.status)); // 401 only if it expired in between
    if (ok.status === 200) assert.equal((await ok.json()).customer, sub);

    const none = await callBilling(null);
    assert.equal(none.status, 401);
    assert.match(none.headers.get('www-authenticate'), /^Bearer realm="api"(,|$)/);
    assert.doesNotMatch(none.headers.get('www-authenticate'), /error=/); // no credentials: no error code (RFC 6750 §3.1)

    // A valid token with read:billing, but for the other billing API (the dev tenant's).
    const otherAudience = await clientCredentials(DEMO.m2m.clientId, DEMO.m2m.clientSecret, DEMO.apis.billing);
    assert.equal(jwtPayload(otherAudience).scope, 'read:billing');
    const wrongAud = await callBilling(otherAudience);
    assert.equal(wrongAud.status, 401);
    assert.match(wrongAud.headers.get('www-authenticate'), /^Bearer realm="api", error="invalid_token", error_description="[^"]*aud/);

    // A token for this API without read:billing.
    const noScope = await clientCredentials(M2M_ID, M2M_SECRET, AUDIENCE);
    assert.equal(jwtPayload(noScope).scope, 'read:plans');
    const forbidden = await callBilling(noScope);
    assert.equal(forbidden.status, 403);
    assert.match(
      forbidden.headers.get('www-authenticate'),
      /^Bearer realm="api", error="insufficient_scope", error_description="[^"]*", scope="read:billing"/,
    );
  });

  test('a reload keeps the user signed in', async (t) => {
    if (needsSession(t)) return;
    await page.goto(`${app.origin}/`);
    await page.locator('#user-name').getByText(DEMO.user.name).waitFor();
    await page.reload();
    await page.locator('#user-name').getByText(DEMO.user.name).waitFor();
    await page.locator('#billing-result[data-status]').waitFor();
    assert.equal(await page.locator('#billing-result').getAttribute('data-status'), '200');
    await screenshot('home-after-reload');
  });

  test('an expired access token is refreshed by getAccessToken() with the refresh token', async (t) => {
    if (needsSession(t)) return;
    // On /account nothing else calls the API route, so only this test's calls refresh.
    await page.goto(`${app.origin}/account`);
    const before = (await readSession()).tokenSet;
    assert.ok(before.refreshToken);

    // Call the API route until the access token in the session has changed: once the token
    // has expired (TOKEN_LIFETIME), getAccessToken() refreshes it and the route saves the new
    // token set in the cookie. Every call in between must still succeed.
    const deadline = Date.now() + (TOKEN_LIFETIME + 20) * 1000;
    let after = before;
    let calls = 0;
    while (after.accessToken === before.accessToken) {
      assert.ok(Date.now() < deadline, `the access token was not refreshed after ${calls} calls`);
      const res = await pageFetch('/api/billing');
      calls++;
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.customer, sub);
      after = (await readSession()).tokenSet;
      if (after.accessToken === before.accessToken) await page.waitForTimeout(250); // poll interval
    }

    const [oldAt, newAt] = [jwtPayload(before.accessToken), jwtPayload(after.accessToken)];
    assert.ok(newAt.iat > oldAt.iat, 'a newer access token');
    assert.equal(newAt.sub, sub);
    assert.deepEqual(newAt.aud, oldAt.aud);
    assert.ok(newAt.scope.split(' ').includes('read:billing'));
    assert.ok(after.expiresAt > before.expiresAt);

    // The refresh_token grant happened at the provider: the refresh token was rotated, the
    // old one is spent, the new one is live.
    assert.notEqual(after.refreshToken, before.refreshToken, 'refresh token rotated');
    assert.equal((await introspect(before.refreshToken)).active, false);
    assert.equal((await introspect(after.refreshToken)).active, true);

    await page.reload();
    assert.notEqual(await page.locator('#account-expires').textContent(), new Date(before.expiresAt * 1000).toISOString());
    await screenshot('account-after-refresh');
  });

  test('logout goes through end_session_endpoint and ends the session at the provider too', async (t) => {
    if (needsSession(t)) return;
    await page.goto(`${app.origin}/`);
    await page.locator('#user-name').getByText(DEMO.user.name).waitFor();
    const session = await readSession();

    const endSession = page.waitForRequest((r) => new URL(r.url()).origin === provider.origin && new URL(r.url()).pathname === '/oidc/logout');
    await page.getByRole('link', { name: 'Log out' }).click();
    const logoutUrl = new URL((await endSession).url());
    assert.equal(logoutUrl.searchParams.get('client_id'), CLIENT_ID);
    assert.equal(logoutUrl.searchParams.get('id_token_hint'), session.tokenSet.idToken);
    assert.equal(logoutUrl.searchParams.get('logout_hint'), session.internal.sid);
    assert.equal(logoutUrl.searchParams.get('post_logout_redirect_uri'), app.origin); // APP_BASE_URL, as registered

    // Back on the app, signed out.
    await page.waitForURL((u) => u.origin === app.origin);
    await page.locator('#signed-out').waitFor();
    assert.equal(await readSession(), null);
    assert.equal((await pageFetch('/auth/profile')).status, 401);
    await screenshot('signed-out');

    // The SDK revoked the refresh token before leaving.
    assert.equal((await introspect(session.tokenSet.refreshToken)).active, false);

    // Signing in again shows the hosted sign-in form: no session left at the provider.
    await page.getByRole('link', { name: 'Log in', exact: true }).click();
    await page.waitForURL((u) => u.origin === provider.origin && u.pathname === '/u/login');
    await page.locator('form[action="/u/login"] input[name="password"]').waitFor();
    await screenshot('sign-in-after-logout');
  });

  test('no server errors in the browser', () => {
    assert.deepEqual(problems, []);
  });
});
