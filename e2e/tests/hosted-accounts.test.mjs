// Hosted accounts in a real browser, with mail through a real SMTP server on loopback (Python's
// aiosmtpd, which scripts/test installs): sign up and confirm from the mail, sign out, reset the
// password from the mail, sign in with the new one; a third-party application's consent
// allowed and refused. Screenshots of every page at 1280 and 390 pixels wide.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {
  freePort,
  launchBrowser,
  openPage,
  screenshot,
  signIn,
  startCallbackServer,
  startPortcullis,
  waitForURL,
} from '../lib/portcullis.mjs';
import { waitUntil } from '../lib/apps.mjs';

const FIRST = 'e2e-accounts';
const THIRD = 'e2e-third-party';
const PASSWORD = 'lantern orchard 1987 velvet';
const NEW_PASSWORD = 'copper meadow 2024 quartz';

let smtp;
let mailDir;
let provider;
let callbacks;
let browser;

/** Decodes a MIME part body by its Content-Transfer-Encoding. */
function decode(headers, body) {
  const encoding = /content-transfer-encoding:\s*([\w-]+)/i.exec(headers)?.[1]?.toLowerCase();
  if (encoding === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (encoding === 'quoted-printable') {
    const bytes = body
      .replace(/=\r?\n/g, '')
      .replace(/=([0-9A-F]{2})/gi, (_, hex) => String.fromCharCode(parseInt(hex, 16)));
    return Buffer.from(bytes, 'latin1').toString('utf8');
  }
  return body;
}

/** The mails aiosmtpd stored: `{ to, subject, text }` each. */
function mails() {
  const out = [];
  for (const sub of ['new', 'cur']) {
    const dir = path.join(mailDir, 'box', sub);
    if (!fs.existsSync(dir)) continue;
    for (const name of fs.readdirSync(dir)) {
      const raw = fs.readFileSync(path.join(dir, name), 'utf8');
      const [head] = raw.split(/\r?\n\r?\n/, 1);
      const to = /^To:\s*(.+)$/im.exec(head)?.[1]?.trim() ?? '';
      const subject = /^Subject:\s*(.+)$/im.exec(head)?.[1]?.trim() ?? '';
      // The text/plain part of the multipart/alternative body.
      const part = raw.split(/\r?\n--/).find((p) => /content-type:\s*text\/plain/i.test(p)) ?? '';
      const split = part.search(/\r?\n\r?\n/);
      const text = decode(part.slice(0, split), part.slice(split).trim());
      out.push({ to, subject, text });
    }
  }
  return out;
}

/** Waits for a mail to `to` whose text contains `marker`; returns its text. */
async function mailTo(to, marker) {
  let found;
  await waitUntil(
    () => (found = mails().find((m) => m.to.includes(to) && m.text.includes(marker))),
    `a mail to ${to} containing ${marker}`,
    { timeout: 30_000 },
  );
  return found.text;
}

const linkIn = (text, pathPart) =>
  text.split(/\s+/).find((w) => w.startsWith('http') && w.includes(pathPart));

async function listening(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.end();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

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
  const port = await freePort();
  mailDir = fs.mkdtempSync(path.join(os.tmpdir(), 'portcullis-e2e-mail-'));
  smtp = spawn(
    '/usr/bin/python3',
    // Mailbox creates the maildir itself: it must not exist yet.
    ['-m', 'aiosmtpd', '-n', '-l', `127.0.0.1:${port}`, '-c', 'aiosmtpd.handlers.Mailbox', path.join(mailDir, 'box')],
    { stdio: 'ignore' },
  );
  await waitUntil(() => listening(port), 'aiosmtpd to listen (apt-get install python3-aiosmtpd)');
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
    env: { PORTCULLIS_SMTP_URL: `smtp://127.0.0.1:${port}` },
    tenant: app(FIRST, 'Accounts app', true) + app(THIRD, 'Partner app', false),
  });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await provider?.stop();
  await callbacks?.close();
  smtp?.kill();
  if (mailDir) fs.rmSync(mailDir, { recursive: true, force: true });
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

  const text = await mailTo(email, '/u/signup/confirm');
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
  const reset = await mailTo(email, '/u/reset/confirm');
  await page.goto(linkIn(reset, '/u/reset/confirm'));
  await page.getByRole('heading', { name: 'Choose a new password' }).waitFor();
  await shots(page, 'reset-password');
  await page.getByLabel('New password').fill(NEW_PASSWORD);
  await page.getByRole('button', { name: 'Save and sign in' }).click();
  await waitForURL(page, (u) => u.pathname === '/callback' && u.searchParams.has('code'), 'the callback after the reset');
  await mailTo(email, 'password of your');
  // The account page of the signed-in user.
  await page.goto(`${provider.origin}/u/account`);
  await page.getByRole('heading', { name: 'Your account' }).waitFor();
  assert.match(await page.locator('body').innerText(), /verified/);
  await shots(page, 'account');

  // A fresh browser: the old password fails, the new one signs in.
  const fresh = await openPage(browser, { timeout: 30_000 });
  await fresh.page.goto(authorizeUrl(FIRST));
  await signIn(fresh.page, email, PASSWORD);
  await fresh.page.locator('.alert').waitFor();
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
