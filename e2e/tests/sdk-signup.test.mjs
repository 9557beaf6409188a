// Sign-up through an Auth0 SDK: examples/express-openid-connect's /signup route calls
// res.oidc.login({ authorizationParams: { screen_hint: 'signup' } }), as Auth0's docs show. The
// new user confirms the address with the 6-digit code from a mail delivered by a real SMTP
// server, and lands signed in on the app's profile page.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { freePort, launchBrowser, openPage, startPortcullis, waitForURL } from '../lib/portcullis.mjs';
import { ensureInstalled, exampleDir, startExpressOidcApp } from '../lib/apps.mjs';
import { startSmtp } from '../lib/mail.mjs';

const CLIENT_ID = 'e2e-signup-express';
const CLIENT_SECRET = 'e2e-signup-express-secret-0123456789abcdef';
const AUDIENCE = 'https://api.billing.e2e-signup.example';

let smtp;
let provider;
let app;
let browser;

before(async () => {
  const appDir = exampleDir('express-openid-connect');
  ensureInstalled(appDir);
  smtp = await startSmtp();
  const appPort = await freePort();
  const appOrigin = `http://localhost:${appPort}`;
  provider = await startPortcullis({
    env: { PORTCULLIS_SMTP_URL: smtp.url },
    tenant: `
[[applications]]
client_id = "${CLIENT_ID}"
name = "Signup app"
app_type = "regular_web"
callbacks = ["${appOrigin}/callback"]
allowed_logout_urls = ["${appOrigin}"]
client_secret = "${CLIENT_SECRET}"

[[apis]]
identifier = "${AUDIENCE}"
name = "Billing"
scopes = [{ value = "read:billing", description = "Read billing information" }]
`,
  });
  app = await startExpressOidcApp({
    provider,
    port: appPort,
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    cookieSecret: 'e2e-signup-express-cookie-secret-0123456789',
    env: { BILLING_API_AUDIENCE: AUDIENCE },
  });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await app?.stop();
  await provider?.stop();
  smtp?.stop();
});

test('sign up from the app (screen_hint=signup), confirm with the mailed code, land signed in', async () => {
  const { context, page } = await openPage(browser, { timeout: 30_000 });
  const email = 'new.user@example.com';
  await page.goto(app.origin);
  await page.locator('#signup').click();
  await waitForURL(page, (u) => u.origin === provider.origin && u.pathname === '/u/signup', 'the hosted sign-up page');
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Your name').fill('New User');
  await page.getByLabel('Password').fill('harbour lantern 2031 quill');
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('heading', { name: 'Check your inbox' }).waitFor();
  const text = await smtp.mailTo(email, 'verification code is');
  const code = /verification code is (\d{6})/.exec(text)[1];
  await page.getByLabel('Verification code').fill(code);
  await page.getByRole('button', { name: 'Continue' }).click();
  await waitForURL(page, (u) => u.origin === app.origin && u.pathname === '/profile', "the app's profile page");
  const body = await page.locator('body').innerText();
  assert.match(body, /new\.user@example\.com/);
  assert.match(body, /New User/);
  await context.close();
});
