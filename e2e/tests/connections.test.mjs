// Social and enterprise sign-in (issue #14) in a real browser: panva's oidc-provider runs on
// loopback as the upstream OpenID Connect provider (its development login and consent pages),
// declared as an `oidc` connection in the tenant file. examples/express-openid-connect (an Auth0
// SDK) signs in straight through it with `connection=` (its /login/:connection route calls
// res.oidc.login({ authorizationParams: { connection } })), and through the
// "Continue with …" button of the hosted sign-in page. The upstream user then adds a password
// on the account page, proven by the link mailed to a real SMTP server, and signs in with it.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import Provider from 'oidc-provider';
import {
  freePort,
  launchBrowser,
  openPage,
  screenshotsAtBothWidths,
  signIn,
  startPortcullis,
  waitForURL,
} from '../lib/portcullis.mjs';
import { ensureInstalled, exampleDir, startExpressOidcApp } from '../lib/apps.mjs';
import { linkIn, startSmtp } from '../lib/mail.mjs';

const CLIENT_ID = 'e2e-connections-express';
const CLIENT_SECRET = 'e2e-connections-express-secret-0123456789abcdef';
const UPSTREAM_CLIENT_ID = 'portcullis-downstream';
const UPSTREAM_SECRET = 'upstream-client-secret-0123456789abcdef0123456789';

let upstream;
let upstreamServer;
let provider;
let app;
let browser;
let smtp;

/** oidc-provider with one client (Portcullis) and accounts made up from the login typed. */
function startUpstream(issuer, redirectUri, port) {
  upstream = new Provider(issuer, {
    clients: [
      {
        client_id: UPSTREAM_CLIENT_ID,
        client_secret: UPSTREAM_SECRET,
        redirect_uris: [redirectUri],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    async findAccount(ctx, id) {
      return {
        accountId: id,
        async claims() {
          return { sub: id, email: `${id}@upstream.example`, email_verified: true, name: `Upstream ${id}` };
        },
      };
    },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    // The profile claims in the ID token itself (Portcullis reads the ID token, not /userinfo).
    conformIdTokenClaims: false,
    cookies: { keys: ['e2e-upstream-cookie-key-0123456789'] },
  });
  return new Promise((resolve) => {
    upstreamServer = upstream.listen(port, 'localhost', resolve);
  });
}

before(async () => {
  const appDir = exampleDir('express-openid-connect');
  ensureInstalled(appDir);
  const appPort = await freePort();
  const appOrigin = `http://localhost:${appPort}`;
  const upstreamPort = await freePort();
  const upstreamIssuer = `http://localhost:${upstreamPort}`;
  smtp = await startSmtp();
  provider = await startPortcullis({
    env: { E2E_UPSTREAM_SECRET: UPSTREAM_SECRET, PORTCULLIS_SMTP_URL: smtp.url },
    tenant: `
[[applications]]
client_id = "${CLIENT_ID}"
name = "Connections app"
app_type = "regular_web"
callbacks = ["${appOrigin}/callback"]
allowed_logout_urls = ["${appOrigin}"]
client_secret = "${CLIENT_SECRET}"

[[connections]]
name = "corp"
strategy = "oidc"
display_name = "Corp SSO"
issuer = "${upstreamIssuer}"
client_id = "${UPSTREAM_CLIENT_ID}"
client_secret_env = "E2E_UPSTREAM_SECRET"
`,
  });
  await startUpstream(upstreamIssuer, `${provider.origin}/login/callback`, upstreamPort);
  app = await startExpressOidcApp({
    provider,
    port: appPort,
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    cookieSecret: 'e2e-connections-express-cookie-secret-0123456789',
  });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await app?.stop();
  await provider?.stop();
  await new Promise((resolve) => (upstreamServer ? upstreamServer.close(resolve) : resolve()));
  smtp?.stop();
});

/** Signs in as `login` on oidc-provider's development pages and approves Portcullis. */
async function upstreamSignIn(page, login) {
  await waitForURL(page, (u) => u.origin === upstream.issuer, 'the upstream sign-in page');
  await page.locator('input[name="login"]').fill(login);
  await page.locator('input[name="password"]').fill('any password');
  await page.locator('button[type="submit"]').click();
  // The consent page of oidc-provider's development interactions.
  await page.getByRole('button', { name: 'Continue' }).click();
}

test('the SDK signs in straight through the upstream with connection=', async () => {
  const { context, page } = await openPage(browser, { timeout: 30_000 });
  await page.goto(`${app.origin}/login/corp`);
  await upstreamSignIn(page, 'ada');
  await waitForURL(page, (u) => u.origin === app.origin && u.pathname === '/profile', "the app's profile page");
  assert.equal(await page.locator('#email').innerText(), 'ada@upstream.example');
  assert.equal(await page.locator('#name').innerText(), 'Upstream ada');
  assert.equal(await page.locator('#user-id').innerText(), 'oidc|corp|ada');
  await context.close();
});

test('the sign-in page offers the connection as a button, which signs in to the same account', async () => {
  const { context, page } = await openPage(browser, { timeout: 30_000 });
  await page.goto(`${app.origin}/login`);
  await waitForURL(page, (u) => u.origin === provider.origin && u.pathname === '/u/login', 'the hosted sign-in page');
  const button = page.getByRole('link', { name: 'Continue with Corp SSO' });
  await button.waitFor();
  await screenshotsAtBothWidths(page, 'connections-sign-in');
  await button.click();
  await upstreamSignIn(page, 'ada');
  // express-openid-connect's /login returns to the home page.
  await waitForURL(page, (u) => u.origin === app.origin && u.pathname === '/', "the app's home page");
  assert.match(await page.locator('#status').innerText(), /Signed in as Upstream ada/);
  await page.goto(`${app.origin}/profile`);
  assert.equal(await page.locator('#user-id').innerText(), 'oidc|corp|ada', 'the same account as before');
  await context.close();
});

test('an upstream user adds a password with a mailed link and signs in with it', async () => {
  const { context, page } = await openPage(browser, { timeout: 30_000 });
  await page.goto(`${app.origin}/login/corp`);
  await upstreamSignIn(page, 'grace');
  await waitForURL(page, (u) => u.origin === app.origin && u.pathname === '/profile', "the app's profile page");
  await page.goto(`${provider.origin}/u/account`);
  const password = page.locator('#new_password');
  await password.waitFor();
  assert.equal(await page.locator('#current_password').count(), 0, 'no current password to ask for');
  await screenshotsAtBothWidths(page, 'account-add-password');
  await password.fill('plum tractor galaxy 42');
  await page.getByRole('button', { name: 'Add a password' }).click();
  await page.getByText('We sent a link to grace@upstream.example').waitFor();
  const mail = await smtp.mailTo('grace@upstream.example', '/u/account/password/confirm');
  await page.goto(linkIn(mail, '/u/account/password/confirm'));
  const add = page.getByRole('button', { name: 'Add the password' });
  await add.waitFor();
  await screenshotsAtBothWidths(page, 'add-password-confirm');
  await add.click();
  await page.getByText('Your password is added').waitFor();
  await context.close();

  // A new browser signs in with the email and the password: the same account.
  const fresh = await openPage(browser, { timeout: 30_000 });
  await fresh.page.goto(`${app.origin}/login`);
  await waitForURL(fresh.page, (u) => u.origin === provider.origin && u.pathname === '/u/login', 'the hosted sign-in page');
  await signIn(fresh.page, 'grace@upstream.example', 'plum tractor galaxy 42');
  await waitForURL(fresh.page, (u) => u.origin === app.origin && u.pathname === '/', "the app's home page");
  await fresh.page.goto(`${app.origin}/profile`);
  assert.equal(await fresh.page.locator('#user-id').innerText(), 'oidc|corp|grace');
  await fresh.context.close();
});
