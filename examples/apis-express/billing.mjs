// The guide's billing API (billing.mycompany.com/api): GET /api/billing-info needs an access
// token for this API with the `read:billing` scope.
import { requiredScopes } from 'express-oauth2-jwt-bearer';
import { createApi } from './api.mjs';

createApi({
  name: 'Billing API',
  defaultAudience: 'https://api.billing.example',
  defaultPort: 4002,
  routes(app) {
    app.get('/api/billing-info', requiredScopes('read:billing'), (req, res) => {
      res.json({
        customer: req.auth.payload.sub,
        plan: 'Developer',
        invoices: [
          { id: 'inv_001', amount: 1200, currency: 'USD', status: 'paid' },
          { id: 'inv_002', amount: 1200, currency: 'USD', status: 'open' },
        ],
      });
    });
  },
});
