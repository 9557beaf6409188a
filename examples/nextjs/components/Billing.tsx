"use client";

import { useUser } from "@auth0/nextjs-auth0";
import { useEffect, useState } from "react";

type BillingResult = { status: number; body: unknown };

// Calls this app's API route, which calls the external billing API with the user's access token.
export default function Billing() {
  const { user } = useUser();
  const [result, setResult] = useState<BillingResult | null>(null);

  useEffect(() => {
    if (!user) return;
    fetch("/api/billing")
      .then(async (res) => setResult({ status: res.status, body: await res.json() }))
      .catch((e) => setResult({ status: 0, body: { error: String(e) } }));
  }, [user]);

  if (!user) return null;
  return (
    <div className="card" id="billing">
      <h2>Billing</h2>
      {result ? (
        <pre id="billing-result" data-status={result.status}>
          {JSON.stringify(result.body, null, 2)}
        </pre>
      ) : (
        <p>Loading your billing information...</p>
      )}
    </div>
  );
}
