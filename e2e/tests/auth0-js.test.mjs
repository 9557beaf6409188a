// auth0-js WebAuth in Chromium against Portcullis, from an application's own page: `signup`,
// `changePassword`, `passwordlessStart` + `passwordlessLogin` (cross-origin authentication with
// the mailed code, then /authorize with the login ticket). Mail goes through a real SMTP server
// on loopback. auth0-js takes the provider by domain; on plain-http loopback the documented
// switch is to give `domain` as a full `http://` URL. Also the hosted passwordless pages
// (`/authorize?connection=email`), with screenshots at 1280 and 390 pixels in two languages.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  jwtPayload,
  launchBrowser,
  openPage,
  screenshotsAtBothWidths,
  startPortcullis,
  waitForURL,
} from '../lib/portcullis.mjs';
import { startSmtp } from '../lib/mail.mjs';
import { waitUntil } from '../lib/apps.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const AUTH0_JS = fs.readFileSync(path.resolve(here, '../node_modules/auth0-js/dist/auth0.min.js'), 'utf8');
const CLIENT_ID = 'e2e-auth0-js';
const CLIENT_SECRET = 'e2e-auth0-js-secret-0123456789-abcdefgh';
const DB = 'Username-Password-Authentication';
const USER = { email: 'katherine.johnson@example.com', password: 'orbital mechanics 1962' };

let smtp;
let provider;
let app;
let browser;

/** The application's own pages: `/` loads auth0-js with a WebAuth for Portcullis. */
async function startApp() {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://localhost');
    if (url.pathname === '/auth0.min.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(AUTH0_JS);
    } else if (url.pathname === '/callback') {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><h1>Callback</h1>');
    } else if (url.pathname === '/') {
      res.writeHead(200, { 'content-type': 'text/html' }).end(`<!doctype html>
<title>App</title><h1>App</h1>
<script src="/auth0.min.js"></script>
<script>
  window.webAuth = new auth0.WebAuth({
    domain: ${JSON.stringify(provider.origin)},
    clientID: ${JSON.stringify(CLIENT_ID)},
    responseType: 'code',
    redirectUri: location.origin + '/callback',
    scope: 'openid profile email',
  });
  // Node-style callbacks as promises for the test: [error, result].
  window.call = (method, options) =>
    new Promise((resolve) => window.webAuth[method](options, (err, res) => resolve([err, res])));
</script>`);
    } else {
      res.writeHead(404).end();
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const origin = `http://localhost:${server.address().port}`;
  return {
    origin,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

before(async () => {
  smtp = await startSmtp();
  // The app's port must be in the tenant file: start its server first (it reads
  // provider.origin only when a page is served).
  app = await startApp();
  provider = await startPortcullis({
    env: { PORTCULLIS_SMTP_URL: smtp.url },
    tenant: `
[[applications]]
client_id = "${CLIENT_ID}"
name = "Auth0.js app"
app_type = "regular_web"
callbacks = ["${app.origin}/callback"]
web_origins = ["${app.origin}"]
client_secret = "${CLIENT_SECRET}"
grant_types = ["authorization_code", "refresh_token", "http://auth0.com/oauth/grant-type/passwordless/otp"]

[[users]]
email = "${USER.email}"
password = "${USER.password}"
email_verified = true
name = "Katherine Johnson"
`,
  });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await provider?.stop();
  await app?.close();
  smtp?.stop();
});

async function appPage() {
  const { context, page } = await openPage(browser, { timeout: 30_000 });
  await page.goto(`${app.origin}/`);
  await page.waitForFunction(() => window.webAuth !== undefined);
  return { context, page };
}

/** Exchanges a code from the callback for tokens, as the application's back end would. */
async function redeem(code) {
  const r = await fetch(`${provider.origin}/oauth/token`, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: `${app.origin}/callback`,
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
    }),
  });
  assert.equal(r.status, 200, await r.clone().text());
  return r.json();
}

test('webAuth.signup starts a sign-up confirmed by mail; changePassword mails a reset link', async () => {
  const { context, page } = await appPage();
  const email = 'mary.jackson@example.com';
  const [err, res] = await page.evaluate(
    ([email, connection]) => window.call('signup', { connection, email, password: 'wind tunnel 1958 langley' }),
    [email, DB],
  );
  assert.equal(err, null, JSON.stringify(err));
  assert.equal(res.email, email);
  assert.equal(res.emailVerified, false);
  const mail = await smtp.mailTo(email, '/u/signup/confirm');
  assert.match(mail, /verification code is \d{6}/);

  const [weakErr] = await page.evaluate(
    (connection) => window.call('signup', { connection, email: 'weak@example.com', password: 'password123' }),
    DB,
  );
  assert.equal(weakErr.code, 'invalid_password');
  assert.equal(weakErr.name, 'PasswordStrengthError');

  const [cpErr, text] = await page.evaluate(
    ([email, connection]) => window.call('changePassword', { connection, email }),
    [USER.email, DB],
  );
  assert.equal(cpErr, null, JSON.stringify(cpErr));
  assert.equal(text, "We've just sent you an email to reset your password.");
  await smtp.mailTo(USER.email, '/u/reset/confirm');
  await context.close();
});

test('webAuth.passwordlessStart mails a code; passwordlessLogin signs in through /co/authenticate', async () => {
  const { context, page } = await appPage();
  const [err, res] = await page.evaluate(
    (email) => window.call('passwordlessStart', { connection: 'email', send: 'code', email }),
    USER.email,
  );
  assert.equal(err, null, JSON.stringify(err));
  assert.equal(res.email, USER.email);
  const mail = await smtp.mailTo(USER.email, 'sign-in code is');
  const code = /sign-in code is (\d{6})/.exec(mail)[1];

  // A wrong code comes back to the page as an error; nothing navigates.
  const wrong = code === '000000' ? '111111' : '000000';
  const [wrongErr] = await page.evaluate(
    ([email, verificationCode]) => window.call('passwordlessLogin', { connection: 'email', email, verificationCode }),
    [USER.email, wrong],
  );
  assert.equal(wrongErr.code, 'invalid_grant');
  assert.equal(page.url(), `${app.origin}/`);

  await page.evaluate(
    ([email, verificationCode]) => {
      window.webAuth.passwordlessLogin({ connection: 'email', email, verificationCode }, () => {});
    },
    [USER.email, code],
  );
  await waitForURL(page, (url) => url.pathname === '/callback', 'the callback after passwordlessLogin');
  const callback = new URL(page.url());
  assert.ok(callback.searchParams.get('code'), callback.href);
  assert.ok(callback.searchParams.get('state'), 'auth0-js state comes back');
  const tokens = await redeem(callback.searchParams.get('code'));
  const claims = jwtPayload(tokens.id_token);
  assert.equal(claims.email, USER.email);
  assert.equal(claims.name, 'Katherine Johnson');
  await context.close();
});

test('hosted /authorize?connection=email asks for the email, then the mailed code (screenshots)', async () => {
  for (const lang of ['en', 'de']) {
    const { context, page } = await openPage(browser, { timeout: 30_000 });
    const params = new URLSearchParams({
      client_id: CLIENT_ID,
      response_type: 'code',
      redirect_uri: `${app.origin}/callback`,
      scope: 'openid email',
      state: `hosted-${lang}`,
      connection: 'email',
      ui_locales: lang,
    });
    await page.goto(`${provider.origin}/authorize?${params}`);
    await page.locator('form[action="/u/passwordless"]').waitFor();
    await screenshotsAtBothWidths(page, `passwordless-email-${lang}`, { height: 844 });
    const marker = lang === 'en' ? 'sign-in code is' : 'Anmeldecode lautet';
    const earlier = new Set(smtp.mails().map((m) => m.text));
    await page.locator('input[name="email"]').fill(USER.email);
    await page.locator('form[action="/u/passwordless"] button[type="submit"]').click();
    await page.locator('form[action="/u/passwordless/code"]').waitFor();
    await screenshotsAtBothWidths(page, `passwordless-code-${lang}`, { height: 844 });
    let mail;
    await waitUntil(
      () => (mail = smtp.mails().find((m) => m.to.includes(USER.email) && m.text.includes(marker) && !earlier.has(m.text))),
      `the ${lang} passwordless mail`,
    );
    const code = new RegExp(`${marker} (\\d{6})`).exec(mail.text)[1];
    await page.locator('input[name="code"]').fill(code);
    await page.locator('form[action="/u/passwordless/code"] button[type="submit"]').click();
    await waitForURL(page, (url) => url.pathname === '/callback', `the callback after the hosted ${lang} flow`);
    assert.equal(new URL(page.url()).searchParams.get('state'), `hosted-${lang}`);
    await context.close();
  }
});
