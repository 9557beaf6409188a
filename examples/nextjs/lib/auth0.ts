import { Auth0Client } from "@auth0/nextjs-auth0/server";

// Configuration comes from the environment, exactly as with Auth0: AUTH0_DOMAIN, AUTH0_CLIENT_ID,
// AUTH0_CLIENT_SECRET, AUTH0_SECRET and APP_BASE_URL are read by the SDK itself.
export const auth0 = new Auth0Client({
  authorizationParameters: {
    // The external billing API: its identifier and the scope this app needs there. The default
    // scopes (openid profile email offline_access) are replaced, so they are listed again;
    // offline_access gives a refresh token, which getAccessToken() uses when the access token expires.
    audience: process.env.AUTH0_AUDIENCE,
    scope: "openid profile email offline_access read:billing",
  },

  // The only Portcullis-specific line, and only for plain-http loopback testing
  // (AUTH0_DOMAIN=http://localhost:PORT, as printed by `portcullis dev`). nextjs-auth0 v4 refuses
  // http issuers ("only requests to HTTPS are allowed") unless this constructor option is set;
  // there is no environment variable for it. It is never needed against an https Portcullis
  // (or Auth0) domain, so it is tied to the domain's scheme. See docs/sdks/nextjs-auth0.md.
  allowInsecureRequests: process.env.AUTH0_DOMAIN?.startsWith("http://") ?? false,
});
