import { defineApiRoute } from '../../http/define-route'
import { listSecretNames } from '../../vault/secrets'

export default defineApiRoute(
  { auth: 'owner', summary: 'Names of stored secrets.', returns: '{ secrets: [name, …] }' },
  async ({ app, caller }) => ({ secrets: await listSecretNames(app, caller.tenant_id) }),
)
