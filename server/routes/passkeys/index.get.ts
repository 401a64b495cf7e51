import { defineApiRoute } from '../../http/define-route'
import { listPasskeys } from '../../passkeys/records'

export default defineApiRoute(
  {
    auth: 'owner',
    answers: { 200: 'passkeyList' },
    summary: "The owner's passkeys (never their keys).",
    returns: '{ passkeys: [{ id, name, created_at, last_used_at? }] }',
  },
  async ({ app, caller }) => ({
    passkeys: (await listPasskeys(app, caller.tenant_id)).map((passkey) => ({
      id: passkey.id,
      name: passkey.name,
      created_at: passkey.created_at,
      ...(passkey.last_used_at ? { last_used_at: passkey.last_used_at } : {}),
    })),
  }),
)
