// The guide's custom-server model: Express + express-session + passport + passport-auth0.
// Written as for an Auth0 tenant; pointing it at Portcullis changes only the environment
// (see README.md). The one Portcullis-specific knob is AUTH0_HTTP=true, for plain-http loopback
// testing: passport-auth0 hard-codes https://{domain}/…, so its documented URL options
// (authorizationURL, tokenURL, userInfoURL, expectedIssuer) are then set to http://{domain}/….

const querystring = require('node:querystring');
const express = require('express');
const session = require('express-session');
const passport = require('passport');
const Auth0Strategy = require('passport-auth0');
const refresh = require('passport-oauth2-refresh');

function required(name) {
  const value = process.env[name];
  if (!value) {
    console.error(`Set ${name} (see README.md)`);
    process.exit(1);
  }
  return value;
}

const PORT = Number(process.env.PORT ?? 3000);
const BASE_URL = (process.env.BASE_URL ?? `http://localhost:${PORT}`).replace(/\/$/, '');
const AUTH0_DOMAIN = required('AUTH0_DOMAIN'); // e.g. your-tenant.us.auth0.com, or localhost:4000
const AUTH0_CLIENT_ID = required('AUTH0_CLIENT_ID');
const AUTH0_CLIENT_SECRET = required('AUTH0_CLIENT_SECRET');
const AUTH0_CALLBACK_URL = process.env.AUTH0_CALLBACK_URL ?? `${BASE_URL}/callback`;
const SESSION_SECRET = required('SESSION_SECRET');
const BILLING_API_URL = process.env.BILLING_API_URL ?? 'http://localhost:4002/api/billing-info';
const BILLING_API_AUDIENCE = process.env.BILLING_API_AUDIENCE ?? 'https://api.billing.example';
// openid: ID token (checked by passport-auth0); offline_access: a refresh token; read:billing: the API.
const SCOPE = process.env.AUTH0_SCOPE ?? 'openid profile email offline_access read:billing';

// https://{domain} on Auth0; http://{domain} only for loopback testing (AUTH0_HTTP=true).
const insecureHttp = process.env.AUTH0_HTTP === 'true';
const tenantOrigin = `${insecureHttp ? 'http' : 'https'}://${AUTH0_DOMAIN}`;

const strategy = new Auth0Strategy(
  {
    domain: AUTH0_DOMAIN,
    clientID: AUTH0_CLIENT_ID,
    clientSecret: AUTH0_CLIENT_SECRET,
    callbackURL: AUTH0_CALLBACK_URL,
    state: true,
    // passport-auth0's documented overrides, needed only because its defaults are https://.
    ...(insecureHttp && {
      authorizationURL: `${tenantOrigin}/authorize`,
      tokenURL: `${tenantOrigin}/oauth/token`,
      userInfoURL: `${tenantOrigin}/userinfo`,
      expectedIssuer: `${tenantOrigin}/`,
    }),
  },
  (accessToken, refreshToken, extraParams, profile, done) => {
    // Keep what the app needs in the session: the profile and the tokens to call the API.
    done(null, {
      profile: {
        id: profile.id,
        displayName: profile.displayName,
        emails: profile.emails,
        picture: profile.picture,
        nickname: profile.nickname,
      },
      accessToken,
      refreshToken,
      idToken: extraParams.id_token,
      expiresAt: Date.now() + Number(extraParams.expires_in) * 1000,
      refreshed: 0,
    });
  },
);

passport.use(strategy);
// The refresh grant, through the strategy's own OAuth2 client (same token URL and credentials).
refresh.use(strategy);
passport.serializeUser((user, done) => done(null, user));
passport.deserializeUser((user, done) => done(null, user));

const app = express();
app.use(
  session({
    secret: SESSION_SECRET,
    resave: false,
    saveUninitialized: false,
    cookie: { httpOnly: true, sameSite: 'lax', secure: BASE_URL.startsWith('https:') },
  }),
);
app.use(passport.initialize());
app.use(passport.session());

function ensureLoggedIn(req, res, next) {
  if (req.isAuthenticated()) return next();
  req.session.returnTo = req.originalUrl;
  res.redirect('/login');
}

app.get('/login', (req, res, next) => {
  passport.authenticate('auth0', { scope: SCOPE, audience: BILLING_API_AUDIENCE })(req, res, next);
});

app.get('/callback', (req, res, next) => {
  passport.authenticate('auth0', (err, user, info) => {
    if (err) return next(err);
    if (!user) {
      return res.status(401).send(page('Sign-in failed', `<p id="error">${escape(String(info?.message ?? info))}</p>`));
    }
    const returnTo = req.session.returnTo;
    req.logIn(user, (err) => {
      if (err) return next(err);
      res.redirect(returnTo || '/profile');
    });
  })(req, res, next);
});

app.get('/logout', (req, res, next) => {
  req.logout((err) => {
    if (err) return next(err);
    req.session.destroy(() => {
      const logoutURL = new URL(`${tenantOrigin}/v2/logout`);
      logoutURL.search = querystring.stringify({ client_id: AUTH0_CLIENT_ID, returnTo: `${BASE_URL}/` });
      res.redirect(logoutURL.toString());
    });
  });
});

app.get('/', (req, res) => {
  const body = req.isAuthenticated()
    ? `<p id="status">Signed in as <b>${escape(req.user.profile.displayName)}</b>.</p>
       <ul><li><a href="/profile">Profile</a></li><li><a href="/billing">Billing</a></li><li><a id="logout" href="/logout">Log out</a></li></ul>`
    : `<p id="status">You are signed out.</p><p><a id="login" href="/login">Log in</a></p>`;
  res.send(page('Home', body));
});

app.get('/profile', ensureLoggedIn, (req, res) => {
  const { profile } = req.user;
  const email = profile.emails?.[0]?.value ?? '';
  res.send(
    page(
      'Profile',
      `<dl>
        <dt>Name</dt><dd id="name">${escape(profile.displayName)}</dd>
        <dt>Email</dt><dd id="email">${escape(email)}</dd>
        <dt>User id</dt><dd id="user-id">${escape(profile.id)}</dd>
      </dl>
      <p><a href="/billing">Billing</a> · <a id="logout" href="/logout">Log out</a></p>`,
    ),
  );
});

/** The user's access token, refreshed first when it has expired. */
function accessToken(req) {
  const user = req.user;
  if (Date.now() < user.expiresAt) return Promise.resolve(user.accessToken);
  if (!user.refreshToken) return Promise.reject(new Error('the access token expired and there is no refresh token'));
  return new Promise((resolve, reject) => {
    refresh.requestNewAccessToken('auth0', user.refreshToken, (err, accessToken, refreshToken, params) => {
      if (err) return reject(new Error(`refresh failed: ${err.statusCode ?? ''} ${err.data ?? err.message}`));
      Object.assign(user, {
        accessToken,
        refreshToken: refreshToken || user.refreshToken, // rotated when the provider rotates
        idToken: params.id_token || user.idToken,
        expiresAt: Date.now() + Number(params.expires_in) * 1000,
        refreshed: user.refreshed + 1,
      });
      req.session.passport.user = user; // persist the new tokens in the session
      resolve(accessToken);
    });
  });
}

app.get('/billing', ensureLoggedIn, async (req, res, next) => {
  try {
    const token = await accessToken(req);
    const api = await fetch(BILLING_API_URL, { headers: { authorization: `Bearer ${token}` } });
    const text = await api.text();
    res.status(api.ok ? 200 : 502).send(
      page(
        'Billing',
        `<p>Billing API: <b id="api-status">${api.status}</b></p>
        <p>WWW-Authenticate: <code id="api-www-authenticate">${escape(api.headers.get('www-authenticate') ?? '')}</code></p>
        <pre id="api-body">${escape(text)}</pre>
        <p>Access token expires at <span id="expires-at">${new Date(req.user.expiresAt).toISOString()}</span>;
           refreshed <span id="refreshed">${req.user.refreshed}</span> time(s).</p>
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
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escape(title)} · Express + passport-auth0</title>
<style>body{font-family:system-ui,sans-serif;max-width:44rem;margin:2rem auto;padding:0 1rem}dt{font-weight:600}pre{background:#f4f4f4;padding:.75rem;white-space:pre-wrap;word-break:break-all}</style>
</head><body><h1>${escape(title)}</h1>${body}</body></html>`;
}

app.listen(PORT, '127.0.0.1', () => console.log(`express-passport listening on ${BASE_URL}`));
