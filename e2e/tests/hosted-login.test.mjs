// The hosted sign-in page in real headless Chromium: sign-in form, wrong password, success with a
// code on a local callback page, SSO into a second application, logout, error page. Screenshots
// go to e2e/screenshots/ (look at them: the pages are product).

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as oauth from 'oauth4webapi';
import {
  DEMO,
  launchBrowser,
  openPage,
  screenshot as saveScreenshot,
  signIn,
  startCallbackServer,
  startPortcullis,
} from '../lib/portcullis.mjs';

let provider;
let callbacks; // the applications' pages, on a local port registered in the tenant file
let browser;
let page;
const problems = []; // console errors, failed or 4xx/5xx subresource loads on provider pages
const documents = new Set(); // navigations (an error page's own 4xx status is not a problem)

// Two single-page applications on the same local origin: A and B (for SSO).
const apps = {
  a: { clientId: 'e2e-app-a', name: 'Acme Dashboard' },
  b: { clientId: 'e2e-app-b', name: 'Acme Billing' },
};

before(async () => {
  callbacks = await startCallbackServer();
  for (const [key, app] of Object.entries(apps)) {
    app.callback = callbacks.url(`/${key}/callback`);
    app.loggedOut = callbacks.url(`/${key}/logged-out`);
  }
  const tenant = Object.values(apps)
    .map(
      (app) => `
[[applications]]
client_id = "${app.clientId}"
name = "${app.name}"
app_type = "spa"
callbacks = ["${app.callback}"]
allowed_logout_urls = ["${app.loggedOut}"]
web_origins = ["${callbacks.origin}"]
`,
    )
    .join('');
  provider = await startPortcullis({ tenant });
  browser = await launchBrowser();
  ({ page } = await openPage(browser, { timeout: 10_000 }));
  page.on('console', (m) => {
    const from = m.location().url;
    if (m.type() === 'error' && !documents.has(from)) problems.push(`console: ${m.text()} (${m.location().url})`);
  });
  page.on('requestfailed', (r) => problems.push(`failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on('response', (r) => {
    if (r.request().isNavigationRequest()) documents.add(r.url());
    else if (r.status() >= 400) problems.push(`${r.status()}: ${r.url()}`);
  });
});

after(async () => {
  await browser?.close();
  await provider?.stop();
  await callbacks?.close();
});

const screenshot = (name) => saveScreenshot(page, name);

/** An authorization request for `app` with PKCE; returns `{ url, state, codeVerifier }`. */
async function authorizeUrl(app, extra = {}) {
  const codeVerifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const url = new URL('authorize', provider.issuer);
  for (const [k, v] of Object.entries({
    client_id: app.clientId,
    redirect_uri: app.callback,
    response_type: 'code',
    scope: 'openid profile email',
    state,
    nonce: oauth.generateRandomNonce(),
    code_challenge: await oauth.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    ...extra,
  })) url.searchParams.set(k, v);
  return { url: url.href, state, codeVerifier };
}

const isSignInPage = (url) => url.origin === provider.origin && url.pathname === '/u/login';
const startsWith = (prefix) => (url) => url.href.startsWith(prefix);

/**
 * The steps of one browser session depend on each other: after a failed step the dependent ones
 * are skipped instead of each waiting for its own timeout.
 */
let broken = null;
function step(name, fn) {
  test(name, async (t) => {
    if (broken) return t.skip(`an earlier step failed: ${broken}`);
    try {
      await fn(t);
    } catch (e) {
      broken = name;
      throw e;
    }
  });
}

describe('hosted sign-in page in Chromium', () => {
  let first; // app A's authorization request

  step('an authorization request shows the hosted sign-in page', async () => {
    first = await authorizeUrl(apps.a);
    const response = await page.goto(first.url);
    await page.waitForURL(isSignInPage);
    assert.equal(response.status(), 200);
    assert.equal(await page.title(), `Sign in · ${apps.a.name}`);
    await assert.doesNotReject(page.getByRole('heading', { name: 'Welcome' }).waitFor());
    assert.match(await page.locator('.lede').innerText(), new RegExp(`continue to ${apps.a.name}`));
    assert.ok(await page.getByLabel('Email address').isVisible());
    assert.ok(await page.getByLabel('Password').isVisible());
    assert.ok(await page.getByRole('button', { name: 'Continue' }).isVisible());
    // The stylesheet applied: the button is not the browser's default grey.
    const bg = await page.getByRole('button', { name: 'Continue' }).evaluate((b) => getComputedStyle(b).backgroundColor);
    assert.notEqual(bg, 'rgb(239, 239, 239)', `button background ${bg}`);
    await screenshot('sign-in.png');
  });

  step('a wrong password shows an error on the sign-in page', async () => {
    const posted = page.waitForResponse((r) => r.request().method() === 'POST' && isSignInPage(new URL(r.url())));
    await signIn(page, DEMO.user.email, 'not-the-password');
    const response = await posted;
    await page.waitForLoadState();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    const message = (await alert.innerText()).trim();
    await screenshot('sign-in-error.png');
    // The form comes back with a message: not an error page (e.g. a refused CSRF check).
    assert.equal(await page.getByRole('heading').first().innerText(), 'Welcome', `the sign-in page, not "${await page.title()}": ${message}`);
    assert.ok(response.status() === 200 || response.status() === 400 || response.status() === 401, `status ${response.status()}: ${message}`);
    assert.ok(message.length > 0, 'the error message is not empty');
    assert.doesNotMatch(message, /user.*(not|does not) exist|unknown user/i, 'no account enumeration');
    assert.equal(await page.getByLabel('Email address').inputValue(), DEMO.user.email, 'email kept');
    assert.equal(await page.getByLabel('Password').inputValue(), '', 'password not echoed');
  });

  step('the right password lands on the callback with a code that can be redeemed', async () => {
    const landed = callbacks.nextRequest('/a/callback');
    await signIn(page, DEMO.user.email, DEMO.user.password);
    await page.waitForURL(startsWith(apps.a.callback));
    const url = new URL(page.url());
    assert.equal(url.origin + url.pathname, apps.a.callback);
    assert.equal(url.searchParams.get('state'), first.state);
    assert.equal(url.searchParams.get('iss'), provider.issuer);
    assert.ok(url.searchParams.get('code'));
    assert.equal((await landed).searchParams.get('code'), url.searchParams.get('code'), 'the callback server saw it');
    await page.locator('#callback').waitFor();

    // The code is real: redeem it as the SPA would (public client, PKCE).
    const as = await oauth.processDiscoveryResponse(
      new URL(provider.issuer),
      await oauth.discoveryRequest(new URL(provider.issuer), { [oauth.allowInsecureRequests]: true }),
    );
    const client = { client_id: apps.a.clientId };
    const params = oauth.validateAuthResponse(as, client, url, first.state);
    const tokens = await oauth.processAuthorizationCodeResponse(
      as, client,
      await oauth.authorizationCodeGrantRequest(
        as, client, oauth.None(), params, apps.a.callback, first.codeVerifier,
        { [oauth.allowInsecureRequests]: true },
      ),
      { expectedNonce: new URL(first.url).searchParams.get('nonce') },
    );
    assert.equal(oauth.getValidatedIdTokenClaims(tokens).email, DEMO.user.email);
  });

  step('a second application signs in without a prompt (SSO)', async () => {
    const second = await authorizeUrl(apps.b);
    const visited = [];
    const onNav = (frame) => frame === page.mainFrame() && visited.push(frame.url());
    page.on('framenavigated', onNav);
    await page.goto(second.url);
    await page.waitForURL(startsWith(apps.b.callback));
    page.off('framenavigated', onNav);
    const url = new URL(page.url());
    assert.ok(url.searchParams.get('code'), `a code, got ${url}`);
    assert.equal(url.searchParams.get('state'), second.state);
    assert.ok(!visited.some((u) => isSignInPage(new URL(u))), `no sign-in page on the way: ${visited.join(' → ')}`);
  });

  step('logout asks for confirmation without an id_token_hint, then the sign-in form is shown again', async () => {
    const logout = new URL('oidc/logout', provider.issuer);
    logout.searchParams.set('client_id', apps.a.clientId);
    logout.searchParams.set('post_logout_redirect_uri', apps.a.loggedOut);
    logout.searchParams.set('state', 'after-logout');
    await page.goto(logout.href);
    await page.getByRole('heading', { name: 'Sign out?' }).waitFor();
    assert.match(await page.locator('main').innerText(), new RegExp(apps.a.name));
    await screenshot('logout-confirm.png');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(startsWith(apps.a.loggedOut));
    assert.equal(new URL(page.url()).searchParams.get('state'), 'after-logout');

    const again = await authorizeUrl(apps.b);
    await page.goto(again.url);
    await page.waitForURL(isSignInPage);
    await page.getByRole('button', { name: 'Continue' }).waitFor();
  });

  step('signing out with no parameters shows the signed-out page', async () => {
    // Sign in again, then end the session from the provider's own logout URL (Auth0's /v2/logout).
    const { url } = await authorizeUrl(apps.a);
    await page.goto(url);
    await signIn(page, DEMO.user.email, DEMO.user.password);
    await page.waitForURL(startsWith(apps.a.callback));
    await page.goto(new URL('v2/logout', provider.issuer).href);
    await page.getByRole('heading', { name: 'You are signed out' }).waitFor();
    await screenshot('signed-out.png');
    const silent = await authorizeUrl(apps.a, { prompt: 'none' });
    await page.goto(silent.url);
    await page.waitForURL(startsWith(apps.a.callback));
    assert.equal(new URL(page.url()).searchParams.get('error'), 'login_required');
  });

  test('an unknown client gets a readable error page, not a redirect', async () => {
    const { url } = await authorizeUrl({ clientId: 'no-such-app', callback: callbacks.url('/a/callback') });
    const called = () => callbacks.requests.filter((u) => u.pathname === '/a/callback').length;
    const before = called();
    const response = await page.goto(url);
    assert.equal(response.status(), 400);
    assert.equal(new URL(page.url()).origin, provider.origin, 'stayed on the provider');
    await page.getByRole('heading').first().waitFor();
    const text = await page.locator('main').innerText();
    assert.match(text, /application|client/i, `the page says what is wrong: ${text}`);
    assert.equal(called(), before, 'the callback was never called');
    await screenshot('error-page.png');
  });

  test('no console errors or failed subresources on the provider pages', () => {
    assert.deepEqual(problems, []);
  });
});
