import { getRouterParam } from 'h3'
import { defineApiRoute } from '../../http/define-route'
import { ceremonyRequestOf } from '../../http/sessions'
import { removePasskey } from '../../passkeys/ceremonies'

export default defineApiRoute(
  {
    auth: 'owner',
    answers: { 200: 'deleted' },
    summary:
      'Remove one of your passkeys; the last one only with its own assertion (purpose remove), else 409 LAST_PASSKEY.',
    body: 'passkeyRemove',
    bodyOptional: true,
    returns: '{ deleted: true }',
  },
  async ({ event, app, caller, body }) => {
    const id = getRouterParam(event, 'id') ?? ''
    await removePasskey(app, caller, id, body.passkey, ceremonyRequestOf(event, app))
    return { deleted: true }
  },
)
