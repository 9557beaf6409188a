// Mints DPoP-bound access tokens and DPoP proofs (RFC 9449) with `jose`, independently of the
// Rust code under test.
//
// stdin:  {"issuer": "...", "audience": "...", "now": <seconds>, "htu": "...", "htm": "GET"}
// stdout: {"jwks": {...}, "tokens": {"bound": "<jwt>", "plain": "<jwt>"}, "proofs": {"name": "<jwt>", ...}}
import { generateKeyPair, exportJWK, SignJWT, calculateJwkThumbprint } from 'jose';
import { createHash, randomUUID } from 'node:crypto';

const input = JSON.parse(await new Promise((resolve) => {
  let data = '';
  process.stdin.on('data', (c) => { data += c; });
  process.stdin.on('end', () => resolve(data));
}));
const { issuer, audience, now, htu, htm } = input;

const as = await generateKeyPair('RS256', { extractable: true });
const client = await generateKeyPair('ES256', { extractable: true });
const other = await generateKeyPair('ES256', { extractable: true });
const asJwk = { ...(await exportJWK(as.publicKey)), kid: 'as', alg: 'RS256', use: 'sig' };
const clientJwk = await exportJWK(client.publicKey);
const clientPrivateJwk = await exportJWK(client.privateKey);
const otherJwk = await exportJWK(other.publicKey);
const jkt = await calculateJwkThumbprint(clientJwk, 'sha256');

const base = { iss: issuer, aud: audience, sub: 'user-1', iat: now, exp: now + 600, scope: 'read:shows' };
const header = { alg: 'RS256', kid: 'as', typ: 'at+jwt' };
const bound = await new SignJWT({ ...base, cnf: { jkt } }).setProtectedHeader(header).sign(as.privateKey);
const plain = await new SignJWT(base).setProtectedHeader(header).sign(as.privateKey);
const ath = (token) => createHash('sha256').update(token).digest('base64url');

const proof = async ({ claims = {}, key = client.privateKey, jwk = clientJwk, typ = 'dpop+jwt', token = bound } = {}) => {
  const payload = { htm, htu, iat: now, jti: randomUUID(), ath: ath(token), ...claims };
  for (const [k, v] of Object.entries(payload)) if (v === undefined) delete payload[k];
  return new SignJWT(payload).setProtectedHeader({ alg: 'ES256', typ, jwk }).sign(key);
};

const proofs = {
  valid: await proof(),
  valid_again: await proof(),
  htu_with_query: await proof({ claims: { htu: `${htu}?page=2#top` } }),
  for_plain: await proof({ token: plain }),
  wrong_htm: await proof({ claims: { htm: htm === 'GET' ? 'POST' : 'GET' } }),
  wrong_htu: await proof({ claims: { htu: `${htu}/other` } }),
  old_iat: await proof({ claims: { iat: now - 301 } }),
  future_iat: await proof({ claims: { iat: now + 60 } }),
  no_ath: await proof({ claims: { ath: undefined } }),
  no_jti: await proof({ claims: { jti: undefined } }),
  wrong_typ: await proof({ typ: 'JWT' }),
  private_jwk: await proof({ jwk: clientPrivateJwk }),
  other_key: await proof({ key: other.privateKey, jwk: otherJwk }),
  jwk_mismatch: await proof({ key: other.privateKey }),
};

process.stdout.write(JSON.stringify({ jwks: { keys: [asJwk] }, jkt, tokens: { bound, plain }, proofs }));
