"use client";

import { useUser } from "@auth0/nextjs-auth0";

export default function Profile() {
  const { user, isLoading } = useUser();

  if (isLoading) {
    return <div className="card">Loading your user information...</div>;
  }

  if (!user) {
    return (
      <div className="card" id="signed-out">
        <p>You are not signed in.</p>
        {/* Plain <a>, not <Link>: /auth/* are handled by the proxy, not by pages. */}
        <a className="button" href="/auth/login">Log in</a>
        <a className="button secondary" href="/auth/login?screen_hint=signup">Sign up</a>
      </div>
    );
  }

  return (
    <div className="card" id="signed-in">
      <div className="profile">
        {user.picture && <img src={user.picture} alt="" />}
        <div>
          <h2 id="user-name">{user.name}</h2>
          <p id="user-email">{user.email}</p>
        </div>
      </div>
      <p>
        <a className="button" href="/account">Account</a>
        <a className="button secondary" href="/auth/logout">Log out</a>
      </p>
    </div>
  );
}
