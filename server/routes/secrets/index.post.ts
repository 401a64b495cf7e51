import { defineApiRoute } from '../../http/define-route'
import { putSecret } from '../../vault/secrets'

export default defineApiRoute(
  {
    auth: 'owner',
    answers: { 200: 'secretChange' },
    summary: 'Store a secret (encrypted at rest, never returned).',
    body: 'secretPut',
    returns: '{ success, name }',
  },
  ({ app, caller, body }) => putSecret(app, caller.tenant_id, body),
)
