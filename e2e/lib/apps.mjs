// Example applications for the SDK suites: install and build them when they are stale, run them
// as child processes, wait for conditions. See ../README.md for the API.

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PORTCULLIS_BIN } from './portcullis.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

/** The repository's examples/ folder; `exampleDir('nextjs')` is examples/nextjs. */
export const EXAMPLES_DIR = path.resolve(here, '../../examples');
export const exampleDir = (name) => path.join(EXAMPLES_DIR, name);

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The modification time of `p` in ms, 0 when it does not exist. */
export function mtimeMs(p) {
  return fs.statSync(p, { throwIfNoEntry: false })?.mtimeMs ?? 0;
}

/** The newest modification time among `p` and everything under it (0 when it does not exist). */
export function newestMtime(p) {
  const st = fs.statSync(p, { throwIfNoEntry: false });
  if (!st) return 0;
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(st.mtimeMs, ...fs.readdirSync(p).map((e) => newestMtime(path.join(p, e))));
}

/**
 * Runs `cmd args` in `cwd` to completion (output captured; `env` added to ours). Throws with the
 * output when it fails or exceeds `timeout` ms. Returns how long it took, in ms.
 */
export function run(cmd, args, { cwd, env = {}, timeout = 600_000 } = {}) {
  const started = Date.now();
  const r = spawnSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout,
  });
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} in ${cwd} failed (${r.status ?? r.error}):\n${r.stdout}${r.stderr}`);
  }
  return Date.now() - started;
}

/**
 * As `run`, without blocking the event loop (other apps' readiness timers keep running while a
 * build waits, e.g. on cargo's lock): resolves with the ms it took, rejects with the output.
 */
export function runAsync(cmd, args, { cwd, env = {}, timeout = 600_000 } = {}) {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (s) => (out += s));
    child.stderr.on('data', (s) => (out += s));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeout);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`${cmd} ${args.join(' ')} in ${cwd} could not start: ${e.message}`));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(Date.now() - started);
      else reject(new Error(`${cmd} ${args.join(' ')} in ${cwd} failed (${code ?? signal}):\n${out}`));
    });
  });
}

/**
 * `npm ci` in `dir` when node_modules is missing or older than package-lock.json (CI checkouts, a
 * changed lock file). Returns the ms it took, or null when it was up to date.
 */
export function ensureInstalled(dir, { env } = {}) {
  const installed = mtimeMs(path.join(dir, 'node_modules/.package-lock.json'));
  if (installed && installed >= mtimeMs(path.join(dir, 'package-lock.json'))) return null;
  return run('npm', ['ci', '--no-audit', '--no-fund'], { cwd: dir, env });
}

/**
 * Builds the app in `dir` when `output` (a file the build writes, relative to `dir`) is missing or
 * older than any of `sources` (files or folders, relative to `dir`). `command` is `[cmd, ...args]`
 * run in `dir` with `env`. Returns the ms it took, or null when the build was up to date.
 */
export function ensureBuilt(dir, { output, sources, command, env }) {
  const built = mtimeMs(path.join(dir, output));
  if (built && built >= Math.max(...sources.map((s) => newestMtime(path.join(dir, s))))) return null;
  const [cmd, ...args] = command;
  return run(cmd, args, { cwd: dir, env });
}

const children = new Set();
// A test that throws or is interrupted must not leave an app running (nor its workers).
process.on('exit', () => {
  for (const child of children) {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

/**
 * Starts `node args…` in `cwd` (our environment plus `env`) in its own process group, so that
 * workers it spawns (`next start`) stop with it, and waits until it is ready: until `readyUrl`
 * answers at all (any status), or until its stdout matches `readyPattern`, whose first group, if
 * any, becomes `url` (e.g. /listening on (http:\/\/\S+)/ with PORT=0). Throws with its output
 * when it exits first or is not ready within `timeout` ms. `PORTCULLIS_E2E_LOG=1` echoes its
 * output, prefixed with `[name]`. Returns `{ child, url, output(), stop() }`.
 */
export async function startProcess(name, args, { command = process.execPath, cwd, env = {}, readyUrl, readyPattern, timeout = 60_000 }) {
  if (!readyUrl === !readyPattern) throw new Error('startProcess: give readyUrl or readyPattern');
  const child = spawn(command, args, {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  if (child.pid === undefined) {
    // spawn failed (no such command): its 'error' event says why.
    const error = await new Promise((resolve) => child.once('error', resolve));
    throw new Error(`${name} could not start (${command}): ${error.message}`);
  }
  children.add(child);
  const output = [];
  let stdout = '';
  for (const stream of [child.stdout, child.stderr]) {
    stream.setEncoding('utf8');
    stream.on('data', (s) => {
      output.push(s);
      if (stream === child.stdout) stdout += s;
      if (process.env.PORTCULLIS_E2E_LOG) process.stderr.write(`[${name}] ${s}`);
    });
  }
  let exited = null;
  child.once('exit', (code, signal) => {
    exited = { code, signal };
    children.delete(child);
  });
  const proc = {
    child,
    url: readyUrl,
    output: () => output.join(''),
    /** SIGTERM to the process group (SIGKILL after 5 s); resolves once it has exited. */
    async stop() {
      if (exited) return;
      const done = new Promise((resolve) => child.once('exit', resolve));
      process.kill(-child.pid, 'SIGTERM');
      const timer = setTimeout(() => process.kill(-child.pid, 'SIGKILL'), 5_000);
      await done;
      clearTimeout(timer);
    },
  };

  const deadline = Date.now() + timeout;
  for (;;) {
    if (exited) throw new Error(`${name} exited (${exited.code ?? exited.signal}) before it was ready:\n${proc.output()}`);
    if (readyPattern) {
      const m = readyPattern.exec(stdout);
      if (m) {
        proc.url = m[1] ?? m[0];
        return proc;
      }
    } else {
      try {
        const res = await fetch(readyUrl, { redirect: 'manual', signal: AbortSignal.timeout(2_000) });
        await res.arrayBuffer();
        return proc;
      } catch {
        // not listening yet
      }
    }
    if (Date.now() > deadline) {
      // Output that arrived while this loop was not running (a busy machine) is read first: a
      // process that did print its ready line is not failed for our own lateness.
      await new Promise((resolve) => setImmediate(resolve));
      const late = readyPattern?.exec(stdout);
      if (late) {
        proc.url = late[1] ?? late[0];
        return proc;
      }
      await proc.stop();
      throw new Error(`${name} was not ready (${readyUrl ?? readyPattern}) within ${timeout} ms:\n${proc.output()}`);
    }
    await sleep(readyPattern ? 20 : 100); // poll interval
  }
}

/**
 * Starts one of examples/apis-express's APIs (`tv-shows.mjs`, `billing.mjs`) with `env`
 * (ISSUER_BASE_URL, AUDIENCE, CORS_ORIGINS…) on a port of its choosing (PORT=0), ready once it
 * prints where it listens. Returns startProcess's `{ url (its origin), output(), stop() }`.
 */
export function startApi(script, env) {
  return startProcess(script, [script], {
    cwd: exampleDir('apis-express'),
    env: { PORT: '0', ...env },
    readyPattern: /listening on (http:\/\/localhost:\d+)/,
  });
}

/**
 * Starts one of the Rust SDK examples (`cargo run -p portcullis-bearer --example NAME`) from the
 * workspace's build (next to PORTCULLIS_BIN), building it first if it is missing, on a port of its
 * choosing (PORT=0). Returns startProcess's `{ url (its origin), output(), stop() }`.
 */
export async function startRustExample(crate, example, env) {
  const binary = path.join(path.dirname(PORTCULLIS_BIN), 'examples', example);
  if (!fs.existsSync(binary)) {
    await runAsync('cargo', ['build', '-p', crate, '--example', example], { cwd: path.resolve(EXAMPLES_DIR, '..') });
  }
  return startProcess(example, [], {
    command: binary,
    env: { PORT: '0', ...env },
    readyPattern: /listening on (http:\/\/[\d.]+:\d+)/,
  });
}

/**
 * Starts examples/express-openid-connect (an Auth0 SDK app) on `port` for `provider` with the
 * application `clientId`/`clientSecret` (`env` added, e.g. BILLING_API_AUDIENCE), ready once its
 * home page answers. Returns startProcess's handle with `origin` set.
 */
export async function startExpressOidcApp({ provider, port, clientId, clientSecret, cookieSecret, env = {} }) {
  const origin = `http://localhost:${port}`;
  const app = await startProcess('server.js', ['server.js'], {
    cwd: exampleDir('express-openid-connect'),
    env: {
      NODE_ENV: 'development',
      PORT: String(port),
      ISSUER_BASE_URL: provider.origin,
      BASE_URL: origin,
      CLIENT_ID: clientId,
      CLIENT_SECRET: clientSecret,
      SECRET: cookieSecret,
      ...env,
    },
    readyUrl: `${origin}/`,
  });
  app.origin = origin;
  return app;
}

/**
 * Polls `condition` (sync or async) every `interval` ms until it returns something truthy, and
 * returns that; throws "timed out waiting for `what`" after `timeout` ms.
 */
export async function waitUntil(condition, what, { timeout = 30_000, interval = 100 } = {}) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await condition();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(interval);
  }
}
