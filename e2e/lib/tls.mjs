// https on loopback for clients that only speak https (the `auth0` npm AuthenticationClient
// always calls `https://{domain}` and checks ID tokens against the issuer `https://{domain}/`):
// a throw-away self-signed certificate for `localhost` made with openssl, a TLS-terminating
// proxy in front of the provider, and a `fetch` that trusts that certificate (passed to the SDK
// through its documented `fetch` option; Node's global fetch has no per-call CA option).

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';

/** A self-signed certificate for `localhost` (and 127.0.0.1): `{ key, cert }` in PEM. */
export function localhostCertificate() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'portcullis-e2e-tls-'));
  const key = path.join(dir, 'key.pem');
  const cert = path.join(dir, 'cert.pem');
  const r = spawnSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
  ], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl failed: ${r.stderr}`);
  const pems = { key: fs.readFileSync(key, 'utf8'), cert: fs.readFileSync(cert, 'utf8') };
  fs.rmSync(dir, { recursive: true, force: true });
  return pems;
}

/**
 * Listens with TLS on `port` (127.0.0.1) and forwards every request to the plain-http server on
 * `targetPort`. Returns `{ close() }`.
 */
export async function startTlsProxy({ port, targetPort, key, cert }) {
  const server = https.createServer({ key, cert }, (req, res) => {
    const upstream = http.request(
      { host: '127.0.0.1', port: targetPort, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', (e) => res.destroy(e));
    req.pipe(upstream);
  });
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  return {
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A `fetch(url, init)` over Node's https that trusts `ca` (string and URLSearchParams bodies). */
export function fetchTrusting(ca) {
  return (input, init = {}) =>
    new Promise((resolve, reject) => {
      const url = new URL(typeof input === 'string' ? input : input.url);
      const headers = Object.fromEntries(new Headers(init.headers ?? {}));
      const body = init.body == null ? undefined : String(init.body);
      if (body !== undefined) headers['content-length'] = Buffer.byteLength(body);
      const req = https.request(url, { method: init.method ?? 'GET', headers, ca }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const answer = new Headers();
          for (const [k, v] of Object.entries(res.headers)) {
            for (const one of [v].flat()) answer.append(k, one);
          }
          const status = res.statusCode;
          const payload = status === 204 || status === 304 ? null : Buffer.concat(chunks);
          resolve(new Response(payload, { status, headers: answer }));
        });
      });
      req.on('error', reject);
      init.signal?.addEventListener('abort', () => req.destroy(new Error('aborted')));
      req.end(body);
    });
}
