import { defineApiRoute } from '../../http/define-route'
import { signInWithPasskey } from '../../passkeys/ceremonies'

export default defineApiRoute(
  {
    auth: 'none',
    answers: { 200: 'passkeyOwner' },
    summary: 'Sign in with a passkey: sets the page session cookie.',
    body: 'passkeyVerify',
    returns: '{ owner }',
  },
  ({ event, app, body }) => signInWithPasskey(event, app, body),
)
