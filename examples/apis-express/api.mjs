// Shared setup of the two example APIs: Express, CORS for the browser apps that call them, and
// express-oauth2-jwt-bearer configured exactly as its README shows (issuerBaseURL + audience).
import cors from 'cors';
import express from 'express';
import { auth } from 'express-oauth2-jwt-bearer';

/**
 * Builds an API. Configuration comes from the environment:
 * - ISSUER_BASE_URL: the authorization server (Auth0: https://YOUR_TENANT.auth0.com;
 *   Portcullis on a laptop: http://localhost:4000);
 * - AUDIENCE: this API's identifier, the `aud` of the access tokens it accepts;
 * - CORS_ORIGINS: comma-separated origins allowed to call it from a browser (e.g. the SPA's);
 * - PORT.
 */
export function createApi({ name, defaultAudience, defaultPort, routes }) {
  const issuerBaseURL = process.env.ISSUER_BASE_URL;
  if (!issuerBaseURL) throw new Error('ISSUER_BASE_URL is required (e.g. http://localhost:4000)');
  const audience = process.env.AUDIENCE ?? defaultAudience;
  const port = Number(process.env.PORT ?? defaultPort);
  const origins = (process.env.CORS_ORIGINS ?? 'http://localhost:5173')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

  const app = express();
  app.use(cors({ origin: origins, allowedHeaders: ['authorization', 'content-type'] }));

  // Every route needs a valid access token for this API.
  app.use(auth({ issuerBaseURL, audience }));
  routes(app);

  // express-oauth2-jwt-bearer's errors carry `status` (401/403/400) and `headers`
  // (`WWW-Authenticate: Bearer realm="api", error="…", error_description="…"`).
  app.use((err, req, res, next) => {
    if (res.headersSent) return next(err);
    const status = err.status ?? 500;
    res.status(status).set(err.headers ?? {});
    res.json({ error: err.code ?? (status < 500 ? 'unauthorized' : 'server_error'), error_description: status < 500 ? err.message : 'internal error' });
    if (status >= 500) console.error(err);
  });

  const server = app.listen(port, () => {
    console.log(`${name} listening on http://localhost:${server.address().port} (audience ${audience}, issuer ${issuerBaseURL})`);
  });
  const stop = () => server.close(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  return server;
}
