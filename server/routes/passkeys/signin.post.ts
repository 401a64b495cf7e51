import { describeTenant } from '../../accounts/tenants'
import { defineApiRoute } from '../../http/define-route'
import { ceremonyRequestOf, startWebSession } from '../../http/sessions'
import { signInWithPasskey } from '../../passkeys/ceremonies'

export default defineApiRoute(
  {
    auth: 'none',
    answers: { 200: 'passkeyOwner' },
    summary: 'Sign in with a passkey: sets the page session cookie.',
    body: 'passkeyVerify',
    returns: '{ owner }',
  },
  async ({ event, app, body }) => {
    const owner = await signInWithPasskey(app, body, ceremonyRequestOf(event, app))
    await startWebSession(event, app, owner)
    return { owner: describeTenant(owner) }
  },
)
