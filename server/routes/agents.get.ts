import { listOwnerAgents } from '../accounts/tenants'
import { defineApiRoute } from '../http/define-route'

export default defineApiRoute(
  {
    auth: 'owner',
    answers: { 200: 'agentList' },
    summary: 'The agents bound to this owner (minted by it, or bound by its first approval).',
    returns: '{ agents: [{ tenant_id, role, name, created_at, owner_id }] }',
  },
  async ({ app, caller }) => ({ agents: await listOwnerAgents(app, caller) }),
)
