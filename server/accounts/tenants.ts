/**
 * Accounts: agents and owners, their bearer tokens (stored as hashes only), and the binding of an
 * agent to the one owner who decides its permits.
 */
import type { App } from '../app'
import type { TransactionStep } from '../store'
import { fail } from '../../core/errors'
import { assertWithinRate } from '../store/rate-limit'
import { createId, createToken, findByToken, hashToken, isBearerShaped } from './tokens'

export type Role = 'agent' | 'owner'

export interface Tenant {
  tenant_id: string
  role: Role
  name: string
  created_at: number
  /** A contact address given at signup (optional). */
  email?: string
  /** For agents: the owner who decides its permits, once bound. */
  owner_id?: string
}

const tenantKey = (id: string) => `tenant:${id}`
const tokenKey = (hash: string) => `token:${hash}`
const ownerAgentsPrefix = (ownerId: string) => `owner-agents:${ownerId}`

/**
 * POST /signup. The token is answered once, also as `jwt` and `api_key` (the names older clients
 * read), with `tee_url`, the public origin clients send executions to.
 */
export async function signUp(
  app: App,
  input: { name?: string; role?: Role; email?: string },
  origin: { clientAddress: string; publicOrigin: string },
) {
  const signups = { name: 'signup', subject: origin.clientAddress, windowMs: 60_000 }
  await assertWithinRate(app.store, signups, app.settings.signupsPerMinute)
  const role = input.role ?? 'agent'
  const { tenant, token } = await createTenant(app, {
    role,
    name: input.name ?? role,
    ...(input.email ? { email: input.email } : {}),
  })
  return {
    tenant_id: tenant.tenant_id,
    role,
    token,
    jwt: token,
    api_key: token,
    tee_url: origin.publicOrigin,
    message:
      role === 'agent'
        ? 'Save this token: it is shown once. Next: POST /permit.'
        : 'Save this token: it is shown once. Approve permits at their approval_url.',
  }
}

export async function mintAgent(app: App, owner: Tenant, input: { name?: string }) {
  const { tenant, token } = await createTenant(app, {
    role: 'agent',
    name: input.name ?? 'agent',
    owner_id: owner.tenant_id,
  })
  await app.store.set(`${ownerAgentsPrefix(owner.tenant_id)}:${tenant.tenant_id}`, {
    bound_at: tenant.created_at,
  })
  return { tenant_id: tenant.tenant_id, role: 'agent' as const, owner_id: owner.tenant_id, token }
}

/** The agents bound to an owner (minted by it, or bound by its first approval), oldest first. */
export async function listOwnerAgents(app: App, owner: Tenant) {
  const prefix = ownerAgentsPrefix(owner.tenant_id)
  const ids = (await app.store.keys(prefix)).map((key) => key.slice(prefix.length + 1))
  const agents = await Promise.all(ids.map((id) => getTenant(app, id)))
  return agents
    .filter((agent): agent is Tenant => agent?.owner_id === owner.tenant_id)
    .sort((a, b) => a.created_at - b.created_at)
    .map(describeTenant)
}

/** With an approval's binding (see agentDecisionStep): the owner's index of its agents. */
export function ownerAgentStep(ownerId: string, agentId: string): TransactionStep<unknown> {
  return {
    key: `${ownerAgentsPrefix(ownerId)}:${agentId}`,
    apply: (current) => current ?? { bound_at: Date.now() },
  }
}

async function createTenant(app: App, fields: Omit<Tenant, 'tenant_id' | 'created_at'>) {
  const tenant: Tenant = { tenant_id: createId('tenant'), created_at: Date.now(), ...fields }
  const token = createToken(fields.role)
  // The tenant record first: a token that resolves always has its tenant.
  await app.store.set(tenantKey(tenant.tenant_id), tenant)
  await app.store.set(tokenKey(hashToken(app.keys.tokenPepper(), token)), {
    tenant_id: tenant.tenant_id,
  })
  return { tenant, token }
}

export async function authenticate(app: App, token: string): Promise<Tenant | null> {
  if (!isBearerShaped(token)) return null
  const entry = await findByToken<{ tenant_id: string }>(app, tokenKey, token)
  return entry ? getTenant(app, entry.tenant_id) : null
}

export function getTenant(app: App, id: string): Promise<Tenant | null> {
  return app.store.get<Tenant>(tenantKey(id))
}

export function describeTenant(tenant: Tenant) {
  return {
    tenant_id: tenant.tenant_id,
    role: tenant.role,
    name: tenant.name,
    created_at: tenant.created_at,
    ...(tenant.email ? { email: tenant.email } : {}),
    ...(tenant.owner_id ? { owner_id: tenant.owner_id } : {}),
  }
}

/**
 * A decision's step on the agent (see Store.transact): only the owner an agent is bound to decides
 * its permits (AP-13), whichever the request was filed before or after the binding; an approval by
 * the first owner binds a self-signed-up agent to them, in the same transaction as the decision.
 */
export function agentDecisionStep(
  agentId: string,
  ownerId: string,
  options: { bind: boolean },
): TransactionStep<Tenant> {
  return {
    key: tenantKey(agentId),
    apply(agent) {
      if (!agent) return fail('NOT_FOUND')
      if (agent.owner_id && agent.owner_id !== ownerId) return fail('NOT_YOUR_AGENT')
      return options.bind && !agent.owner_id ? { ...agent, owner_id: ownerId } : undefined
    },
  }
}
