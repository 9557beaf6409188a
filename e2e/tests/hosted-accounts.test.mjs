// Hosted accounts in a real browser, with mail through a real SMTP server on loopback (Python's
// aiosmtpd, which scripts/test installs): sign up and confirm from the mail, sign out, reset the
// password from the mail, sign in with the new one; a third-party application's consent
// allowed and refused. Screenshots of every page at 1280 and 390 pixels wide.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  launchBrowser,
  openPage,
  screenshot,
  signIn,
  startCallbackServer,
  startPortcullis,
  waitForURL,
} from '../lib/portcullis.mjs';
import { linkIn, startSmtp } from '../lib/mail.mjs';

const FIRST = 'e2e-accounts';
const THIRD = 'e2e-third-party';
const PASSWORD = 'lantern orchard 1987 velvet';
const NEW_PASSWORD = 'copper meadow 2024 quartz';

let smtp;
let provider;
let callbacks;
let browser;

/** Screenshots `page` at 1280 and at 390 pixels wide. */
async function shots(page, name) {
  await page.setViewportSize({ width: 1280, height: 900 });
  await screenshot(page, `accounts-${name}-1280.png`);
  await page.setViewportSize({ width: 390, height: 844 });
  await screenshot(page, `accounts-${name}-390.png`);
  await page.setViewportSize({ width: 1024, height: 720 });
}

function authorizeUrl(clientId, extra = {}) {
  const params = new URLSearchParams({
    client_id: clientId,
    response_type: 'code',
    redirect_uri: callbacks.url('/callback'),
    scope: 'openid profile email',
    state: 'e2e',
    ...extra,
  });
  return `${provider.origin}/authorize?${params}`;
}

before(async () => {
  smtp = await startSmtp();
  callbacks = await startCallbackServer();
  const app = (id, name, firstParty) => `
[[applications]]
client_id = "${id}"
name = "${name}"
app_type = "regular_web"
callbacks = ["${callbacks.url('/callback')}"]
allowed_logout_urls = ["${callbacks.url('/')}"]
client_secret = "${id}-secret-0123456789-0123456789-abcd"
first_party = ${firstParty}
`;
  provider = await startPortcullis({
    env: { PORTCULLIS_SMTP_URL: smtp.url },
    tenant: app(FIRST, 'Accounts app', true) + app(THIRD, 'Partner app', false),
  });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await provider?.stop();
  await callbacks?.close();
  smtp?.stop();
});

test('sign up with screen_hint=signup, confirm from the mail, sign out, reset the password from the mail, sign in with it', async () => {
  const { context, page } = await openPage(browser, { timeout: 30_000 });
  const email = 'ada.lovelace@example.com';
  await page.goto(authorizeUrl(FIRST, { screen_hint: 'signup' }));
  await page.getByRole('heading', { name: 'Create your account' }).waitFor();
  await shots(page, 'signup');
  // The policy speaks next to its field.
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Password').fill('password123');
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.locator('#password-error').waitFor();
  assert.match(await page.locator('#password-error').innerText(), /too common/);
  await shots(page, 'signup-error');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('heading', { name: 'Check your inbox' }).waitFor();
  await shots(page, 'check-inbox');

  const text = await smtp.mailTo(email, '/u/signup/confirm');
  const code = /verification code is (\d{6})/.exec(text)[1];
  assert.ok(code);
  // Follow the link (the button page), which completes the pending sign-in.
  await page.goto(linkIn(text, '/u/signup/confirm'));
  await page.getByRole('button', { name: 'Confirm and continue' }).waitFor();
  await shots(page, 'confirm-email');
  await page.getByRole('button', { name: 'Confirm and continue' }).click();
  await waitForURL(page, (u) => u.pathname === '/callback' && u.searchParams.has('code'), 'the callback with a code');
  assert.equal(new URL(page.url()).searchParams.get('state'), 'e2e');

  // Sign out at the provider.
  await page.goto(`${provider.origin}/v2/logout?client_id=${FIRST}&returnTo=${encodeURIComponent(callbacks.url('/'))}`);
  await waitForURL(page, (u) => u.pathname === '/' && u.port === String(callbacks.port), 'the logout return');

  // Forgot password → mail → new password → back to the application.
  await page.goto(authorizeUrl(FIRST));
  await page.getByRole('link', { name: 'Forgot password?' }).click();
  await page.getByRole('heading', { name: 'Reset your password' }).waitFor();
  await shots(page, 'reset-request');
  await page.getByLabel('Email address').fill(email);
  await page.getByRole('button', { name: 'Send me a link' }).click();
  await page.getByRole('heading', { name: 'Check your inbox' }).waitFor();
  await shots(page, 'reset-sent');
  const reset = await smtp.mailTo(email, '/u/reset/confirm');
  await page.goto(linkIn(reset, '/u/reset/confirm'));
  await page.getByRole('heading', { name: 'Choose a new password' }).waitFor();
  await shots(page, 'reset-password');
  await page.getByLabel('New password').fill(NEW_PASSWORD);
  await page.getByRole('button', { name: 'Save and sign in' }).click();
  await waitForURL(page, (u) => u.pathname === '/callback' && u.searchParams.has('code'), 'the callback after the reset');
  await smtp.mailTo(email, 'password of your');
  // The account page of the signed-in user.
  await page.goto(`${provider.origin}/u/account`);
  await page.getByRole('heading', { name: 'Your account' }).waitFor();
  assert.match(await page.locator('body').innerText(), /verified/);
  await shots(page, 'account');

  // A fresh browser: the old password fails, the new one signs in.
  const fresh = await openPage(browser, { timeout: 30_000 });
  await fresh.page.goto(authorizeUrl(FIRST));
  await signIn(fresh.page, email, PASSWORD);
  await fresh.page.getByText('Wrong email or password.').waitFor();
  await signIn(fresh.page, email, NEW_PASSWORD);
  await waitForURL(fresh.page, (u) => u.pathname === '/callback' && u.searchParams.has('code'), 'sign-in with the new password');
  await fresh.context.close();
  await context.close();
});

test("a third-party application's consent, allowed then refused", async () => {
  provider.cli(['users', 'create', '--email', 'grace@example.com', '--password-stdin'], { input: `${PASSWORD}\n` });
  const { context, page } = await openPage(browser, { timeout: 30_000 });
  await page.goto(authorizeUrl(THIRD));
  await signIn(page, 'grace@example.com', PASSWORD);
  await page.getByRole('heading', { name: 'Allow Partner app?' }).waitFor();
  assert.match(await page.locator('.scopes').innerText(), /See your email address/);
  await shots(page, 'consent');
  await page.getByRole('button', { name: 'Allow' }).click();
  await waitForURL(page, (u) => u.pathname === '/callback' && u.searchParams.has('code'), 'the callback after Allow');
  // Remembered: silent authentication answers with a code.
  await page.goto(authorizeUrl(THIRD, { prompt: 'none' }));
  await waitForURL(page, (u) => u.pathname === '/callback' && u.searchParams.has('code'), 'silent authentication');
  // prompt=consent asks again; Deny answers access_denied.
  await page.goto(authorizeUrl(THIRD, { prompt: 'consent' }));
  await page.getByRole('button', { name: 'Deny' }).click();
  await waitForURL(page, (u) => u.pathname === '/callback' && u.searchParams.get('error') === 'access_denied', 'access_denied after Deny');
  await context.close();
});
