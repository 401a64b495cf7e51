import { mintAgent } from '../accounts/tenants'
import { defineApiRoute } from '../http/define-route'

export default defineApiRoute(
  {
    auth: 'owner',
    answers: { 201: 'agentCreated' },
    summary: 'Mint an agent bound to this owner.',
    body: 'agentCreate',
    bodyOptional: true,
    status: 201,
    returns: 'The agent: tenant_id, role, owner_id and its token (shown once).',
  },
  ({ app, caller, body }) => mintAgent(app, caller, body),
)
