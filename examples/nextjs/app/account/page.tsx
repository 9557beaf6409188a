import { redirect } from "next/navigation";

import { auth0 } from "@/lib/auth0";

// Server-rendered on every request: the session is read from the encrypted cookie on the server.
export default async function Account() {
  const session = await auth0.getSession();

  if (!session) {
    redirect("/auth/login?returnTo=/account");
  }

  const { user } = session;
  return (
    <>
      <h1>Account</h1>
      <div className="card" id="account">
        <p>
          Rendered on the server at <time id="rendered-at">{new Date().toISOString()}</time>
        </p>
        <dl>
          <dt>Name</dt>
          <dd id="account-name">{user.name}</dd>
          <dt>Email</dt>
          <dd id="account-email">{user.email}</dd>
          <dt>User id (sub)</dt>
          <dd id="account-sub">{user.sub}</dd>
          <dt>Access token scope</dt>
          <dd id="account-scope">{session.tokenSet.scope}</dd>
          <dt>Access token expires</dt>
          <dd id="account-expires">
            {session.tokenSet.expiresAt
              ? new Date(session.tokenSet.expiresAt * 1000).toISOString()
              : "unknown"}
          </dd>
        </dl>
        <a className="button secondary" href="/auth/logout">Log out</a>
      </div>
    </>
  );
}
