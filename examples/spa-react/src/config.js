// Configuration: Vite env at build time (.env / VITE_*), optionally overridden at run time by
// window.APP_CONFIG (public/config.js) and, for the session mode, by ?mode= in the URL.
const runtime = window.APP_CONFIG ?? {};
const env = import.meta.env;

// The mode: "iframe" (default) = silent authentication in a hidden iframe (web_message +
// prompt=none, tokens in memory, no refresh tokens); "refresh" = refresh-token rotation
// (useRefreshTokens, tokens in localStorage so a reload keeps the refresh token).
// `?mode=refresh` switches for this browser tab (kept in sessionStorage across the redirects).
const urlMode = new URLSearchParams(window.location.search).get('mode');
if (urlMode === 'iframe' || urlMode === 'refresh') sessionStorage.setItem('spa-mode', urlMode);

export const config = {
  domain: runtime.domain ?? env.VITE_AUTH0_DOMAIN,
  clientId: runtime.clientId ?? env.VITE_AUTH0_CLIENT_ID,
  audience: runtime.audience ?? env.VITE_AUTH0_AUDIENCE ?? 'https://api.tv-shows.example',
  showsApiUrl: runtime.showsApiUrl ?? env.VITE_SHOWS_API_URL ?? 'http://localhost:4001',
  mode: sessionStorage.getItem('spa-mode') ?? runtime.mode ?? env.VITE_AUTH0_MODE ?? 'iframe',
};
