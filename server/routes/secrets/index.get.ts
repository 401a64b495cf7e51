import { defineApiRoute } from '../../http/define-route'
import { listSecrets } from '../../vault/secrets'

export default defineApiRoute(
  {
    auth: 'owner',
    answers: { 200: 'secretList' },
    summary:
      'Stored secrets: their names, and for each its bound origin and dates (never a value).',
    returns:
      '{ secrets: [name, …], entries: [{ name, origin?, cookie_domain?, created_at, updated_at }] }',
  },
  ({ app, caller }) => listSecrets(app, caller.tenant_id),
)
