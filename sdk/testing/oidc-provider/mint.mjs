// Mints test access tokens with `jose`, independently of the Rust code under test.
//
// stdin:  {"issuer": "...", "audience": "...", "now": <seconds>}
// stdout: {"jwks": {"before": {...}, "after": {...}}, "tokens": {"name": "<jwt>", ...}}
//
// "before" publishes keys a (RS256) and b (ES256); "after" (a rotation) publishes c (RS256) and b.
import { generateKeyPair, exportJWK, SignJWT, UnsecuredJWT } from 'jose';
import { createHmac } from 'node:crypto';

const input = JSON.parse(await new Promise((resolve) => {
  let data = '';
  process.stdin.on('data', (c) => { data += c; });
  process.stdin.on('end', () => resolve(data));
}));
const { issuer, audience, now } = input;

const a = await generateKeyPair('RS256', { extractable: true });
const b = await generateKeyPair('ES256', { extractable: true });
const c = await generateKeyPair('RS256', { extractable: true });
const rogue = await generateKeyPair('RS256', { extractable: true });
const ed = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });

const pub = async (pair, kid, alg) => ({ ...(await exportJWK(pair.publicKey)), kid, alg, use: 'sig' });
const ja = await pub(a, 'a', 'RS256');
const jb = await pub(b, 'b', 'ES256');
const jc = await pub(c, 'c', 'RS256');
const jed = await pub(ed, 'ed', 'EdDSA');

const base = {
  iss: issuer,
  aud: audience,
  sub: 'user-123',
  client_id: 'client-abc',
  iat: now,
  exp: now + 600,
  scope: 'read:shows write:shows',
  permissions: ['billing:read', 'reports:read'],
  'https://example.com/tenant': 'acme',
};

const sign = (claims, key, header) => new SignJWT(claims).setProtectedHeader(header).sign(key);

const tokens = {
  valid: await sign(base, a.privateKey, { alg: 'RS256', kid: 'a', typ: 'at+jwt' }),
  valid_es256_aud_array: await sign({ ...base, aud: ['https://other.example', audience] }, b.privateKey, { alg: 'ES256', kid: 'b', typ: 'at+jwt' }),
  valid_eddsa: await sign(base, ed.privateKey, { alg: 'EdDSA', kid: 'ed', typ: 'at+jwt' }),
  scope_array: await sign({ ...base, scope: ['read:shows'] }, a.privateKey, { alg: 'RS256', kid: 'a', typ: 'at+jwt' }),
  no_scope: await sign((({ scope, permissions, ...rest }) => rest)(base), a.privateKey, { alg: 'RS256', kid: 'a', typ: 'at+jwt' }),
  typ_jwt: await sign(base, a.privateKey, { alg: 'RS256', kid: 'a', typ: 'JWT' }),
  wrong_iss: await sign({ ...base, iss: issuer.replace(/\/$/, '') }, a.privateKey, { alg: 'RS256', kid: 'a' }),
  wrong_aud: await sign({ ...base, aud: 'https://other.example' }, a.privateKey, { alg: 'RS256', kid: 'a' }),
  no_aud: await sign((({ aud, ...rest }) => rest)(base), a.privateKey, { alg: 'RS256', kid: 'a' }),
  expired: await sign({ ...base, iat: now - 700, exp: now - 60 }, a.privateKey, { alg: 'RS256', kid: 'a' }),
  expired_within_leeway: await sign({ ...base, exp: now - 2 }, a.privateKey, { alg: 'RS256', kid: 'a' }),
  no_exp: await sign((({ exp, ...rest }) => rest)(base), a.privateKey, { alg: 'RS256', kid: 'a' }),
  not_yet_valid: await sign({ ...base, nbf: now + 600 }, a.privateKey, { alg: 'RS256', kid: 'a' }),
  alg_none: new UnsecuredJWT(base).encode(),
  unknown_kid: await sign(base, rogue.privateKey, { alg: 'RS256', kid: 'zzz' }),
  forged_same_kid: await sign(base, rogue.privateKey, { alg: 'RS256', kid: 'a' }),
  rs_key_es_alg: await sign(base, b.privateKey, { alg: 'ES256', kid: 'a' }),
  rotated: await sign(base, c.privateKey, { alg: 'RS256', kid: 'c', typ: 'at+jwt' }),
  no_kid: await sign(base, b.privateKey, { alg: 'ES256' }),
};

// HS256 "key confusion": signed with the RSA public key (as its JWK JSON and as PEM-like text)
// used as an HMAC secret. Built by hand because jose refuses to do this.
const b64u = (s) => Buffer.from(s).toString('base64url');
const hsWith = (secret, claims) => {
  const input = `${b64u(JSON.stringify({ alg: 'HS256', kid: 'a', typ: 'at+jwt' }))}.${b64u(JSON.stringify(claims))}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
};
tokens.hs256_public_key = hsWith(JSON.stringify(ja), base);
tokens.hs256_shared_secret = hsWith('a-shared-secret-that-is-long-enough!', base);

process.stdout.write(JSON.stringify({
  jwks: { before: { keys: [ja, jb, jed] }, after: { keys: [jc, jb, jed] } },
  tokens,
}));
