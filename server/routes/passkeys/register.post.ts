import { describeTenant } from '../../accounts/tenants'
import { defineApiRoute } from '../../http/define-route'
import { ceremonyRequestOf, startWebSession } from '../../http/sessions'
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
  async ({ event, app, body }) => {
    const { owner, token } = await registerPasskey(app, body, ceremonyRequestOf(event, app))
    await startWebSession(event, app, owner)
    // A new account's owner token, shown once: for the API and the CLI.
    return { owner: describeTenant(owner), ...(token ? { token } : {}) }
  },
)
