// Passkeys in Chromium (issue #10), with Chromium's virtual authenticator (CDP WebAuthn domain:
// ctap2, internal, resident keys, user verification) standing in for Touch ID or Windows Hello.
// The provider's issuer is http://localhost:PORT/ (a relying party id must be a domain; browsers
// allow WebAuthn over http only on localhost). Through the express-openid-connect example:
// register a passkey on the account page, sign out, sign in with passkey autofill (conditional
// mediation) and with "Sign in with a passkey" (no password: amr hwk user mfa, acr
// multi-factor), then use the passkey as the second factor after the password, rename and
// remove it. Every passkey page is captured at 1280 and 390 px.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
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

const CLIENT_ID = 'e2e-passkeys-express';
const CLIENT_SECRET = 'e2e-passkeys-express-secret-0123456789abc';
const AUDIENCE = 'https://api.billing.e2e-passkeys.example';
const MFA_ACR = 'http://schemas.openid.net/pape/policies/2007/06/multi-factor';

let smtp;
let provider;
let app;
let browser;

const both = (page, name) => screenshotsAtBothWidths(page, `passkeys-${name}`);

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
name = "Passkeys app"
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
  assert.match(provider.issuer, /^http:\/\/localhost:\d+\/$/);
  app = await startExpressOidcApp({
    provider,
    port: appPort,
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    cookieSecret: 'e2e-passkeys-express-cookie-secret-0123456',
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

test('register a passkey, sign in with it without a password, use it as the second factor, remove it', async () => {
  const { context, page } = await openPage(browser, { timeout: 30_000 });
  // The virtual authenticator belongs to this page: it survives cookies being cleared (signing out).
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
    },
  });

  // Sign in with the password (no factor yet, policy optional: nothing more is asked).
  await page.goto(`${app.origin}/profile`);
  await waitForURL(page, (u) => u.origin === provider.origin && u.pathname === '/u/login', 'the sign-in page');
  await page.getByRole('button', { name: 'Sign in with a passkey' }).waitFor();
  assert.equal(await page.locator('input[name="email"]').getAttribute('autocomplete'), 'username webauthn');
  await both(page, 'sign-in');
  await signIn(page, DEMO.user.email, DEMO.user.password);
  await waitForURL(page, (u) => u.origin === app.origin && u.pathname === '/profile', "the app's profile page");

  // Register a passkey from the account page.
  await page.goto(`${provider.origin}/u/account`);
  await page.getByRole('heading', { name: 'Two-step verification' }).waitFor();
  await both(page, 'account-before');
  await page.getByRole('link', { name: 'Add a passkey' }).click();
  await waitForURL(page, (u) => u.pathname === '/u/mfa/passkey', 'the passkey page');
  await page.getByRole('heading', { name: 'Add a passkey' }).waitFor();
  await page.getByLabel('Name').fill('E2E laptop');
  await both(page, 'enrol');
  await page.getByRole('button', { name: 'Create a passkey' }).click();
  // The first factor comes with recovery codes.
  await page.getByRole('heading', { name: 'Save your recovery codes' }).waitFor();
  await page.getByRole('link', { name: 'I have saved these codes' }).click();
  await waitForURL(page, (u) => u.pathname === '/u/account', 'the account page');
  const section = page.locator('section[aria-labelledby="mfa-h"]');
  await section.getByText('E2E laptop').waitFor();
  assert.match(await section.innerText(), /E2E laptop · passkey · added/);
  await both(page, 'account');
  const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
  assert.equal(credentials.length, 1);
  assert.equal(credentials[0].isResidentCredential, true, 'a discoverable credential');
  assert.equal(credentials[0].rpId, 'localhost');
  await smtp.mailTo(DEMO.user.email, 'A passkey was just added');

  const countOf = async () => (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials[0].signCount;
  const registered = await countOf();

  // Sign out (both the app's and the provider's cookies), then sign in with the passkey only.
  // Passkey autofill first: the sign-in page starts a conditional request as it loads, which
  // the virtual authenticator (user verified, one credential) answers at once.
  await context.clearCookies();
  await page.goto(`${app.origin}/transfer`);
  await waitForURL(page, (u) => u.origin === app.origin && u.pathname === '/transfer', "the app's /transfer page (passkey autofill)");
  // Possession of the key (device-bound: hwk) and the user verified by the authenticator.
  assert.equal(await page.locator('#amr').innerText(), 'hwk user mfa');
  assert.equal(await page.locator('#acr').innerText(), MFA_ACR);
  assert.equal(await countOf(), registered + 1, 'one assertion');

  // Then the button, in a browser without conditional mediation.
  await page.addInitScript(() => {
    if (window.PublicKeyCredential) PublicKeyCredential.isConditionalMediationAvailable = async () => false;
  });
  await context.clearCookies();
  await page.goto(`${app.origin}/transfer`);
  await waitForURL(page, (u) => u.origin === provider.origin && u.pathname === '/u/login', 'the sign-in page');
  await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
  await waitForURL(page, (u) => u.origin === app.origin && u.pathname === '/transfer', "the app's /transfer page");
  assert.equal(await page.locator('#amr').innerText(), 'hwk user mfa');
  assert.equal(await countOf(), registered + 2);

  // Password, then the passkey as the second factor.
  await context.clearCookies();
  await page.goto(`${app.origin}/profile`);
  await signIn(page, DEMO.user.email, DEMO.user.password);
  await waitForURL(page, (u) => u.origin === provider.origin && u.pathname === '/u/mfa', 'the second-factor page');
  await page.getByRole('button', { name: 'Use a passkey' }).waitFor();
  await both(page, 'challenge');
  await page.getByRole('button', { name: 'Use a passkey' }).click();
  await waitForURL(page, (u) => u.origin === app.origin && u.pathname === '/profile', "the app's profile page");
  await page.goto(`${app.origin}/transfer`);
  await waitForURL(page, (u) => u.origin === app.origin && u.pathname === '/transfer', "the app's /transfer page");
  assert.equal(await page.locator('#amr').innerText(), 'pwd hwk user mfa');

  // Rename, then remove it on the account page.
  await page.goto(`${provider.origin}/u/account`);
  await section.getByText('Rename').click();
  await section.getByLabel('Name').fill('Old laptop');
  await both(page, 'rename');
  await section.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('status').filter({ hasText: 'The passkey is renamed.' }).waitFor();
  await section.getByText('Old laptop').waitFor();
  await section.getByRole('button', { name: 'Remove' }).click();
  await page.getByRole('status').filter({ hasText: 'The second factor is removed.' }).waitFor();
  assert.doesNotMatch(await section.innerText(), /Old laptop/);
  await smtp.mailTo(DEMO.user.email, 'A passkey was just removed');

  // The removed passkey no longer signs in.
  await context.clearCookies();
  await page.goto(`${app.origin}/profile`);
  await waitForURL(page, (u) => u.origin === provider.origin && u.pathname === '/u/login', 'the sign-in page');
  await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
  await page.getByRole('alert').filter({ hasText: 'This passkey is not registered here' }).waitFor();
  await both(page, 'sign-in-unknown');

  // Step-up for a user without a factor: the enrolment right after the password offers a
  // passkey instead of the authenticator app.
  await signIn(page, DEMO.user.email, DEMO.user.password);
  await waitForURL(page, (u) => u.origin === app.origin && u.pathname === '/profile', "the app's profile page");
  await page.goto(`${app.origin}/transfer`);
  await waitForURL(page, (u) => u.origin === provider.origin && u.pathname === '/u/mfa/enroll', 'the enrolment page');
  await page.getByRole('link', { name: 'Use a passkey instead' }).click();
  await waitForURL(page, (u) => u.pathname === '/u/mfa/passkey', 'the passkey page');
  await page.getByText('Your account needs a second step').waitFor();
  await page.getByLabel('Name').fill('Phone');
  await both(page, 'enrol-required');
  await page.getByRole('button', { name: 'Create a passkey' }).click();
  await page.getByRole('heading', { name: 'Save your recovery codes' }).waitFor();
  await page.getByRole('link', { name: 'I have saved these codes' }).click();
  await waitForURL(page, (u) => u.origin === app.origin && u.pathname === '/transfer', "the app's /transfer page");
  assert.equal(await page.locator('#amr').innerText(), 'pwd hwk user mfa');
  assert.equal(await page.locator('#acr').innerText(), MFA_ACR);
  await context.close();
});
