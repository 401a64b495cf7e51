/** `oauth3 signup` and `oauth3 login`: an account's token, saved for the next commands (0600). */
import { defineCommand } from 'citty'
import { OAuth3 } from '../../sdk/src/index'
import { envValue, saveToken } from '../../sdk/src/config'
import { COMMON_ARGS, print } from '../context'

const serverOf = (url?: string) => url ?? envValue('OAUTH3_URL') ?? 'http://localhost:3000'

export const signup = defineCommand({
  meta: { name: 'signup', description: 'Create an account and save its token' },
  args: {
    ...COMMON_ARGS,
    name: { type: 'string', description: 'the account name' },
    role: { type: 'enum', options: ['agent', 'owner'], default: 'agent' },
    replace: {
      type: 'boolean',
      description: 'save the new token in place of the one saved for this server',
    },
  },
  async run({ args }) {
    const url = serverOf(args.url)
    const account = await OAuth3.signup({ url, name: args.name, role: args.role as 'agent' })
    const kept = await saveToken(url, account.token, { replace: args.replace })
    const savedTo = kept.saved ? kept.path : null
    print(args, { ...account, saved_to: savedTo }, () =>
      [
        `${account.role} ${account.tenant_id} on ${url}`,
        kept.saved
          ? `token saved to ${kept.path} (shown once): ${account.token}`
          : `token (shown once, not saved: ${kept.path} already holds one for ${url}; --replace saves this one instead): ${account.token}`,
      ].join('\n'),
    )
    return 0
  },
})

export const login = defineCommand({
  meta: { name: 'login', description: 'Save an existing token (checked with GET /me)' },
  args: { ...COMMON_ARGS },
  async run({ args }) {
    const token = args.token ?? envValue('OAUTH3_TOKEN')
    if (!token) throw new Error('login needs --token (or OAUTH3_TOKEN)')
    const url = serverOf(args.url)
    const me = await new OAuth3({ url, token, verify: 'skip' }).me()
    // An explicit login replaces the token saved for this server.
    const saved = await saveToken(url, token, { replace: true })
    print(
      args,
      { ...me, saved_to: saved.path },
      () => `${me.role} ${me.tenant_id} on ${url}, saved to ${saved.path}`,
    )
    return 0
  },
})
