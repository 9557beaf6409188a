// The guide's custom-server journey, shared by the Express apps (passport-auth0,
// express-openid-connect): each suite gives its app's specifics, this module runs the same user
// journey against it in a real browser. Sign-in through the hosted page, profile, API call with
// the access token, 401/403 for a wrong audience and a missing scope, reload, refresh of an
// expired access token, logout at the provider. Screenshots go to e2e/screenshots/sdk-NAME-*.png.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ensureInstalled, exampleDir, startApi, startProcess } from './apps.mjs';
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
} from './portcullis.mjs';
import { userAccessToken as mintUserAccessToken } from './tokens.mjs';

/** The billing API's token lifetime, short so that the refresh case does not wait long. */
const TOKEN_LIFETIME = 8; // seconds

/**
 * Defines the journey's hooks and tests for one app.
 *
 * - `name`: the example's directory under examples/ (and the screenshots' prefix);
 * - `appName`, `clientId`, `clientSecret`: its registration;
 * - `logoutUrl(appOrigin)`: the allowed logout URL, as the SDK sends it;
 * - `env({ provider, appOrigin, audience, apiUrl })`: the app's environment beyond PORT;
 * - `titles.billing`, `titles.reload`, `titles.refresh`: the SDK-specific test names;
 * - `refresh(ctx)`: waits for the access token to expire, reloads the billing page and asserts the
 *   SDK refreshed it (ctx: `{ page, text, appOrigin }`);
 * - `logoutLanding(appOrigin)`: the URL (or predicate) the browser lands on after logout.
 */
export function customServerJourney(spec) {
  const appDir = exampleDir(spec.name);
  const audience = `https://billing.${spec.name}.e2e.example`;
  let provider;
  let app; // { origin, child, output(), stop() }
  let api; // examples/apis-express's billing API
  let browser;
  let page;
  let userSub; // the signed-in user's id, as the profile page shows it

  const shot = (n, what) => saveScreenshot(page, `sdk-${spec.name}-${n}-${what}.png`);
  const text = (selector) => page.locator(selector).innerText();
  const waitForURL = (url, what) => waitForPageURL(page, url, what);
  /**
   * An access token for the same application, minted outside the browser the way the app does
   * it (code flow through the hosted sign-in page): used to call the API with a token for another
   * audience or without the scope.
   */
  const userAccessToken = ({ audience: aud, scope }) =>
    mintUserAccessToken(provider, {
      audience: aud,
      scope,
      clientId: spec.clientId,
      clientSecret: spec.clientSecret,
      redirectUri: `${app.origin}/callback`,
    });

  before(async () => {
    ensureInstalled(appDir);
    ensureInstalled(exampleDir('apis-express'));
    const appPort = await freePort();
    const appOrigin = `http://localhost:${appPort}`;

    provider = await startPortcullis({
      tenant: `
[[applications]]
client_id = "${spec.clientId}"
name = "${spec.appName}"
app_type = "regular_web"
callbacks = ["${appOrigin}/callback"]
allowed_logout_urls = ["${spec.logoutUrl(appOrigin)}"]
client_secret = "${spec.clientSecret}"

[[apis]]
identifier = "${audience}"
name = "Billing API (${spec.name} e2e)"
token_lifetime = ${TOKEN_LIFETIME}
scopes = [{ value = "read:billing", description = "Read billing information" }]
`,
    });

    api = await startApi('billing.mjs', { ISSUER_BASE_URL: provider.origin, AUDIENCE: audience });
    api.url = `${api.url}/api/billing-info`; // the endpoint the app and the tests call

    app = await startProcess('server.js', ['server.js'], {
      cwd: appDir,
      env: {
        NODE_ENV: 'development',
        PORT: String(appPort),
        ...spec.env({ provider, appOrigin, audience, apiUrl: api.url }),
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

  // The user's journey, in order.

  test('signs in through the hosted sign-in page and shows the profile', async () => {
    await page.goto(`${app.origin}/profile`);
    // requiresAuth-style redirect: /profile → /login → the provider's hosted page.
    await waitForURL((u) => u.origin === provider.origin && u.pathname === '/u/login', "the provider's sign-in page");
    await shot(1, 'hosted-sign-in');
    await signIn(page, DEMO.user.email, DEMO.user.password);
    await waitForURL(`${app.origin}/profile`, "the app's profile page");
    assert.equal(await text('#name'), DEMO.user.name);
    assert.equal(await text('#email'), DEMO.user.email);
    userSub = await text('#user-id');
    assert.match(userSub, /\S/);
    await shot(2, 'profile');
  });

  test(spec.titles.billing, async () => {
    await page.goto(`${app.origin}/billing`);
    assert.equal(await text('#api-status'), '200', await text('body'));
    const body = JSON.parse(await text('#api-body'));
    assert.equal(body.customer, userSub);
    assert.ok(Array.isArray(body.invoices));
    await shot(3, 'billing');
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
    assert.ok(![jwtPayload(otherAudience).aud].flat().includes(audience));
    res = await fetch(api.url, { headers: { authorization: `Bearer ${otherAudience}` } });
    assert.equal(res.status, 401);
    assert.match(res.headers.get('www-authenticate'), /error="invalid_token"/);
    assert.match(res.headers.get('www-authenticate'), /aud/);

    // A token for the billing API without read:billing.
    const noScope = await userAccessToken({ audience, scope: 'openid profile' });
    assert.ok([jwtPayload(noScope).aud].flat().includes(audience));
    assert.ok(!String(jwtPayload(noScope).scope ?? '').split(' ').includes('read:billing'));
    res = await fetch(api.url, { headers: { authorization: `Bearer ${noScope}` } });
    assert.equal(res.status, 403);
    assert.match(res.headers.get('www-authenticate'), /error="insufficient_scope"/);
    assert.match(res.headers.get('www-authenticate'), /scope="read:billing"/);
  });

  test(spec.titles.reload, async () => {
    await page.goto(`${app.origin}/profile`);
    await page.reload();
    assert.equal(new URL(page.url()).origin, app.origin);
    assert.equal(await text('#name'), DEMO.user.name);
    await shot(4, 'after-reload');
  });

  test(spec.titles.refresh, async () => {
    await spec.refresh({ page, text, appOrigin: app.origin });
    await shot(5, 'refreshed');
  });

  test('logout ends the session at the provider too: the next login shows the sign-in form', async () => {
    await page.goto(`${app.origin}/profile`);
    await page.click('#logout');
    await waitForURL(spec.logoutLanding(app.origin), "the app's home page after logout");
    assert.match(await text('#status'), /signed out/);
    await shot(6, 'signed-out');

    await page.goto(`${app.origin}/profile`);
    await waitForURL((u) => u.origin === provider.origin && u.pathname === '/u/login', "the provider's sign-in page");
    await page.locator('form[action="/u/login"] input[name="password"]').waitFor();
    await shot(7, 'sign-in-again');
  });
}
