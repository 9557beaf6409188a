// panva's oidc-provider configured like the Portcullis tenant of side-by-side.mjs: RS256, one
// confidential web client (code + PKCE, rotating refresh tokens), one M2M client allowed
// client_credentials for one API (JWT access tokens), one user whose password is an argon2id
// hash at OWASP's parameters (Portcullis's), in memory (MapAdapter below). Run with
// NODE_ENV=production.
//
//   PORT=… BENCH_SECRET=… BENCH_PASSWORD=… node peer.mjs
//
// Prints `listening <port>` once it accepts connections.

import { createServer } from 'node:http';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import argon2 from 'argon2';
import Provider from 'oidc-provider';

const port = Number(process.env.PORT ?? 0);
const secret = process.env.BENCH_SECRET;
const password = process.env.BENCH_PASSWORD;
const callback = process.env.BENCH_CALLBACK;
const api = process.env.BENCH_API;
const email = process.env.BENCH_EMAIL;

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'bench', use: 'sig', alg: 'RS256' };

// argon2id, m = 19 MiB, t = 2, p = 1: the parameters Portcullis hashes with.
const passwordHash = await argon2.hash(password, {
  type: argon2.argon2id,
  memoryCost: 19456,
  timeCost: 2,
  parallelism: 1,
});
const account = {
  accountId: 'usr_bench',
  async claims() {
    return { sub: 'usr_bench', email, email_verified: true, name: 'Bench' };
  },
};

// The bundled quick-start adapter is an LRU of 1000 entries: under this load it evicts live codes,
// grants and sessions (and a code it forgot looks replayed, which revokes the grant). This one
// keeps every entry until it expires, like a database would.
const entries = new Map(); // `${model}:${id}` -> { payload, expiresAt }
const grantMembers = new Map(); // grantId -> Set of entry keys
const live = (key) => {
  const entry = entries.get(key);
  if (entry && entry.expiresAt <= Date.now()) {
    entries.delete(key);
    return undefined;
  }
  return entry;
};
class MapAdapter {
  constructor(model) {
    this.model = model;
  }
  key(id) {
    return `${this.model}:${id}`;
  }
  async upsert(id, payload, expiresIn) {
    const key = this.key(id);
    const expiresAt = expiresIn ? Date.now() + expiresIn * 1000 : Infinity;
    entries.set(key, { payload, expiresAt });
    if (payload.grantId) {
      if (!grantMembers.has(payload.grantId)) grantMembers.set(payload.grantId, new Set());
      grantMembers.get(payload.grantId).add(key);
    }
    if (payload.uid) entries.set(`sessionUid:${payload.uid}`, { payload: id, expiresAt });
  }
  async find(id) {
    return live(this.key(id))?.payload;
  }
  async findByUid(uid) {
    const id = live(`sessionUid:${uid}`)?.payload;
    return id === undefined ? undefined : this.find(id);
  }
  async findByUserCode() {
    return undefined;
  }
  async consume(id) {
    const entry = live(this.key(id));
    if (entry) entry.payload.consumed = Math.floor(Date.now() / 1000);
  }
  async destroy(id) {
    entries.delete(this.key(id));
  }
  async revokeByGrantId(grantId) {
    for (const key of grantMembers.get(grantId) ?? []) entries.delete(key);
    grantMembers.delete(grantId);
  }
}

const server = createServer();
server.listen(port, '127.0.0.1');
await new Promise((resolve) => server.once('listening', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  adapter: MapAdapter,
  clients: [
    {
      client_id: 'bench-web',
      client_secret: secret,
      redirect_uris: [callback],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_post',
    },
    {
      client_id: 'bench-m2m',
      client_secret: secret,
      redirect_uris: [],
      response_types: [],
      grant_types: ['client_credentials'],
      token_endpoint_auth_method: 'client_secret_post',
    },
  ],
  jwks: { keys: [signingKey] },
  cookies: { keys: [randomBytes(32).toString('base64url')] },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  findAccount: async (_ctx, sub) => (sub === 'usr_bench' ? account : undefined),
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => undefined,
      useGrantedResource: () => false,
      getResourceServerInfo: (_ctx, resource) => {
        if (resource !== api) throw new Provider.errors.InvalidTarget();
        return {
          scope: 'read:bench',
          audience: api,
          accessTokenTTL: 3600,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        };
      },
    },
  },
  // Like Portcullis: a refresh token for the web client whenever it may use the grant, each one
  // single use (rotated on every refresh).
  issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
  rotateRefreshToken: true,
  pkce: { required: () => true },
  ttl: {
    AccessToken: 86400,
    AuthorizationCode: 60,
    IdToken: 36000,
    RefreshToken: 2592000,
    Interaction: 3600,
    Session: 604800,
    Grant: 2592000,
  },
});

/** Reads an `application/x-www-form-urlencoded` body. */
async function form(req) {
  let body = '';
  for await (const chunk of req) body += chunk;
  return new URLSearchParams(body);
}

const page = (uid) =>
  `<!doctype html><form method="post" action="/interaction/${uid}/login">` +
  '<input name="email"><input name="password" type="password"><button>Sign in</button></form>';

async function interaction(req, res) {
  try {
    const details = await provider.interactionDetails(req, res);
    if (req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(page(details.uid));
      return;
    }
    const fields = await form(req);
    const ok =
      fields.get('email') === email && (await argon2.verify(passwordHash, fields.get('password') ?? ''));
    if (!ok) {
      res.writeHead(400, { 'content-type': 'text/html; charset=utf-8' });
      res.end(page(details.uid));
      return;
    }
    // A first-party client: the grant is given with the sign-in (Portcullis skips consent too).
    const grant = new provider.Grant({ accountId: account.accountId, clientId: details.params.client_id });
    grant.addOIDCScope(details.params.scope);
    const grantId = await grant.save();
    await provider.interactionFinished(
      req,
      res,
      { login: { accountId: account.accountId }, consent: { grantId } },
      { mergeWithLastSubmission: false },
    );
  } catch (error) {
    res.writeHead(400, { 'content-type': 'text/plain' });
    res.end(String(error?.message ?? error));
  }
}

provider.on('server_error', (_ctx, error) => console.error('oidc-provider server_error:', error));

const callbackHandler = provider.callback();
server.on('request', (req, res) => {
  if (req.url.startsWith('/interaction/')) interaction(req, res);
  else callbackHandler(req, res);
});
console.log(`listening ${server.address().port}`);
