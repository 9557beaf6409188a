// Auth0's own server-side client against Portcullis: the `auth0` npm package's
// AuthenticationClient (auth0/legacy in auth0 7) — database sign-up and change password,
// passwordless email start + one-time-code grant, and the password-realm grant. Mail goes
// through a real SMTP server on loopback. The client only speaks https to `https://{domain}`, so
// the provider (issuer https://localhost:PORT/) sits behind a TLS proxy with a throw-away
// certificate that the client trusts through its documented `fetch` and `agent` options.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { AuthenticationClient, AuthApiError } from 'auth0/legacy';
import { freePort, hiddenInputs, jwtPayload, startPortcullis, UserAgent } from '../lib/portcullis.mjs';
import { linkIn, startSmtp } from '../lib/mail.mjs';
import { fetchTrusting, localhostCertificate, startTlsProxy } from '../lib/tls.mjs';

const CLIENT_ID = 'e2e-auth-client';
const CLIENT_SECRET = 'e2e-auth-client-secret-0123456789-abcdef';
const DB = 'Username-Password-Authentication';
const USER = { email: 'grace.hopper@example.com', password: 'compiler harbor 1952 cobol' };

let smtp;
let provider;
let proxy;
let auth;
let domain;

before(async () => {
  smtp = await startSmtp();
  const { key, cert } = localhostCertificate();
  const httpsPort = await freePort();
  domain = `localhost:${httpsPort}`;
  provider = await startPortcullis({
    env: { PORTCULLIS_SMTP_URL: smtp.url, PORTCULLIS_ISSUER: `https://${domain}/` },
    tenant: `
[[applications]]
client_id = "${CLIENT_ID}"
name = "Auth0 AuthenticationClient"
app_type = "regular_web"
callbacks = ["https://app.example/callback"]
client_secret = "${CLIENT_SECRET}"
grant_types = ["authorization_code", "refresh_token", "password", "http://auth0.com/oauth/grant-type/passwordless/otp"]

[[users]]
email = "${USER.email}"
password = "${USER.password}"
email_verified = true
name = "Grace Hopper"
`,
  });
  proxy = await startTlsProxy({ port: httpsPort, targetPort: provider.port, key, cert });
  // The client is pointed at Portcullis by its domain only; `fetch` and `agent` make it trust
  // the test certificate (API calls and the JWKS download respectively).
  auth = new AuthenticationClient({
    domain,
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    fetch: fetchTrusting(cert),
    agent: new https.Agent({ ca: cert }),
  });
});

after(async () => {
  await proxy?.close();
  await provider?.stop();
  smtp?.stop();
});

/** Opens a mailed link's page on the provider and presses its button (the form's action). */
async function pressMailedButton(link) {
  const ua = new UserAgent(provider.origin);
  const url = new URL(link);
  const page = await ua.fetch(`${url.pathname}${url.search}`);
  assert.equal(page.status, 200);
  const html = await page.text();
  const action = /<form method="post" action="([^"]+)"/.exec(html)[1];
  return ua.fetch(action, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(hiddenInputs(html, action)),
  });
}

test('database.signUp answers like Auth0; the account exists once the mailed link is followed', async () => {
  const email = 'ada.lovelace@example.com';
  const password = 'analytical engine 1843';
  const { data } = await auth.database.signUp({ email, password, connection: DB, given_name: 'Ada' });
  assert.equal(data.email, email);
  assert.equal(data.email_verified, false);
  assert.match(data._id, /^usr_/);
  assert.equal(data.given_name, 'Ada');
  // No account yet: the password grant does not know it.
  await assert.rejects(
    auth.oauth.passwordGrant({ username: email, password, realm: DB }),
    (e) => e instanceof AuthApiError && e.error === 'invalid_grant',
  );
  const mail = await smtp.mailTo(email, '/u/signup/confirm');
  const confirmed = await pressMailedButton(linkIn(mail, '/u/signup/confirm'));
  assert.equal(confirmed.status, 200);
  const { data: tokens } = await auth.oauth.passwordGrant({ username: email, password, realm: DB, scope: 'openid email' });
  const claims = jwtPayload(tokens.id_token);
  assert.equal(claims.sub, data._id);
  assert.equal(claims.email_verified, true);
});

test('database.signUp refusals arrive as AuthApiError with Auth0 codes', async () => {
  await assert.rejects(
    auth.database.signUp({ email: 'weak@example.com', password: 'password123', connection: DB }),
    (e) => e instanceof AuthApiError && e.error === 'invalid_password' && e.statusCode === 400,
  );
  await assert.rejects(
    auth.database.signUp({ email: 'x@example.com', password: 'fine long password 9', connection: 'nope' }),
    (e) => e instanceof AuthApiError && e.error === 'invalid_connection',
  );
});

test('database.changePassword answers Auth0\'s sentence and mails a reset link', async () => {
  const { data } = await auth.database.changePassword({ email: USER.email, connection: DB });
  assert.equal(data, "We've just sent you an email to reset your password.");
  const mail = await smtp.mailTo(USER.email, '/u/reset/confirm');
  assert.ok(linkIn(mail, '/u/reset/confirm').startsWith(`https://${domain}/`));
  // An unknown address gets the same answer.
  const { data: same } = await auth.database.changePassword({ email: 'nobody@example.com', connection: DB });
  assert.equal(same, data);
});

test('passwordless.sendEmail mails a code that passwordless.loginWithEmail exchanges once', async () => {
  await auth.passwordless.sendEmail({ email: USER.email, send: 'code' });
  const mail = await smtp.mailTo(USER.email, 'sign-in code is');
  const code = /sign-in code is (\d{6})/.exec(mail)[1];
  const { data } = await auth.passwordless.loginWithEmail({ email: USER.email, code, scope: 'openid email' });
  const claims = jwtPayload(data.id_token);
  assert.equal(claims.email, USER.email);
  assert.equal(claims.iss, `https://${domain}/`);
  await assert.rejects(
    auth.passwordless.loginWithEmail({ email: USER.email, code }),
    (e) => e instanceof AuthApiError && e.error === 'invalid_grant',
  );
});

test('oauth.passwordGrant with a realm (opted in) signs in; a wrong password is invalid_grant', async () => {
  const { data } = await auth.oauth.passwordGrant({
    username: USER.email,
    password: USER.password,
    realm: DB,
    scope: 'openid profile',
  });
  assert.equal(jwtPayload(data.id_token).name, 'Grace Hopper');
  assert.equal(data.token_type, 'Bearer');
  await assert.rejects(
    auth.oauth.passwordGrant({ username: USER.email, password: 'not the password', realm: DB }),
    (e) => e instanceof AuthApiError && e.error === 'invalid_grant' && e.error_description === 'Wrong email or password.',
  );
});
