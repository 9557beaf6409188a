// Multi-factor authentication in Chromium (issue #10), through an Auth0 SDK: the
// express-openid-connect example's /transfer page asks for step-up with acr_values (as Auth0's
// docs show) and checks the ID token's acr. The test enrols an authenticator app, computing its
// codes from the secret the page shows (RFC 6238 with node:crypto: the client side), signs in
// with it, and signs in with a recovery code. Every MFA page is captured at 1280 and 390 px.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import {
  DEMO,
  freePort,
  launchBrowser,
  openPage,
  screenshotsAtBothWidths,
  signIn,
  startPortcullis,
  waitForURL,
} from '../lib/portcullis.mjs';
import { ensureInstalled, exampleDir, startExpressOidcApp } from '../lib/apps.mjs';
import { startSmtp } from '../lib/mail.mjs';

const CLIENT_ID = 'e2e-mfa-express';
const CLIENT_SECRET = 'e2e-mfa-express-secret-0123456789abcdef';
const AUDIENCE = 'https://api.billing.e2e-mfa.example';
const MFA_ACR = 'http://schemas.openid.net/pape/policies/2007/06/multi-factor';

/** RFC 4648 base32 (no padding) to bytes. */
function base32(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const out = [];
  for (const c of text.replace(/[\s=]/g, '').toUpperCase()) {
    value = (value << 5) | alphabet.indexOf(c);
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** RFC 6238 TOTP (HMAC-SHA-1, 6 digits) for time step `step` (RFC 4226 §5.3 truncation). */
function totp(secret, step) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = crypto.createHmac('sha1', base32(secret)).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

const stepNow = () => Math.floor(Date.now() / 1000 / 30);

let smtp;
let provider;
let app;
let browser;
/** What the first test enrols, for the others. */
const enrolled = { secret: null, lastStep: 0, recoveryCodes: [] };

/** A code the server has not seen: the current step, or the next (±1 step of skew) when the current one was used. */
function freshCode() {
  const step = Math.max(stepNow(), enrolled.lastStep + 1);
  enrolled.lastStep = step;
  return totp(enrolled.secret, step);
}

const both = (page, name) => screenshotsAtBothWidths(page, `mfa-${name}`);

before(async () => {
  const appDir = exampleDir('express-openid-connect');
  ensureInstalled(appDir);
  smtp = await startSmtp();
  const appPort = await freePort();
  const appOrigin = `http://localhost:${appPort}`;
  provider = await startPortcullis({
    env: { PORTCULLIS_SMTP_URL: smtp.url },
    tenant: `
[tenant]
mfa = "optional"

[[applications]]
client_id = "${CLIENT_ID}"
name = "MFA app"
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
    cookieSecret: 'e2e-mfa-express-cookie-secret-0123456789ab',
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

test('step-up from the SDK enrols an authenticator app, and the app sees acr multi-factor', async () => {
  const { context, page } = await openPage(browser, { timeout: 30_000 });
  await page.goto(`${app.origin}/transfer`);
  await waitForURL(page, (u) => u.origin === provider.origin && u.pathname === '/u/login', 'the sign-in page');
  await signIn(page, DEMO.user.email, DEMO.user.password);
  // The password alone does not satisfy /transfer: the app asks again with acr_values, and
  // the provider (the user has no factor yet) shows the enrolment.
  await waitForURL(page, (u) => u.origin === provider.origin && u.pathname === '/u/mfa/enroll', 'the enrolment page');
  await page.getByRole('heading', { name: 'Set up an authenticator app' }).waitFor();
  assert.match(await page.locator('.qr img').getAttribute('src'), /^data:image\/svg\+xml;base64,/);
  await both(page, 'enroll');
  enrolled.secret = (await page.locator('#secret').innerText()).replace(/\s/g, '');
  const uri = await page.locator('#otpauth-uri').textContent();
  assert.match(uri, new RegExp(`^otpauth://totp/.*secret=${enrolled.secret}`));
  await page.getByLabel('Enter the 6-digit code the app shows').fill(wrongCode());
  await page.getByRole('button', { name: 'Turn on' }).click();
  await page.getByRole('alert').filter({ hasText: 'That code is not right' }).waitFor();
  await both(page, 'enroll-error');
  await page.getByLabel('Enter the 6-digit code the app shows').fill(freshCode());
  await page.getByRole('button', { name: 'Turn on' }).click();
  await page.getByRole('heading', { name: 'Save your recovery codes' }).waitFor();
  enrolled.recoveryCodes = await page.locator('#recovery-codes code').allInnerTexts();
  assert.equal(enrolled.recoveryCodes.length, 10);
  await both(page, 'recovery-codes');
  await page.getByRole('link', { name: 'I have saved these codes' }).click();
  await waitForURL(page, (u) => u.origin === app.origin && u.pathname === '/transfer', "the app's /transfer page");
  assert.equal(await page.locator('#acr').innerText(), MFA_ACR);
  assert.equal(await page.locator('#amr').innerText(), 'pwd otp mfa');
  await smtp.mailTo(DEMO.user.email, 'authenticator app was just added');
  await context.close();
});

test('sign in with the authenticator app', async () => {
  assert.ok(enrolled.secret, 'the enrolment test ran');
  const { context, page } = await openPage(browser, { timeout: 30_000 });
  await page.goto(`${app.origin}/transfer`);
  await signIn(page, DEMO.user.email, DEMO.user.password);
  await waitForURL(page, (u) => u.origin === provider.origin && u.pathname === '/u/mfa', 'the second-factor page');
  await both(page, 'challenge');
  await page.getByLabel('Code from your app').fill(wrongCode());
  await page.getByRole('button', { name: 'Verify' }).click();
  await page.getByRole('alert').waitFor();
  await both(page, 'challenge-error');
  await page.getByLabel('Code from your app').fill(freshCode());
  await page.getByRole('button', { name: 'Verify' }).click();
  // One sign-in satisfies /transfer directly: the session has its second factor.
  await waitForURL(page, (u) => u.origin === app.origin && u.pathname === '/transfer', "the app's /transfer page");
  assert.equal(await page.locator('#acr').innerText(), MFA_ACR);
  await context.close();
});

/** A 6-digit code that no step within the server's skew accepts. */
function wrongCode() {
  const now = stepNow();
  const valid = [now - 1, now, now + 1, now + 2].map((step) => totp(enrolled.secret, step));
  return ['000000', '111111', '222222', '333333', '444444'].find((c) => !valid.includes(c));
}

test('sign in with a recovery code; the account page lists the factor', async () => {
  assert.equal(enrolled.recoveryCodes.length, 10, 'the enrolment test ran');
  const { context, page } = await openPage(browser, { timeout: 30_000 });
  await page.goto(`${app.origin}/profile`);
  await signIn(page, DEMO.user.email, DEMO.user.password);
  await waitForURL(page, (u) => u.origin === provider.origin && u.pathname === '/u/mfa', 'the second-factor page');
  await page.getByRole('link', { name: "Can't use your app? Enter a recovery code" }).click();
  await page.getByLabel('Recovery code').waitFor();
  await both(page, 'challenge-recovery');
  await page.getByLabel('Recovery code').fill(enrolled.recoveryCodes[0].toUpperCase());
  await page.getByRole('button', { name: 'Verify' }).click();
  await page.getByRole('heading', { name: 'Recovery code accepted' }).waitFor();
  assert.match(await page.locator('body').innerText(), /You have 9 recovery codes left/);
  await both(page, 'recovery-accepted');
  await page.getByRole('link', { name: 'Continue' }).click();
  await waitForURL(page, (u) => u.origin === app.origin && u.pathname === '/profile', "the app's profile page");
  await page.goto(`${provider.origin}/u/account`);
  await page.getByRole('heading', { name: 'Two-step verification' }).waitFor();
  const section = await page.locator('section[aria-labelledby="mfa-h"]').innerText();
  assert.match(section, /Authenticator app/);
  assert.match(section, /9 recovery codes left/);
  await both(page, 'account');
  await context.close();
});
