// nextjs-auth0 v4 cookie encryption with jose + @panva/hkdf, exactly as nextjs-auth0's
// `server/cookies.js` does it, for interoperability tests.
//
// stdin: {"secret": "...", "encrypt": {payload, exp} | null, "decrypt": "<jwe>" | null}
// stdout: {"encrypted": "<jwe>" | null, "decrypted": {...} | null, "error": "<code>" | null}
import { hkdf } from '@panva/hkdf';
import * as jose from 'jose';

const input = JSON.parse(await new Promise((resolve) => {
  let d = '';
  process.stdin.on('data', (c) => { d += c; });
  process.stdin.on('end', () => resolve(d));
}));
const key = await hkdf('sha256', input.secret, '', 'JWE CEK', 32);
const out = { encrypted: null, decrypted: null, error: null };
if (input.encrypt) {
  out.encrypted = await new jose.EncryptJWT(input.encrypt.payload)
    .setProtectedHeader({ enc: 'A256GCM', alg: 'dir' })
    .setExpirationTime(input.encrypt.exp)
    .encrypt(key);
}
if (input.decrypt) {
  try {
    const { payload, protectedHeader } = await jose.jwtDecrypt(input.decrypt, key, { clockTolerance: 15 });
    out.decrypted = { payload, protectedHeader };
  } catch (e) {
    out.error = e.code ?? String(e);
  }
}
process.stdout.write(JSON.stringify(out));
