import { NextResponse } from "next/server";

import { auth0 } from "@/lib/auth0";

// The guide's "call an external API on behalf of the user": billing.mycompany.com/api.
// getAccessToken() returns the session's access token for AUTH0_AUDIENCE and, once it has
// expired, gets a new one with the refresh token and saves it in the session cookie.
export async function GET() {
  let token: string;
  try {
    ({ token } = await auth0.getAccessToken());
  } catch (error) {
    const e = error as { code?: string; message?: string };
    return NextResponse.json(
      { error: e.code ?? "access_token_error", error_description: e.message },
      { status: 401 },
    );
  }

  const billingApi = process.env.BILLING_API_URL ?? "http://localhost:4002";
  const res = await fetch(new URL("/api/billing-info", billingApi), {
    headers: { authorization: `Bearer ${token}` },
    cache: "no-store",
  });
  const body = await res.json().catch(() => null);
  return NextResponse.json(body, { status: res.status });
}
