// The guide's static-site model in real Chromium: examples/spa-react (Vite + React +
// @auth0/auth0-react, unchanged but for domain/clientId/audience) against the portcullis binary,
// calling a TV-shows API. Both session modes of auth0-spa-js: silent authentication in a hidden
// iframe (web_message + prompt=none, tokens in memory) against examples/apis-express
// (express-oauth2-jwt-bearer), and refresh-token rotation (useRefreshTokens) against the Rust
// tv-shows-api example (portcullis-bearer). Screenshots go to e2e/screenshots/spa-react-*.png.
//
// The app is installed (npm ci) and built (vite build) only when node_modules or dist are missing
// or older than its sources; it is served from dist by a tiny static server below, which also
// answers /config.js (the app's runtime configuration) with this run's ports.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ensureBuilt, ensureInstalled, exampleDir, startApi, startRustExample, waitUntil } from '../lib/apps.mjs';
import { DEMO, jwtPayload, launchBrowser, openPage, screenshot, signIn, startPortcullis } from '../lib/portcullis.mjs';
import { callApi as fetchApi, clientCredentials } from '../lib/tokens.mjs';

const SPA_DIR = exampleDir('spa-react');

const CLIENT_ID = 'e2e-spa-react';
// The guide's audience. Access tokens for it live 5 s, so (a) auth0-spa-js, which never serves a
// token within 60 s of its expiry from its cache, renews it on every getAccessTokenSilently(), and
// (b) a token really expires during the test, and the API refuses it.
const SHOWS_AUDIENCE = 'https://api/tv-shows';
const BILLING_AUDIENCE = 'https://api/billing';
const SHOWS_TOKEN_LIFETIME = 5;

// ---------------------------------------------------------------------------------------------
// Helpers of this suite.

const MIME = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon' };

/** Serves `dist` (SPA fallback to index.html); `/config.js` is `configJs()`. */
async function startStaticServer(dist, configJs) {
  const server = http.createServer((req, res) => {
    const { pathname } = new URL(req.url, 'http://localhost');
    if (pathname === '/config.js') {
      res.writeHead(200, { 'content-type': 'text/javascript', 'cache-control': 'no-store' });
      return res.end(configJs());
    }
    let file = path.join(dist, path.normalize(pathname));
    if (!file.startsWith(dist) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) {
      file = path.join(dist, 'index.html');
    }
    res.writeHead(200, { 'content-type': `${MIME[path.extname(file)] ?? 'application/octet-stream'}; charset=utf-8` });
    fs.createReadStream(file).pipe(res);
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address();
  return {
    origin: `http://localhost:${port}`,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A client_credentials token for `audience` (the development tenant's M2M app). */
const m2mToken = (audience) => clientCredentials(provider, { audience });

/** Calls an API with `token`; returns `{ status, challenge, body }` (the body as text). */
async function callApi(url, token) {
  const { status, challenge, text } = await fetchApi(url, { token });
  return { status, challenge, body: text };
}

// ---------------------------------------------------------------------------------------------

let provider;
let app; // the static server
let expressShowsApi;
let rustShowsApi;
let billingApi;
let browser;
let setShowsApiUrl;

before(async () => {
  ensureInstalled(SPA_DIR);
  ensureBuilt(SPA_DIR, {
    output: 'dist/index.html',
    sources: ['index.html', 'vite.config.js', 'package-lock.json', 'src', 'public'],
    command: [process.execPath, 'node_modules/vite/bin/vite.js', 'build', '--logLevel', 'warn'],
  });
  ensureInstalled(exampleDir('apis-express'));
  let runtimeConfig = {};
  app = await startStaticServer(path.join(SPA_DIR, 'dist'), () => `window.APP_CONFIG = ${JSON.stringify(runtimeConfig)};\n`);

  // The SPA as a developer registers it in Auth0: callback, logout URL and web origin = its origin.
  const tenant = `
[[applications]]
client_id = "${CLIENT_ID}"
name = "TV Shows (React SPA)"
app_type = "spa"
callbacks = ["${app.origin}", "${app.origin}/"]
allowed_logout_urls = ["${app.origin}", "${app.origin}/"]
web_origins = ["${app.origin}"]
grant_types = ["authorization_code", "refresh_token"]
token_endpoint_auth_method = "none"

[[apis]]
identifier = "${SHOWS_AUDIENCE}"
name = "TV shows API"
token_lifetime = ${SHOWS_TOKEN_LIFETIME}
scopes = [{ value = "read:shows", description = "Read your TV shows" }]

[[apis]]
identifier = "${BILLING_AUDIENCE}"
name = "Billing API"
scopes = [{ value = "read:billing", description = "Read invoices" }]

# Tokens for the negative cases: one for another audience, one for the right audience without read:shows.
[[client_grants]]
client_id = "${DEMO.m2m.clientId}"
audience = "${BILLING_AUDIENCE}"
scopes = ["read:billing"]

[[client_grants]]
client_id = "${DEMO.m2m.clientId}"
audience = "${SHOWS_AUDIENCE}"
scopes = []
`;
  provider = await startPortcullis({ tenant });
  const apiEnv = { ISSUER_BASE_URL: provider.origin, CORS_ORIGINS: app.origin };
  [expressShowsApi, rustShowsApi, billingApi] = await Promise.all([
    startApi('tv-shows.mjs', { ...apiEnv, AUDIENCE: SHOWS_AUDIENCE }),
    startRustExample('portcullis-bearer', 'tv-shows-api', { ...apiEnv, AUDIENCE: SHOWS_AUDIENCE }),
    startApi('billing.mjs', { ...apiEnv, AUDIENCE: BILLING_AUDIENCE }),
  ]);
  // Only what a user changes between Auth0 tenants: domain (no trailing slash), client id, audience.
  // Each journey below points showsApiUrl at its API.
  runtimeConfig = { domain: provider.origin, clientId: CLIENT_ID, audience: SHOWS_AUDIENCE };
  setShowsApiUrl = (url) => {
    runtimeConfig = { ...runtimeConfig, showsApiUrl: url };
  };
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await expressShowsApi?.stop();
  await rustShowsApi?.stop();
  await billingApi?.stop();
  await app?.close();
  if (process.env.PORTCULLIS_E2E_LOG && provider) process.stderr.write(provider.output());
  await provider?.stop();
});

// The API's words for an expired token (the rest of the RFC 6750 challenges read the same).
const EXPIRED = {
  express: /error="invalid_token", error_description="'exp' claim timestamp check failed"/,
  rust: /error="invalid_token", error_description="token expired"/,
};

for (const [mode, api] of [['iframe', 'express'], ['refresh', 'rust']]) {
  const title = mode === 'iframe' ? 'silent authentication in an iframe' : 'refresh-token rotation';
  describe(`auth0-react SPA, ${title}, ${api === 'rust' ? 'Rust (portcullis-bearer)' : 'Express (express-oauth2-jwt-bearer)'} TV-shows API`, () => {
    let showsApi;
    let context;
    let page;
    const problems = []; // console errors, failed requests, 4xx/5xx in the browser
    const apiCalls = []; // { token, status } of every call to the TV-shows API
    const authorizeRequests = []; // URLs of /authorize requests (top level and iframe)
    const tokenExchanges = []; // { params, status, body } of every POST /oauth/token
    let lastToken; // the access token of the latest successful API call
    const shot = (name) => screenshot(page, `spa-react-${mode}-${name}.png`);

    const showsList = () => page.locator('#my-shows li');
    /** Waits for the next successful TV-shows API call (after `action`), returns its token. */
    async function nextShowsCall(action) {
      const seen = apiCalls.length;
      const response = page.waitForResponse(
        (r) => r.url() === `${showsApi.url}/api/my/shows` && r.request().method() === 'GET',
      );
      await action();
      const res = await response;
      assert.equal(res.status(), 200, `GET /api/my/shows: ${res.status()} ${await res.text()}`);
      await showsList().first().waitFor();
      assert.equal(await showsList().count(), 4);
      assert.ok(apiCalls.length > seen);
      return apiCalls.at(-1).token;
    }

    before(async () => {
      showsApi = api === 'rust' ? rustShowsApi : expressShowsApi;
      setShowsApiUrl(showsApi.url);
      ({ context, page } = await openPage(browser, { timeout: 15_000 }));
      page.on('console', (m) => {
        if (m.type() === 'error') problems.push(`console: ${m.text()} (${m.location().url})`);
      });
      page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
      page.on('requestfailed', (r) => {
        // Navigating away (reload, logout) aborts what was in flight: not a problem.
        if (r.failure()?.errorText !== 'net::ERR_ABORTED') problems.push(`failed: ${r.url()} ${r.failure()?.errorText}`);
      });
      page.on('request', (r) => {
        const url = new URL(r.url());
        if (url.origin === provider.origin && url.pathname === '/authorize') authorizeRequests.push(url);
        if (r.url() === `${showsApi.url}/api/my/shows` && r.method() === 'GET') {
          apiCalls.push({ token: r.headers().authorization?.replace(/^Bearer /, ''), status: null });
        }
      });
      page.on('response', async (r) => {
        const req = r.request();
        if (isTokenResponse(r)) tokenExchanges.push(await exchange(r));
        if (r.status() >= 400) problems.push(`${r.status()}: ${req.method()} ${r.url()}`);
        if (r.url() === `${showsApi.url}/api/my/shows` && req.method() === 'GET') {
          const call = apiCalls.find((c) => c.token === req.headers().authorization?.replace(/^Bearer /, '') && c.status === null);
          if (call) call.status = r.status();
          if (r.status() === 200) lastToken = call?.token;
        }
      });
    });

    after(async () => {
      await context?.close();
    });

    const isTokenResponse = (r, grantType) =>
      r.url() === `${provider.origin}/oauth/token` &&
      r.request().method() === 'POST' &&
      (!grantType || new URLSearchParams(r.request().postData() ?? '').get('grant_type') === grantType);
    const exchange = async (r) => ({ params: new URLSearchParams(r.request().postData()), status: r.status(), body: await r.json() });
    /** The token endpoint's next response to a `grantType` request: `{ params, status, body }`. */
    const nextTokenResponse = (grantType) => page.waitForResponse((r) => isTokenResponse(r, grantType)).then(exchange);
    /** The refresh token the app holds: the latest one the token endpoint issued. */
    const currentRefreshToken = () => tokenExchanges.findLast((e) => e.body.refresh_token)?.body.refresh_token;

    test('signs in through the hosted page and shows the user', async () => {
      await page.goto(`${app.origin}/?mode=${mode}`);
      assert.equal(await page.locator('#mode').innerText(), mode);
      await page.getByText('You must first sign in to access your subscriptions.').waitFor();
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.waitForURL((u) => u.origin === provider.origin && u.pathname === '/u/login');

      const login = authorizeRequests.at(-1);
      assert.equal(login.searchParams.get('client_id'), CLIENT_ID);
      assert.equal(login.searchParams.get('response_type'), 'code');
      assert.equal(login.searchParams.get('response_mode'), 'query');
      assert.equal(login.searchParams.get('code_challenge_method'), 'S256');
      assert.equal(login.searchParams.get('redirect_uri'), app.origin);
      assert.equal(login.searchParams.get('audience'), SHOWS_AUDIENCE);
      const scopes = login.searchParams.get('scope').split(' ');
      for (const s of ['openid', 'profile', 'email', 'read:shows']) assert.ok(scopes.includes(s), `scope ${s}`);
      assert.equal(scopes.includes('offline_access'), mode === 'refresh', 'offline_access only with useRefreshTokens');

      const exchanged = nextTokenResponse('authorization_code');
      await signIn(page, DEMO.user.email, DEMO.user.password);
      await page.waitForURL((u) => u.origin === app.origin);
      const code = await exchanged;
      assert.equal(code.status, 200, JSON.stringify(code.body));
      assert.equal(code.params.get('client_id'), CLIENT_ID);
      assert.ok(code.params.get('code_verifier'));
      assert.equal(Boolean(code.body.refresh_token), mode === 'refresh', 'a refresh token only with offline_access');

      await page.locator('#profile').getByRole('heading', { name: DEMO.user.name }).waitFor();
      assert.equal(await page.locator('#profile-email').innerText(), DEMO.user.email);
      await page.getByRole('button', { name: 'Log out' }).waitFor();
      assert.ok(!new URL(page.url()).searchParams.has('code'), 'auth0-react removed code and state from the URL');
    });

    test('MyShows calls the TV-shows API with an access token for it and renders the shows', async () => {
      await page.getByText('You have subscribed to a total of 4 shows...').waitFor();
      await page.getByText(`Subscriptions for ${DEMO.user.email}`).waitFor();
      assert.deepEqual(await showsList().allInnerTexts(), ['The Expanse', 'Severance', 'Halt and Catch Fire', 'Mr. Robot']);
      const ok = apiCalls.find((c) => c.status === 200);
      assert.ok(ok, `a successful call: ${JSON.stringify(apiCalls.map((c) => c.status))}`);
      const claims = jwtPayload(ok.token);
      assert.equal(claims.iss, provider.issuer);
      assert.equal(claims.aud === SHOWS_AUDIENCE || claims.aud.includes(SHOWS_AUDIENCE), true, `aud ${claims.aud}`);
      assert.ok(claims.scope.split(' ').includes('read:shows'), `scope ${claims.scope}`);
      assert.ok(claims.exp - claims.iat <= SHOWS_TOKEN_LIFETIME, 'the API token_lifetime applies');
      await shot('signed-in');
    });

    test('the API answers 401/403 with a WWW-Authenticate error for a wrong audience or a missing scope', async () => {
      // The SPA's own access token (audience TV shows) sent to the billing API: wrong audience.
      const spaToken = await nextShowsCall(() => page.getByRole('button', { name: 'Refresh subscriptions' }).click());
      const wrongAudience = await callApi(`${billingApi.url}/api/billing-info`, spaToken);
      assert.equal(wrongAudience.status, 401, wrongAudience.body);
      assert.match(wrongAudience.challenge, /^Bearer realm="api", error="invalid_token", error_description="Unexpected 'aud' value"/);

      // A token for the billing API sent to the TV-shows API: wrong audience too.
      const billing = await callApi(`${showsApi.url}/api/my/shows`, await m2mToken(BILLING_AUDIENCE));
      assert.equal(billing.status, 401, billing.body);
      assert.match(billing.challenge, /error="invalid_token", error_description="unexpected 'aud' value"/i);

      // The right audience without read:shows: 403 insufficient_scope.
      const noScopeToken = await m2mToken(SHOWS_AUDIENCE);
      assert.ok(!(jwtPayload(noScopeToken).scope ?? '').split(' ').includes('read:shows'));
      const noScope = await callApi(`${showsApi.url}/api/my/shows`, noScopeToken);
      assert.equal(noScope.status, 403, noScope.body);
      assert.match(noScope.challenge, /error="insufficient_scope", error_description="[^"]+", scope="read:shows"/);

      // And no token at all: 401 without an error code (RFC 6750 §3.1).
      const none = await callApi(`${showsApi.url}/api/my/shows`);
      assert.equal(none.status, 401);
      assert.match(none.challenge, /^Bearer\b/);
      assert.doesNotMatch(none.challenge, /error=/);
    });

    test('a reload keeps the user signed in', async () => {
      const authorizeBefore = authorizeRequests.length;
      let renewal;
      if (mode === 'iframe') {
        // No refresh token and nothing kept in memory: a hidden iframe loads /authorize with
        // prompt=none and response_mode=web_message; the provider posts the code back.
        renewal = page.waitForResponse((r) => {
          const u = new URL(r.url());
          return (
            u.origin === provider.origin &&
            u.pathname === '/authorize' &&
            u.searchParams.get('response_mode') === 'web_message' &&
            u.searchParams.get('prompt') === 'none'
          );
        });
      } else {
        renewal = nextTokenResponse('refresh_token');
      }
      const refreshTokenBefore = currentRefreshToken();
      const token = await nextShowsCall(() => page.reload());
      await page.locator('#profile').getByRole('heading', { name: DEMO.user.name }).waitFor();

      if (mode === 'iframe') {
        const res = await renewal;
        assert.equal(res.status(), 200, 'the web_message page');
        assert.equal(res.frame().parentFrame(), page.mainFrame(), 'loaded in an iframe of the app');
        const u = new URL(res.url());
        assert.equal(u.searchParams.get('client_id'), CLIENT_ID);
        assert.equal(u.searchParams.get('redirect_uri'), app.origin);
      } else {
        const refresh = await renewal;
        assert.equal(refresh.status, 200, JSON.stringify(refresh.body));
        assert.equal(refresh.params.get('refresh_token'), refreshTokenBefore, 'the stored refresh token was used');
        assert.ok(refresh.body.refresh_token, 'a new refresh token');
        assert.notEqual(refresh.body.refresh_token, refreshTokenBefore, 'the refresh token rotated');
        assert.ok(refresh.body.id_token, 'an ID token on refresh (auth0-spa-js requires it)');
        const web = authorizeRequests.slice(authorizeBefore).filter((u) => u.searchParams.get('response_mode') === 'web_message');
        assert.deepEqual(web.map(String), [], 'no iframe with refresh tokens');
      }
      assert.ok(token, 'the API was called with a token obtained after the reload');
      assert.equal(await page.locator('#profile-email').innerText(), DEMO.user.email);
      await shot('after-reload');
    });

    test('an expired access token is replaced by a new one', async () => {
      const expired = lastToken;
      assert.ok(expired);
      // Wait until the API itself refuses the token as expired (exp + its 5 s clock tolerance).
      let refused;
      await waitUntil(
        async () => (refused = await callApi(`${showsApi.url}/api/my/shows`, expired)).status !== 200,
        'the API to refuse the expired token',
        { interval: 250 },
      );
      assert.equal(refused.status, 401, refused.body);
      assert.match(refused.challenge, EXPIRED[api]);

      const renewal =
        mode === 'iframe'
          ? page.waitForRequest((r) => {
              const u = new URL(r.url());
              return u.pathname === '/authorize' && u.searchParams.get('response_mode') === 'web_message' && u.searchParams.get('prompt') === 'none';
            })
          : nextTokenResponse('refresh_token');
      const previousRefreshToken = currentRefreshToken();
      const fresh = await nextShowsCall(() => page.getByRole('button', { name: 'Refresh subscriptions' }).click());
      await renewal;
      assert.notEqual(fresh, expired, 'a second, different access token');
      assert.ok(jwtPayload(fresh).exp > jwtPayload(expired).exp);
      if (mode === 'refresh') {
        const refresh = await renewal;
        assert.equal(refresh.status, 200, JSON.stringify(refresh.body));
        assert.equal(refresh.params.get('refresh_token'), previousRefreshToken, 'the rotated refresh token was used');
        assert.notEqual(refresh.body.refresh_token, previousRefreshToken, 'and rotated again');
      }
      await shot('renewed');
    });

    test('logout signs out of the app and of the provider (/v2/logout)', async () => {
      const logoutRequest = page.waitForRequest((r) => new URL(r.url()).pathname === '/v2/logout');
      await page.getByRole('button', { name: 'Log out' }).click();
      const logout = new URL((await logoutRequest).url());
      assert.equal(logout.origin, provider.origin);
      assert.equal(logout.searchParams.get('client_id'), CLIENT_ID);
      assert.equal(logout.searchParams.get('returnTo'), app.origin);
      await page.waitForURL((u) => u.origin === app.origin);
      await page.getByRole('button', { name: 'Log in' }).waitFor();
      await page.getByText('You must first sign in to access your subscriptions.').waitFor();
      await shot('signed-out');

      // Signed out at the provider too: logging in again shows the sign-in form.
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.waitForURL((u) => u.origin === provider.origin && u.pathname === '/u/login');
      await page.locator('form[action="/u/login"] input[name="password"]').waitFor();
      await shot('sign-in-again');
      assert.deepEqual(problems, [], 'no console errors, failed requests or error responses in the browser');
    });
  });
}
