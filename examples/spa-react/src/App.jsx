import { useAuth0 } from '@auth0/auth0-react';
import { config } from './config.js';
import MyShows from './MyShows.jsx';

function LoginButton() {
  const { loginWithRedirect } = useAuth0();
  return <button onClick={() => loginWithRedirect()}>Log in</button>;
}

function LogoutButton() {
  const { logout } = useAuth0();
  return (
    <button onClick={() => logout({ logoutParams: { returnTo: window.location.origin } })}>Log out</button>
  );
}

function Profile() {
  const { user } = useAuth0();
  return (
    <section id="profile">
      {user.picture && <img src={user.picture} alt="" width="48" height="48" />}
      <h2>{user.name}</h2>
      <p id="profile-email">{user.email}</p>
    </section>
  );
}

export default function App() {
  const { isLoading, isAuthenticated, error } = useAuth0();
  return (
    <main>
      <header>
        <h1>TV Shows</h1>
        <p className="mode">
          Session mode: <strong id="mode">{config.mode}</strong>
          {config.mode === 'refresh' ? ' (refresh-token rotation)' : ' (silent authentication in an iframe)'}
        </p>
        {!isLoading && (isAuthenticated ? <LogoutButton /> : <LoginButton />)}
      </header>
      {error && <p role="alert">Oops… {error.message}</p>}
      {isAuthenticated && <Profile />}
      <MyShows />
    </main>
  );
}
