import { defineApiRoute } from '../../http/define-route'
import { registerPasskey } from '../../passkeys/ceremonies'

export default defineApiRoute(
  {
    auth: 'none',
    answers: { 201: 'passkeyOwner' },
    summary:
      'Finish registering a passkey; signs the owner in (a new account answers its owner token once).',
    body: 'passkeyVerify',
    status: 201,
    returns: '{ owner, token? }',
  },
  ({ event, app, body }) => registerPasskey(event, app, body),
)
