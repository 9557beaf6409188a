// An independent OpenID provider for the SDK tests: panva's oidc-provider, with its development
// interactions (a sign-in form taking any login/password, and a consent form).
//
// Environment:
//   REDIRECT_URI              the SDK app's /auth/callback (required)
//   POST_LOGOUT_REDIRECT_URI  where logout may return to (required)
//   API_AUDIENCE              resource server whose access tokens are JWTs (default https://api.example)
//
// Listens on 127.0.0.1, port 0, and prints one line: {"issuer": "...", "port": N}.
import http from 'node:http';
import Provider from 'oidc-provider';

const REDIRECT_URI = process.env.REDIRECT_URI;
const POST_LOGOUT_REDIRECT_URI = process.env.POST_LOGOUT_REDIRECT_URI;
const API = process.env.API_AUDIENCE || 'https://api.example';
if (!REDIRECT_URI || !POST_LOGOUT_REDIRECT_URI) {
  console.error('REDIRECT_URI and POST_LOGOUT_REDIRECT_URI are required');
  process.exit(2);
}

const server = http.createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const { port } = server.address();
const issuer = `http://127.0.0.1:${port}`;

const accounts = {
  alice: { sub: 'alice', name: 'Alice Example', email: 'alice@example.com', email_verified: true },
};

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: 'sdk-web-app',
      client_secret: 'sdk-web-app-secret-0123456789abcdef',
      redirect_uris: [REDIRECT_URI],
      post_logout_redirect_uris: [POST_LOGOUT_REDIRECT_URI],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_post',
    },
    {
      client_id: 'sdk-m2m',
      client_secret: 'sdk-m2m-secret-0123456789abcdef',
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_post',
    },
  ],
  async findAccount(ctx, id) {
    const account = accounts[id] ?? { sub: id, name: id, email: id, email_verified: false };
    return { accountId: id, async claims() { return account; } };
  },
  claims: {
    openid: ['sub'],
    profile: ['name'],
    email: ['email', 'email_verified'],
  },
  // Put the profile claims into the ID token, as Auth0 does.
  conformIdTokenClaims: false,
  features: {
    devInteractions: { enabled: true },
    clientCredentials: { enabled: true },
    rpInitiatedLogout: { enabled: true },
    revocation: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => API,
      useGrantedResource: () => true,
      getResourceServerInfo: (ctx, resourceIndicator) => {
        if (resourceIndicator !== API) throw new Error('unknown resource');
        return { scope: 'read:shows write:shows', audience: API, accessTokenFormat: 'jwt', accessTokenTTL: 600, jwt: { sign: { alg: 'RS256' } } };
      },
    },
  },
  pkce: { required: () => true },
  // oidc-provider only issues refresh tokens for offline_access with prompt=consent by default;
  // the SDKs (like nextjs-auth0) never send prompt=consent.
  issueRefreshToken: async (ctx, client) => client.grantTypeAllowed('refresh_token'),
  cookies: { keys: ['sdk-tests-cookie-key-0123456789'], names: { session: 'op_session', interaction: 'op_interaction', resume: 'op_resume' } },
});
provider.proxy = false;

provider.on('server_error', (ctx, err) => console.error('server_error', err));
server.on('request', provider.callback());
process.stdout.write(`${JSON.stringify({ issuer, port })}\n`);
process.on('SIGTERM', () => process.exit(0));
