/** `oauth3 signup` and `oauth3 login`: an account's token, saved for the next commands (0600). */
import { defineCommand } from 'citty'
import { OAuth3 } from '../../sdk/src/index'
import { envValue, saveConfig } from '../../sdk/src/config'
import { COMMON_ARGS, print } from '../context'

const serverOf = (url?: string) => url ?? envValue('OAUTH3_URL') ?? 'http://localhost:3000'

export const signup = defineCommand({
  meta: { name: 'signup', description: 'Create an account and save its token' },
  args: {
    ...COMMON_ARGS,
    name: { type: 'string', description: 'the account name' },
    role: { type: 'enum', options: ['agent', 'owner'], default: 'agent' },
  },
  async run({ args }) {
    const url = serverOf(args.url)
    const account = await OAuth3.signup({ url, name: args.name, role: args.role as 'agent' })
    const saved = await saveConfig({ url, token: account.token })
    print(args, { ...account, saved_to: saved }, () =>
      [
        `${account.role} ${account.tenant_id} on ${url}`,
        `token saved to ${saved} (shown once): ${account.token}`,
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
    const saved = await saveConfig({ url, token })
    print(
      args,
      { ...me, saved_to: saved },
      () => `${me.role} ${me.tenant_id} on ${url}, saved to ${saved}`,
    )
    return 0
  },
})
