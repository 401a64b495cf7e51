import { defineApiRoute } from '../../http/define-route'
import { ceremonyRequestOf } from '../../http/sessions'
import { passkeyOptions } from '../../passkeys/ceremonies'

export default defineApiRoute(
  {
    auth: 'optional-tenant',
    answers: { 200: 'passkeyOptionsAnswer' },
    summary:
      "Start a passkey ceremony from this server's pages: register (a new owner account, or another passkey for the calling owner), sign in, or confirm one decision.",
    body: 'passkeyOptions',
    returns: '{ challenge_id, options }',
  },
  ({ event, app, caller, body }) =>
    passkeyOptions(app, caller, body, ceremonyRequestOf(event, app)),
)
