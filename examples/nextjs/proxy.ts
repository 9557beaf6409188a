import { auth0 } from "./lib/auth0";

// Next.js 16 calls this file proxy.ts (it was middleware.ts before). The SDK mounts its routes
// here: /auth/login, /auth/callback, /auth/logout, /auth/profile, /auth/access-token, and rolls
// the session cookie on every other request.
export async function proxy(request: Request) {
  return await auth0.middleware(request);
}

export const config = {
  matcher: [
    /*
     * Match all request paths except for:
     * - _next/static (static files)
     * - _next/image (image optimization files)
     * - favicon.ico, sitemap.xml, robots.txt (metadata files)
     */
    "/((?!_next/static|_next/image|favicon.ico|sitemap.xml|robots.txt).*)",
  ],
};
