import { getRouterParam } from 'h3'
import { defineApiRoute } from '../../../../http/define-route'
import { collectPairing } from '../../../../extension/pairings'

export default defineApiRoute(
  {
    auth: 'none',
    answers: { 200: 'extensionCollected' },
    summary:
      'The extension collects its upload credential with the pairing token: pending until the owner decides, then once (410 PAIRING_GONE after, or once declined).',
    body: 'extensionCollect',
    returns: '{ status: pending } or { status: granted, token, credential_id, owner_name, sites }',
  },
  ({ event, app, body }) =>
    collectPairing(app, getRouterParam(event, 'id') ?? '', body.pairing_token),
)
