import { getRouterParam } from 'h3'
import { defineApiRoute } from '../../http/define-route'
import { deleteSecret } from '../../vault/secrets'

export default defineApiRoute(
  {
    auth: 'owner',
    answers: { 200: 'secretChange' },
    summary: 'Delete a secret.',
    returns: '{ success, name }',
  },
  ({ event, app, caller }) =>
    deleteSecret(app, caller.tenant_id, getRouterParam(event, 'name', { decode: true }) ?? ''),
)
