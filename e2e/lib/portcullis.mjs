// Test harness: start the real `portcullis` binary, drive its hosted pages from a browser or
// from fetch. Shared by every end-to-end suite; apps.mjs runs the example applications and
// tokens.mjs gets tokens without a browser. See ../README.md for the API.

import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

/** The binary under test: `PORTCULLIS_BIN`, or the workspace's debug build. */
export const PORTCULLIS_BIN =
  process.env.PORTCULLIS_BIN ?? path.resolve(here, '../../target/debug/portcullis');

/** The browser: `CHROMIUM_PATH`, or Debian's chromium package. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Where suites write screenshots (e2e/screenshots/). */
export const SCREENSHOT_DIR = path.resolve(here, '../screenshots');

/**
 * The development tenant `portcullis dev` seeds (crates/portcullis-core/src/admin/dev_tenant.toml).
 * Fixed, printed development credentials.
 */
export const DEMO = Object.freeze({
  user: { email: 'demo@example.com', password: 'demo-password', name: 'Demo User' },
  web: {
    clientId: 'demo-web',
    clientSecret: 'demo-web-secret-for-development-only-0000',
    callback: 'http://localhost:3000/callback',
    logoutUrl: 'http://localhost:3000/',
  },
  spa: { clientId: 'demo-spa', callback: 'http://localhost:5173/callback', origin: 'http://localhost:5173' },
  m2m: { clientId: 'demo-m2m', clientSecret: 'demo-m2m-secret-for-development-only-0000' },
  apis: { tvShows: 'https://api.tv-shows.example', billing: 'https://api.billing.example' },
});

/**
 * A confidential application for a tenant file (`BASIC_APP.tenant`) that authenticates with
 * client_secret_basic, its secret holding the characters clients percent-encode before base64
 * (the server must decode them). Nothing listens on its callback.
 */
const basic = {
  clientId: 'e2e-basic',
  clientSecret: "e2e-basic-secret-_.!~*'()-0123456789abcdefghij",
  callback: 'http://localhost:3999/callback',
};
export const BASIC_APP = Object.freeze({
  ...basic,
  tenant: `
[[applications]]
client_id = "${basic.clientId}"
name = "E2E basic-auth app"
app_type = "regular_web"
callbacks = ["${basic.callback}"]
token_endpoint_auth_method = "client_secret_basic"
client_secret = "${basic.clientSecret}"
`,
});

const WAIT_READY_MS = 30_000;
const children = new Set();

// A test that throws or is interrupted must not leave a provider running.
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => process.exit(130));
}

/** A free TCP port on 127.0.0.1 (bind :0, read the port, release it). */
export async function freePort() {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  server.close();
  await once(server, 'close');
  return port;
}

/** The environment for a child: ours without PORTCULLIS_* (a stray setting must not leak in), plus `env`. */
function childEnv(env) {
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('PORTCULLIS_')),
  );
  return { ...base, NO_COLOR: '1', ...env };
}

/**
 * Starts `portcullis dev` on a free port with a fresh data directory and waits until discovery
 * answers. Options:
 * - `tenantFile`: path of a tenant TOML file applied (with `portcullis apply`) once it is up;
 * - `tenant`: the same as a TOML string (handy for callbacks on ports chosen at run time);
 * - `env`: extra environment for the provider and the CLI (e.g. `PORTCULLIS_CODE_LIFETIME`);
 * - `bin`: the binary (default `PORTCULLIS_BIN` or ../target/debug/portcullis).
 * Set `PORTCULLIS_E2E_LOG=1` to see the provider's output.
 *
 * Returns `{ issuer, origin, port, dataDir, output(), cli(args, opts), stop() }`.
 */
export async function startPortcullis({ tenantFile, tenant, env = {}, bin = PORTCULLIS_BIN } = {}) {
  if (!fs.existsSync(bin)) {
    throw new Error(`${bin} does not exist: build it with \`cargo build -p portcullis\` or set PORTCULLIS_BIN`);
  }
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'portcullis-e2e-'));
  const spawnEnv = childEnv(env);

  // Another process may take the port between our probe and the provider's bind: try again.
  let started;
  for (let attempt = 1; !started; attempt++) {
    const port = await freePort();
    try {
      started = await spawnDev(bin, port, dataDir, spawnEnv);
    } catch (e) {
      if (attempt >= 3 || !/address (already )?in use/i.test(e.message)) {
        fs.rmSync(dataDir, { recursive: true, force: true });
        throw e;
      }
    }
  }
  const { child, port, output } = started;
  const origin = `http://localhost:${port}`;

  const provider = {
    issuer: `${origin}/`,
    origin,
    port,
    dataDir,
    /** Everything the provider printed so far (stdout and stderr). */
    output: () => output.join(''),
    /**
     * Runs a CLI command (`apply`, `users`, `apps`, …) against this provider's database.
     * Returns `{ status, stdout, stderr }`; throws on a non-zero exit unless `allowFailure`.
     */
    cli(args, { input, allowFailure = false } = {}) {
      const r = spawnSync(bin, args, {
        cwd: dataDir,
        env: { ...spawnEnv, PORTCULLIS_DATA_DIR: dataDir },
        input,
        encoding: 'utf8',
        timeout: 30_000,
      });
      if (r.error) throw r.error;
      if (r.status !== 0 && !allowFailure) {
        throw new Error(`portcullis ${args.join(' ')} exited with ${r.status}:\n${r.stdout}${r.stderr}`);
      }
      return { status: r.status, stdout: r.stdout, stderr: r.stderr };
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = once(child, 'exit');
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
      children.delete(child);
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };

  try {
    if (tenant !== undefined) {
      const file = path.join(dataDir, 'e2e-tenant.toml');
      fs.writeFileSync(file, tenant);
      provider.cli(['apply', file]);
    }
    if (tenantFile !== undefined) provider.cli(['apply', path.resolve(tenantFile)]);
  } catch (e) {
    await provider.stop();
    throw e;
  }
  return provider;
}

async function spawnDev(bin, port, dataDir, env) {
  const child = spawn(bin, ['dev', '--port', String(port), '--data-dir', dataDir], {
    cwd: dataDir, // no stray ./portcullis.toml is read
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  const output = [];
  const echo = process.env.PORTCULLIS_E2E_LOG ? (s) => process.stderr.write(s) : () => {};
  for (const stream of [child.stdout, child.stderr]) {
    stream.setEncoding('utf8');
    stream.on('data', (s) => {
      output.push(s);
      echo(s);
    });
  }
  let exited = null;
  child.once('exit', (code, signal) => {
    exited = { code, signal };
    children.delete(child);
  });

  const url = `http://localhost:${port}/.well-known/openid-configuration`;
  const deadline = Date.now() + WAIT_READY_MS;
  for (;;) {
    if (exited) {
      throw new Error(
        `portcullis dev exited (${exited.code ?? exited.signal}) before it was ready:\n${output.join('')}`,
      );
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      if (res.ok) {
        await res.arrayBuffer();
        return { child, port, output };
      }
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`portcullis dev did not answer ${url} within ${WAIT_READY_MS} ms:\n${output.join('')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50)); // poll interval
  }
}

/** Chromium flags that keep Debian's chromium quiet on a machine without internet. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A playwright-core Browser on Debian's headless chromium. Close it in `after`. */
export async function launchBrowser(options = {}) {
  const { chromium } = await import('playwright-core');
  if (!fs.existsSync(CHROMIUM_PATH)) {
    throw new Error(`${CHROMIUM_PATH} does not exist: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS, ...options });
}

/**
 * A fresh browser context (1024×720) and page in it, with `timeout` ms as the page's default for
 * waits and actions. Returns `{ context, page }`.
 */
export async function openPage(browser, { timeout } = {}) {
  const context = await browser.newContext({ viewport: { width: 1024, height: 720 } });
  const page = await context.newPage();
  if (timeout !== undefined) page.setDefaultTimeout(timeout);
  return { context, page };
}

/** Saves a full-page screenshot of `page` as SCREENSHOT_DIR/`file` (e.g. 'sign-in.png'). */
export async function screenshot(page, file) {
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, file), fullPage: true });
}

/**
 * Screenshots of `page` at the two widths every hosted page is looked at (1280 and 390 pixels):
 * SCREENSHOT_DIR/`name`-1280.png and `name`-390.png. The viewport goes back to 1024 × 720.
 */
export async function screenshotsAtBothWidths(page, name, { height = 900 } = {}) {
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height });
    await screenshot(page, `${name}-${width}.png`);
  }
  await page.setViewportSize({ width: 1024, height: 720 });
}

/**
 * `page.waitForURL(url, options)` that, when it times out, fails with `what` it waited for and
 * where the browser is instead, with the text it shows.
 */
export async function waitForURL(page, url, what, options) {
  try {
    await page.waitForURL(url, options);
  } catch (e) {
    const body = await page.locator('body').innerText().catch(() => '');
    throw new Error(`waiting for ${what}: the browser is at ${page.url()} showing:\n${body.slice(0, 1500)}`, { cause: e });
  }
}

/**
 * Fills and submits the hosted sign-in form (/u/login) shown in `page`. Waits for the form,
 * not for what follows: callers wait for the outcome (`page.waitForURL(...)`).
 */
export async function signIn(page, email, password) {
  const form = page.locator('form[action="/u/login"]');
  await form.waitFor();
  await form.locator('input[name="email"]').fill(email);
  await form.locator('input[name="password"]').fill(password);
  await form.getByRole('button', { name: 'Continue' }).click();
}

/**
 * A tiny HTTP server standing in for an application's callback on localhost: every request is
 * recorded (except /favicon.ico) and answered with a small HTML page showing the query. Register `url(path)` as a
 * callback or logout URL in a tenant file. Returns `{ port, origin, url(path), requests,
 * nextRequest(pathname), close() }`.
 */
export async function startCallbackServer() {
  const requests = [];
  const waiters = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, `http://localhost:${server.address().port}`);
    if (url.pathname === '/favicon.ico') {
      // Browsers ask on their own schedule: not an application request.
      res.writeHead(204).end();
      return;
    }
    requests.push(url);
    for (const w of waiters.splice(0)) {
      if (w.pathname && w.pathname !== url.pathname) waiters.push(w);
      else w.resolve(url);
    }
    const rows = [...url.searchParams]
      .map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td><code>${escapeHtml(v)}</code></td></tr>`)
      .join('');
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(
      `<!doctype html><title>Callback</title><h1 id="callback">Callback ${escapeHtml(url.pathname)}</h1><table>${rows}</table>`,
    );
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  const origin = `http://localhost:${port}`;
  return {
    port,
    origin,
    url: (p = '/') => `${origin}${p}`,
    requests,
    /** Resolves with the next request's URL (to `pathname`, if given). */
    nextRequest: (pathname) => new Promise((resolve) => waiters.push({ pathname, resolve })),
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

function escapeHtml(s) {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * A browser without a browser: fetch with a cookie jar for one origin (the provider), redirects
 * followed by hand. Enough to go through the hosted sign-in page from Node.
 */
export class UserAgent {
  constructor(origin) {
    this.origin = new URL(origin).origin;
    this.cookies = new Map();
  }

  cookieHeader() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  /** fetch on the provider's origin, sending and storing its cookies; never follows redirects. */
  async fetch(url, init = {}) {
    const target = new URL(url, this.origin);
    const headers = new Headers(init.headers);
    if (target.origin === this.origin && this.cookies.size) headers.set('cookie', this.cookieHeader());
    const res = await fetch(target, { ...init, headers, redirect: 'manual' });
    if (target.origin === this.origin) {
      for (const line of res.headers.getSetCookie()) {
        const [pair, ...attrs] = line.split(';');
        const eq = pair.indexOf('=');
        const name = pair.slice(0, eq).trim();
        const value = pair.slice(eq + 1).trim();
        const expired = attrs.some((a) => {
          const [k, v = ''] = a.trim().split('=');
          if (k.toLowerCase() === 'max-age') return Number(v) <= 0;
          if (k.toLowerCase() === 'expires') return Date.parse(v) <= Date.now();
          return false;
        });
        if (expired) this.cookies.delete(name);
        else this.cookies.set(name, value);
      }
    }
    return res;
  }

  /**
   * GETs `url` and follows redirects while they stay on the provider's origin. Returns
   * `{ response, url }` for the first answer that is not such a redirect: either a page of the
   * provider, or a redirect away from it (`response.headers.get('location')`).
   */
  async follow(url, init = {}) {
    let current = new URL(url, this.origin);
    let res = await this.fetch(current, init);
    for (let hops = 0; hops < 10; hops++) {
      const location = res.headers.get('location');
      if (res.status < 300 || res.status >= 400 || !location) break;
      const next = new URL(location, current);
      if (next.origin !== this.origin) break;
      await res.arrayBuffer();
      current = next;
      res = await this.fetch(current);
    }
    return { response: res, url: current };
  }

  /**
   * Opens an authorization URL and, if the hosted sign-in page comes up, signs in. Returns the
   * URL the provider finally redirects to (the application's callback with code/state/iss, or
   * with an error). Throws if the provider answers with a page instead (status and body in the
   * message), e.g. an error page or a sign-in page that shows an error.
   */
  async authorize(authorizationUrl, { email, password } = {}) {
    let { response, url } = await this.follow(authorizationUrl);
    if (response.status === 200 && url.pathname === '/u/login') {
      if (email === undefined) throw new Error('the sign-in page was shown but no credentials were given');
      const html = await response.text();
      const form = new URLSearchParams(hiddenInputs(html, '/u/login'));
      form.set('email', email);
      form.set('password', password);
      ({ response, url } = await this.follow('/u/login', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: form,
      }));
    }
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) return new URL(location, url);
    const body = await response.text();
    const err = new Error(`expected a redirect to the application, got ${response.status} at ${url}:\n${body.slice(0, 2000)}`);
    err.response = response;
    err.body = body;
    throw err;
  }
}

/**
 * The hidden inputs of an HTML page, as [name, value] pairs; with `action`, only those of the
 * form posting there (a page may hold several forms: the sign-in page's passkey form has its
 * own).
 */
export function hiddenInputs(html, action) {
  let scope = html;
  if (action !== undefined) {
    const start = html.search(new RegExp(`<form\\b[^>]*action="${action.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}"`, 'i'));
    if (start < 0) throw new Error(`no form posting to ${action} in the page`);
    const end = html.indexOf('</form>', start);
    scope = html.slice(start, end < 0 ? undefined : end);
  }
  const pairs = [];
  for (const [tag] of scope.matchAll(/<input\b[^>]*>/gi)) {
    if (!/type="hidden"/i.test(tag)) continue;
    const name = /name="([^"]*)"/i.exec(tag)?.[1];
    const value = /value="([^"]*)"/i.exec(tag)?.[1] ?? '';
    if (name) pairs.push([name, decodeEntities(value)]);
  }
  return pairs;
}

function decodeEntities(s) {
  return s
    .replace(/&#x([0-9a-f]+);/gi, (_, h) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&#(\d+);/g, (_, d) => String.fromCodePoint(Number(d)))
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** Decodes a JWT's payload without verifying it (verify with jose where it matters). */
export function jwtPayload(jwt) {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8'));
}
