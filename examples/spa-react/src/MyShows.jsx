// The guide's MyShows component. The only change: the API is on another origin than this static
// site, so the URL is absolute (the guide's Next.js app served `/api/my/shows` itself).
import { useAuth0 } from '@auth0/auth0-react';
import useSWR from 'swr';
import { config } from './config.js';

export default function MyShows() {
  const {
    user,
    isAuthenticated,
    isLoading,
    getAccessTokenSilently,
  } = useAuth0();

  const { data, error, mutate } = useSWR(
    isLoading || !isAuthenticated ? null : `${config.showsApiUrl}/api/my/shows`,
    async (url) => {
      const accessToken = await getAccessTokenSilently({
        authorizationParams: {
          audience: config.audience,
          scope: 'read:shows',
        },
      });
      const res = await fetch(url, {
        headers: {
          authorization: `Bearer ${accessToken}`,
        },
      });
      if (!res.ok) throw new Error(`${res.status} ${res.statusText}`);
      return res.json();
    }
  );

  if (isLoading) {
    return <div>Loading your user information...</div>;
  }

  if (!isAuthenticated) {
    return <div>You must first sign in to access your subscriptions.</div>;
  }

  if (error) {
    return <div role="alert">There was an error loading your subscriptions.</div>;
  }

  if (!data) {
    return (
      <div>
        <h1>Subscriptions for {user.email}</h1>
        <div>Loading your subscriptions ...</div>
      </div>
    );
  }
  return (
    <div id="my-shows">
      <h1>Subscriptions for {user.email}</h1>
      <div>You have subscribed to a total of {data.length} shows...</div>
      <ul>
        {data.map((show) => (
          <li key={show.id}>{show.title}</li>
        ))}
      </ul>
      <button onClick={() => mutate()}>Refresh subscriptions</button>
    </div>
  );
}
