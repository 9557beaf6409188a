// Express + express-openid-connect in code flow, written as for an Auth0 tenant. Pointing it at
// Portcullis changes only the environment (see README.md): express-openid-connect discovers the
// endpoints from ISSUER_BASE_URL and accepts an http:// issuer for loopback testing by itself.

const express = require('express');
const { auth, requiresAuth } = require('express-openid-connect');

const PORT = Number(process.env.PORT ?? 3000);
const BILLING_API_URL = process.env.BILLING_API_URL ?? 'http://localhost:4002/api/billing-info';
const BILLING_API_AUDIENCE = process.env.BILLING_API_AUDIENCE ?? 'https://api.billing.example';

const app = express();

app.use(
  auth({
    // ISSUER_BASE_URL, BASE_URL, CLIENT_ID, CLIENT_SECRET and SECRET are read from the
    // environment by express-openid-connect itself; they are spelled out here for clarity.
    issuerBaseURL: process.env.ISSUER_BASE_URL,
    baseURL: process.env.BASE_URL ?? `http://localhost:${PORT}`,
    clientID: process.env.CLIENT_ID,
    clientSecret: process.env.CLIENT_SECRET,
    secret: process.env.SECRET,
    authRequired: false,
    idpLogout: true, // log out at the provider too, not only from this app
    authorizationParams: {
      response_type: 'code',
      audience: BILLING_API_AUDIENCE,
      // offline_access: a refresh token for req.oidc.accessToken.refresh().
      scope: 'openid profile email offline_access read:billing',
    },
  }),
);

app.get('/', (req, res) => {
  const body = req.oidc.isAuthenticated()
    ? `<p id="status">Signed in as <b>${escape(req.oidc.user.name)}</b>.</p>
       <ul><li><a href="/profile">Profile</a></li><li><a href="/billing">Billing</a></li><li><a id="logout" href="/logout">Log out</a></li></ul>`
    : `<p id="status">You are signed out.</p><p><a id="login" href="/login">Log in</a> · <a id="signup" href="/signup">Sign up</a></p>`;
  res.send(page('Home', body));
});

// Auth0's documented way to sign in with one connection (e.g. google-oauth2, github) directly,
// skipping the sign-in page.
app.get('/login/:connection', (req, res) =>
  res.oidc.login({ returnTo: '/profile', authorizationParams: { connection: req.params.connection } }),
);

// Auth0's documented way to open the hosted sign-up page instead of the sign-in page.
app.get('/signup', (req, res) =>
  res.oidc.login({ returnTo: '/profile', authorizationParams: { screen_hint: 'signup' } }),
);

// Step-up (Auth0's documented pattern): a sensitive page checks the ID token's `acr` and, when it
// does not say multi-factor, sends the user back to the provider with `acr_values`.
const MFA_ACR = 'http://schemas.openid.net/pape/policies/2007/06/multi-factor';
app.get('/transfer', requiresAuth(), (req, res) => {
  const { acr, amr } = req.oidc.idTokenClaims;
  if (acr !== MFA_ACR) {
    return res.oidc.login({ returnTo: '/transfer', authorizationParams: { acr_values: MFA_ACR } });
  }
  res.send(
    page(
      'Transfer',
      `<p>Multi-factor authentication confirmed.</p>
      <dl><dt>acr</dt><dd id="acr">${escape(acr)}</dd><dt>amr</dt><dd id="amr">${escape((amr ?? []).join(' '))}</dd></dl>
      <p><a href="/profile">Profile</a> · <a id="logout" href="/logout">Log out</a></p>`,
    ),
  );
});

app.get('/profile', requiresAuth(), (req, res) => {
  const user = req.oidc.user;
  res.send(
    page(
      'Profile',
      `<dl>
        <dt>Name</dt><dd id="name">${escape(user.name)}</dd>
        <dt>Email</dt><dd id="email">${escape(user.email)}</dd>
        <dt>User id</dt><dd id="user-id">${escape(user.sub)}</dd>
      </dl>
      <p><a href="/billing">Billing</a> · <a id="logout" href="/logout">Log out</a></p>`,
    ),
  );
});

app.get('/billing', requiresAuth(), async (req, res, next) => {
  try {
    let accessToken = req.oidc.accessToken;
    let refreshed = false;
    if (accessToken.isExpired()) {
      accessToken = await accessToken.refresh();
      refreshed = true;
    }
    const api = await fetch(BILLING_API_URL, {
      headers: { authorization: `${accessToken.token_type} ${accessToken.access_token}` },
    });
    const text = await api.text();
    res.status(api.ok ? 200 : 502).send(
      page(
        'Billing',
        `<p>Billing API: <b id="api-status">${api.status}</b></p>
        <p>WWW-Authenticate: <code id="api-www-authenticate">${escape(api.headers.get('www-authenticate') ?? '')}</code></p>
        <pre id="api-body">${escape(text)}</pre>
        <p>Access token expires in <span id="expires-in">${accessToken.expires_in}</span> s;
           refreshed on this request: <span id="refreshed">${refreshed ? 'yes' : 'no'}</span>.</p>
        <p><a href="/profile">Profile</a> · <a id="logout" href="/logout">Log out</a></p>`,
      ),
    );
  } catch (e) {
    next(e);
  }
});

function escape(s) {
  return String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title, body) {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escape(title)} · Express + express-openid-connect</title>
<style>body{font-family:system-ui,sans-serif;max-width:44rem;margin:2rem auto;padding:0 1rem}dt{font-weight:600}pre{background:#f4f4f4;padding:.75rem;white-space:pre-wrap;word-break:break-all}</style>
</head><body><h1>${escape(title)}</h1>${body}</body></html>`;
}

app.listen(PORT, '127.0.0.1', () => console.log(`express-openid-connect listening on port ${PORT}`));
