// The guide's TV-shows API: GET /api/my/shows returns the user's subscriptions and needs an
// access token for this API with the `read:shows` scope.
import { requiredScopes } from 'express-oauth2-jwt-bearer';
import { createApi } from './api.mjs';

const shows = [
  { id: 1, title: 'The Expanse' },
  { id: 2, title: 'Severance' },
  { id: 3, title: 'Halt and Catch Fire' },
  { id: 4, title: 'Mr. Robot' },
];

createApi({
  name: 'TV shows API',
  defaultAudience: 'https://api.tv-shows.example',
  defaultPort: 4001,
  routes(app) {
    app.get('/api/my/shows', requiredScopes('read:shows'), (req, res) => {
      // req.auth.payload is the verified access token: `sub` is the user.
      res.json(shows);
    });
  },
});
