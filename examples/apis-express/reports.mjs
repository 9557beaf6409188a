// A reports API with role-based access control: reading needs the `read:reports` scope,
// writing needs `write:reports` in the token's `permissions` (the claim an API with RBAC and
// "Add Permissions in the Access Token" — `token_dialect = "access_token_authz"` — adds).
import { claimIncludes, requiredScopes } from 'express-oauth2-jwt-bearer';
import { createApi } from './api.mjs';

const reports = [
  { id: 1, title: 'Q1 revenue' },
  { id: 2, title: 'Q2 revenue' },
];

createApi({
  name: 'Reports API',
  defaultAudience: 'https://api.reports.example',
  defaultPort: 4003,
  routes(app) {
    app.get('/api/reports', requiredScopes('read:reports'), (req, res) => {
      res.json(reports);
    });
    app.post('/api/reports', claimIncludes('permissions', 'write:reports'), (req, res) => {
      res.status(201).json({ id: reports.length + 1, by: req.auth.payload.sub });
    });
    app.delete('/api/reports', claimIncludes('permissions', 'write:reports', 'delete:reports'), (req, res) => {
      res.status(204).end();
    });
  },
});
