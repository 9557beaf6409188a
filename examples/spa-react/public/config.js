// Runtime configuration for static hosting: anything set here overrides the VITE_* values the
// app was built with, so one build can be pointed at another tenant or API without rebuilding.
// Keys: domain, clientId, audience, showsApiUrl, mode ("iframe" | "refresh").
window.APP_CONFIG = window.APP_CONFIG || {};
