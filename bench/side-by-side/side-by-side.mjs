// Side-by-side benchmark: Portcullis (release binary) and panva's oidc-provider, same tenant,
// same load generator (wrk), servers alternating within every round. Prints one table per
// database backend: requests/s, p50/p99 and server CPU milliseconds per request (utime + stime of
// the server process from /proc/<pid>/stat), plus resident memory idle and after the flows.
//
//   node side-by-side.mjs [--smoke] [--rounds N] [--seconds S] [--connections C]
//                         [--signins N] [--backends sqlite,postgres] [--scenarios a,b]
//                         [--only portcullis,oidc-provider] [--binary PATH] [--before PATH]
//
// bench/README.md explains the scenarios and how to read the numbers.

import { spawn, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..');

const SECRET = 'bench-secret-bench-secret-bench-secret-0000';
const PASSWORD = 'bench password 1234';
const EMAIL = 'bench@example.com';
const CALLBACK = 'http://localhost:3000/callback';
const API = 'https://api.bench.example';
const VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';
const TICKS = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());

function options() {
  const args = process.argv.slice(2);
  const smoke = args.includes('--smoke');
  const value = (name, fallback) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : fallback;
  };
  return {
    smoke,
    rounds: Number(value('--rounds', smoke ? 1 : 3)),
    seconds: Number(value('--seconds', smoke ? 1 : 5)),
    connections: Number(value('--connections', smoke ? 8 : 64)),
    signins: Number(value('--signins', smoke ? 8 : 200)),
    backends: value('--backends', 'sqlite,postgres').split(','),
    only: value('--only', 'portcullis,portcullis-before,oidc-provider').split(','),
    before: value('--before', undefined),
    binary: value('--binary', process.env.PORTCULLIS_BIN ?? join(repo, 'target', 'release', 'portcullis')),
    order: value('--scenarios', 'discovery,jwks,client_credentials,code,refresh,userinfo,signin').split(','),
  };
}

// ---------------------------------------------------------------------------------------------
// Process helpers

async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** utime + stime of `pid` in milliseconds. */
function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS;
}

/** Resident memory of `pid` in MB. */
function rssMb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)[1]);
  return kb / 1024;
}

async function waitFor(url, child) {
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`${url}: the server exited (${child.exitCode})`);
    try {
      const r = await fetch(url);
      if (r.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url}: no answer within 60 s`);
}

function stop(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', resolve);
    child.kill('SIGTERM');
  });
}

// ---------------------------------------------------------------------------------------------
// A tiny cookie jar and redirect-free fetch, for the browser steps

class Browser {
  constructor() {
    this.cookies = new Map();
  }
  async fetch(url, init = {}) {
    const headers = { ...(init.headers ?? {}) };
    if (this.cookies.size) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const r = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const c of r.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (value === '' || /max-age=0|expires=thu, 01 jan 1970/i.test(c)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return r;
  }
}

const formBody = (fields) => new URLSearchParams(fields).toString();
const formHeaders = { 'content-type': 'application/x-www-form-urlencoded' };
const codeOf = (location) => new URL(location).searchParams.get('code');

// ---------------------------------------------------------------------------------------------
// The two servers. Each knows how to start, its endpoint paths, and its browser steps.

/** Portcullis from the release binary at `binary`, shown as `name`. */
const portcullisServer = (name, binary) => ({
  name,
  async start(opts, backend) {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-side-by-side-'));
    const tenant = join(dir, 'tenant.toml');
    writeFileSync(
      tenant,
      `version = 1
[[applications]]
client_id = "bench-web"
name = "Bench web"
app_type = "regular_web"
callbacks = ["${CALLBACK}"]
grant_types = ["authorization_code", "refresh_token"]
client_secret = "${SECRET}"

[[applications]]
client_id = "bench-m2m"
name = "Bench M2M"
app_type = "non_interactive"
client_secret = "${SECRET}"

[[apis]]
identifier = "${API}"
name = "Bench"
scopes = [{ value = "read:bench", description = "Read" }]
token_lifetime = 86400

[[client_grants]]
client_id = "bench-m2m"
audience = "${API}"
scopes = ["read:bench"]

[[users]]
email = "${EMAIL}"
user_id = "usr_bench"
password = "${PASSWORD}"
email_verified = true
name = "Bench"
`,
    );
    let database = `sqlite://${join(dir, 'portcullis.db')}`;
    let dropDatabase = () => {};
    if (backend === 'postgres') {
      const name = `portcullis_bench_${process.pid}_${port}`;
      psql(`CREATE DATABASE ${name}`);
      database = `postgres://postgres@127.0.0.1:5432/${name}`;
      dropDatabase = () => psql(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    }
    // The script's own variable is not a server setting (the server would warn about it).
    const { PORTCULLIS_BIN: _bin, ...inherited } = process.env;
    const child = spawn(binary, ['serve'], {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: {
        ...inherited,
        PORTCULLIS_LISTEN: `127.0.0.1:${port}`,
        PORTCULLIS_ISSUER: `http://127.0.0.1:${port}/`,
        PORTCULLIS_DATA_DIR: dir,
        PORTCULLIS_DATABASE_URL: database,
        PORTCULLIS_TENANT_FILE: tenant,
        PORTCULLIS_MASTER_KEY: randomBytes(32).toString('base64'),
        PORTCULLIS_LOG_LEVEL: 'warn',
        PORTCULLIS_MAX_FAILED_LOGINS: '1000000000',
        // Builds before #12 counted every in-flight secret check against this limit, so 64
        // parallel requests from one address were partly refused: lifted, so that such a
        // build can be compared (--before) on the work it does.
        PORTCULLIS_MAX_FAILED_CLIENT_AUTH: '1000000000',
        PORTCULLIS_SIGNUP: 'false',
      },
    });
    const base = `http://127.0.0.1:${port}`;
    await waitFor(`${base}/.well-known/openid-configuration`, child);
    return {
      base,
      pid: child.pid,
      async stop() {
        await stop(child);
        dropDatabase();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
  paths: {
    discovery: '/.well-known/openid-configuration',
    jwks: '/.well-known/jwks.json',
    token: '/oauth/token',
    userinfo: '/userinfo',
  },
  clientCredentials: { grant_type: 'client_credentials', audience: API, scope: 'read:bench' },
  authorizeUrl(base) {
    const q = new URLSearchParams({
      client_id: 'bench-web',
      response_type: 'code',
      redirect_uri: CALLBACK,
      scope: 'openid profile email offline_access',
      state: 'bench-state',
      code_challenge: CHALLENGE,
      code_challenge_method: 'S256',
    });
    return `${base}/authorize?${q}`;
  },
  /** The whole sign-in: /authorize, the sign-in page, the password; returns the code. */
  async signIn(base, browser) {
    let r = await browser.fetch(this.authorizeUrl(base));
    const login = new URL(r.headers.get('location'), base);
    const html = await (await browser.fetch(login)).text();
    const field = (name) => new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1];
    r = await browser.fetch(`${base}/u/login`, {
      method: 'POST',
      headers: formHeaders,
      body: formBody({ state: field('state'), csrf: field('csrf'), email: EMAIL, password: PASSWORD }),
    });
    const location = r.headers.get('location');
    if (!location?.startsWith(CALLBACK)) throw new Error(`portcullis sign-in: ${r.status} ${location}`);
    return codeOf(location);
  },
  /** A code for a browser that already has a session (SSO, no page). */
  async code(base, browser) {
    const r = await browser.fetch(this.authorizeUrl(base));
    const location = r.headers.get('location');
    if (!location?.startsWith(CALLBACK)) throw new Error(`portcullis authorize: ${r.status} ${location}`);
    return codeOf(location);
  },
});

const peer = {
  name: 'oidc-provider',
  async start() {
    const port = await freePort();
    const child = spawn(process.execPath, [join(here, 'peer.mjs')], {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: {
        ...process.env,
        NODE_ENV: 'production',
        PORT: String(port),
        BENCH_SECRET: SECRET,
        BENCH_PASSWORD: PASSWORD,
        BENCH_EMAIL: EMAIL,
        BENCH_CALLBACK: CALLBACK,
        BENCH_API: API,
      },
    });
    const base = `http://127.0.0.1:${port}`;
    await waitFor(`${base}/.well-known/openid-configuration`, child);
    return { base, pid: child.pid, stop: () => stop(child) };
  },
  paths: {
    discovery: '/.well-known/openid-configuration',
    jwks: '/jwks',
    token: '/token',
    userinfo: '/me',
  },
  clientCredentials: { grant_type: 'client_credentials', resource: API, scope: 'read:bench' },
  authorizeUrl(base) {
    const q = new URLSearchParams({
      client_id: 'bench-web',
      response_type: 'code',
      redirect_uri: CALLBACK,
      scope: 'openid profile email offline_access',
      state: 'bench-state',
      code_challenge: CHALLENGE,
      code_challenge_method: 'S256',
    });
    return `${base}/auth?${q}`;
  },
  async signIn(base, browser) {
    let r = await browser.fetch(this.authorizeUrl(base));
    const interaction = new URL(r.headers.get('location'), base);
    await (await browser.fetch(interaction)).text();
    r = await browser.fetch(`${interaction}/login`, {
      method: 'POST',
      headers: formHeaders,
      body: formBody({ email: EMAIL, password: PASSWORD }),
    });
    r = await browser.fetch(new URL(r.headers.get('location'), base));
    const location = r.headers.get('location');
    if (!location?.startsWith(CALLBACK)) throw new Error(`oidc-provider sign-in: ${r.status} ${location}`);
    return codeOf(location);
  },
  async code(base, browser) {
    const r = await browser.fetch(this.authorizeUrl(base));
    const location = r.headers.get('location');
    if (!location?.startsWith(CALLBACK)) throw new Error(`oidc-provider authorize: ${r.status} ${location}`);
    return codeOf(location);
  },
};

function psql(sql) {
  execFileSync('psql', ['-h', '127.0.0.1', '-U', 'postgres', '-d', 'postgres', '-qc', sql], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

// ---------------------------------------------------------------------------------------------
// Scenarios

const exchangeBody = (code) =>
  formBody({
    grant_type: 'authorization_code',
    code,
    redirect_uri: CALLBACK,
    code_verifier: VERIFIER,
    client_id: 'bench-web',
    client_secret: SECRET,
  });

async function exchange(server, base, code) {
  const r = await fetch(`${base}${server.paths.token}`, {
    method: 'POST',
    headers: formHeaders,
    body: exchangeBody(code),
  });
  const body = await r.json();
  if (!r.ok) throw new Error(`${server.name} code exchange: ${JSON.stringify(body)}`);
  return body;
}

/** `n` codes from a signed-in browser, minted `parallel` at a time. */
async function mintCodes(server, base, browser, n, parallel = 8) {
  const codes = [];
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      let failures = 0;
      while (codes.length < n) {
        try {
          codes.push(await server.code(base, browser));
        } catch (error) {
          // A keep-alive connection the server closed just as it was reused: try again.
          if (++failures > 3) throw error;
        }
      }
    }),
  );
  return codes.slice(0, n);
}

/** Runs wrk; returns its requests, requests/s, p50/p99 in ms and error count. */
function wrk(opts, url, script, env) {
  // A long timeout: a request wrk gave up on would break a refresh chain or waste a code.
  const args = ['-t', '2', '-c', String(opts.connections), '-d', `${opts.seconds}s`, '--timeout', '30s', '--latency'];
  if (script) args.push('-s', join(here, 'lua', script));
  if (env.HEADER) args.push('-H', env.HEADER);
  args.push(url);
  const out = execFileSync('wrk', args, { env: { ...process.env, BENCH_THREADS: '2', ...env } }).toString();
  if (process.env.BENCH_DEBUG) process.stderr.write(out);
  const ms = (text) => {
    const [, n, unit] = /([\d.]+)(us|ms|s)/.exec(text);
    return Number(n) * { us: 0.001, ms: 1, s: 1000 }[unit];
  };
  const requests = Number(/(\d+) requests in/.exec(out)[1]);
  const errors =
    Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0) +
    (/Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/
      .exec(out)
      ?.slice(1)
      .reduce((a, b) => a + Number(b), 0) ?? 0);
  return {
    requests,
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)[1]),
    p50: ms(/\s50%\s+(\S+)/.exec(out)[1]),
    p99: ms(/\s99%\s+(\S+)/.exec(out)[1]),
    errors,
  };
}

/** Measures one wrk run against a started server: wrk's numbers plus server CPU per request. */
function measured(instance, fn) {
  const before = cpuMs(instance.pid);
  const result = fn();
  const cpu = cpuMs(instance.pid) - before;
  return { ...result, cpuPerRequest: cpu / Math.max(result.requests, 1) };
}

/** Everything a scenario needs that is prepared outside the measured window. */
async function prepare(server, instance, opts) {
  const browser = new Browser();
  const code = await server.signIn(instance.base, browser);
  const tokens = await exchange(server, instance.base, code);
  return { browser, access: tokens.access_token };
}

const scenarios = {
  discovery: async (s, i, opts) => measured(i, () => wrk(opts, `${i.base}${s.paths.discovery}`, null, {})),
  jwks: async (s, i, opts) => measured(i, () => wrk(opts, `${i.base}${s.paths.jwks}`, null, {})),
  client_credentials: async (s, i, opts) =>
    measured(i, () =>
      wrk(opts, `${i.base}${s.paths.token}`, 'post.lua', {
        BENCH_BODY: formBody({ ...s.clientCredentials, client_id: 'bench-m2m', client_secret: SECRET }),
      }),
    ),
  code: async (s, i, opts, prepared) => {
    // Enough codes for the run at a generous rate; a thread that spent its share stops early.
    const n = opts.smoke ? 200 : Math.max(2000, opts.seconds * 4000);
    const codes = await mintCodes(s, i.base, prepared.browser, n);
    const file = join(tmpdir(), `bench-codes-${process.pid}`);
    writeFileSync(file, codes.join('\n') + '\n');
    return measured(i, () =>
      wrk(opts, `${i.base}${s.paths.token}`, 'codes.lua', {
        BENCH_CODES: file,
        BENCH_BODY: exchangeBody('CODE'),
      }),
    );
  },
  refresh: async (s, i, opts, prepared) => {
    // One chain per connection, plus one per thread: wrk spends thread 0's first request() on
    // checking the script, and that token is then never sent.
    const codes = await mintCodes(s, i.base, prepared.browser, opts.connections + 2);
    const seeds = [];
    for (const code of codes) seeds.push((await exchange(s, i.base, code)).refresh_token);
    const file = join(tmpdir(), `bench-refresh-${process.pid}`);
    writeFileSync(file, seeds.join('\n') + '\n');
    return measured(i, () =>
      wrk(opts, `${i.base}${s.paths.token}`, 'refresh.lua', {
        BENCH_TOKENS: file,
        BENCH_BODY: formBody({
          grant_type: 'refresh_token',
          refresh_token: 'TOKEN',
          client_id: 'bench-web',
          client_secret: SECRET,
        }),
      }),
    );
  },
  userinfo: async (s, i, opts, prepared) =>
    measured(i, () => wrk(opts, `${i.base}${s.paths.userinfo}`, null, { HEADER: `Authorization: Bearer ${prepared.access}` })),
  // The whole browser sign-in (authorize, page, password, code), driven by this script with a
  // few parallel browsers: argon2id bounds it, so wrk's 64 connections would only queue.
  signin: async (s, i, opts) => {
    const parallel = Math.min(4, opts.signins);
    const latencies = [];
    let errors = 0;
    const before = cpuMs(i.pid);
    const start = performance.now();
    let started = 0;
    await Promise.all(
      Array.from({ length: parallel }, async () => {
        while (started < opts.signins) {
          started++;
          const t = performance.now();
          try {
            await s.signIn(i.base, new Browser());
          } catch {
            errors++;
          }
          latencies.push(performance.now() - t);
        }
      }),
    );
    const seconds = (performance.now() - start) / 1000;
    const cpu = cpuMs(i.pid) - before;
    latencies.sort((a, b) => a - b);
    const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))];
    return {
      requests: latencies.length,
      rps: latencies.length / seconds,
      p50: pct(0.5),
      p99: pct(0.99),
      errors,
      cpuPerRequest: cpu / latencies.length,
    };
  },
};

const labels = {
  discovery: 'discovery',
  jwks: 'JWKS',
  client_credentials: 'client credentials',
  code: 'code exchange',
  refresh: 'refresh (rotating)',
  userinfo: 'userinfo',
  signin: 'password sign-in (flow)',
};

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

async function runBackend(opts, backend) {
  const servers = [portcullisServer('portcullis', opts.binary)];
  // --before BINARY: an older build in the same run, e.g. to show what a change moved.
  if (opts.before) servers.push(portcullisServer('portcullis-before', opts.before));
  servers.push(peer);
  servers.splice(0, servers.length, ...servers.filter((s) => opts.only.includes(s.name)));
  const instances = new Map();
  const prepared = new Map();
  const memory = new Map();
  for (const s of servers) {
    const i = await s.start(opts, backend);
    instances.set(s, i);
    await new Promise((resolve) => setTimeout(resolve, 500));
    memory.set(s, { idle: rssMb(i.pid) });
  }
  for (const s of servers) prepared.set(s, await prepare(s, instances.get(s), opts));

  const results = new Map(); // scenario -> server -> [runs]
  try {
    for (const scenario of opts.order) {
      const perServer = new Map(servers.map((s) => [s, []]));
      results.set(scenario, perServer);
      for (let round = 0; round < opts.rounds; round++) {
        const order = round % 2 ? [...servers].reverse() : servers;
        for (const s of order) {
          const run = await scenarios[scenario](s, instances.get(s), opts, prepared.get(s));
          perServer.get(s).push(run);
          process.stderr.write(
            `  ${backend} ${labels[scenario]} round ${round + 1} ${s.name}: ${run.rps.toFixed(0)} req/s, ` +
              `${run.cpuPerRequest.toFixed(3)} ms CPU/req, p99 ${run.p99.toFixed(2)} ms, ${run.errors} errors\n`,
          );
        }
      }
    }
    // Resident memory once the load is over: allocators return freed memory after a delay (1 s
    // for mimalloc), on their next call, so wait and then ask each server something.
    await new Promise((resolve) => setTimeout(resolve, Number(process.env.BENCH_SETTLE_MS ?? 2000)));
    for (const s of servers) await fetch(`${instances.get(s).base}${s.paths.discovery}`).then((r) => r.text());
    for (const s of servers) memory.get(s).after = rssMb(instances.get(s).pid);
  } finally {
    for (const i of instances.values()) await i.stop();
  }
  return { servers, results, memory };
}

function printTable(opts, backend, { servers, results, memory }) {
  const a = servers[0];
  const b = servers.length > 1 ? servers[servers.length - 1] : undefined;
  const cols = ['endpoint', ...servers.flatMap((s) => [`${s.name} req/s`, 'p50 ms', 'p99 ms', 'CPU ms/req', 'errors'])];
  if (b) cols.push(`CPU ${a.name} / ${b.name}`);
  const lines = [`| ${cols.join(' | ')} |`, `|${cols.map((_, i) => (i ? '---:' : '---')).join('|')}|`];
  for (const [scenario, perServer] of results) {
    const cells = [labels[scenario]];
    const cpu = [];
    for (const s of servers) {
      const runs = perServer.get(s);
      const c = median(runs.map((r) => r.cpuPerRequest));
      cpu.push(c);
      cells.push(
        median(runs.map((r) => r.rps)).toFixed(0),
        median(runs.map((r) => r.p50)).toFixed(2),
        median(runs.map((r) => r.p99)).toFixed(2),
        c.toFixed(3),
        String(runs.reduce((n, r) => n + r.errors, 0)),
      );
    }
    if (b) cells.push((cpu[0] / cpu[cpu.length - 1]).toFixed(2));
    lines.push(`| ${cells.join(' | ')} |`);
  }
  const mem = servers.map((s) => `${s.name} ${memory.get(s).idle.toFixed(0)} MB idle, ${memory.get(s).after.toFixed(0)} MB after`);
  console.log(
    `\n### ${backend === 'postgres' ? 'PostgreSQL' : 'SQLite'}` +
      ` (${opts.rounds} rounds alternating, ${opts.seconds} s each, ${opts.connections} connections, medians)\n`,
  );
  console.log(lines.join('\n'));
  console.log(`\nResident memory: ${mem.join('; ')}.`);
}

const opts = options();
console.log(
  `Side by side: ${opts.only.join(' vs ')}; wrk -t2 -c${opts.connections} -d${opts.seconds}s; ` +
    `${opts.rounds} round(s); ${opts.signins} sign-ins per round; server CPU from /proc/<pid>/stat.`,
);
let failed = false;
for (const backend of opts.backends) {
  const outcome = await runBackend(opts, backend);
  printTable(opts, backend, outcome);
  for (const perServer of outcome.results.values()) {
    for (const runs of perServer.values()) if (runs.some((r) => r.errors > r.requests / 2)) failed = true;
  }
}
if (failed) {
  console.error('error: a scenario failed for more than half of its requests (see the errors columns)');
  process.exit(1);
}
