import { defineApiRoute } from '../../http/define-route'
import { getClientAddress } from '../../http/auth'
import { getPublicOrigin } from '../../http/origin'
import { startPairing } from '../../extension/pairings'

export default defineApiRoute(
  {
    auth: 'none',
    status: 201,
    answers: { 201: 'extensionPairingAnswer' },
    summary:
      'The browser extension asks to be connected for some sites: the owner grants it on connect_url; the extension keeps pairing_token to collect its upload credential.',
    body: 'extensionPairing',
    returns: '{ pairing_id, pairing_token, code, sites, connect_url, expires_at }',
  },
  ({ event, app, body }) =>
    startPairing(app, body, {
      clientAddress: getClientAddress(event, app),
      publicOrigin: getPublicOrigin(event, app),
    }),
)
