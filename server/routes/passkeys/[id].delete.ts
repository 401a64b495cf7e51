import { getRouterParam } from 'h3'
import { defineApiRoute } from '../../http/define-route'
import { deletePasskey } from '../../passkeys/records'

export default defineApiRoute(
  {
    auth: 'owner',
    answers: { 200: 'deleted' },
    summary: 'Remove one of your passkeys.',
    returns: '{ deleted: true }',
  },
  async ({ event, app, caller }) => {
    await deletePasskey(app, caller.tenant_id, getRouterParam(event, 'id') ?? '')
    return { deleted: true }
  },
)
