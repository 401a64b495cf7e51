/**
 * `Prefer: wait=N` on POST /execute: once accepted, wait up to N seconds for the end and answer
 * the terminal status body instead. Accepted is accepted: from here on nothing may turn the answer
 * into an error a client would retry. A held wait counts against the token's cap like any held
 * request (rule 24); at the cap the preference is not applied: the accepted answer comes at once.
 */
import type { Tenant } from '../accounts/tenants'
import type { App } from '../app'
import { TERMINAL_STATUSES, waitForStatus, type StatusBody } from './status'

/** The longest `Prefer: wait=N` honoured, in seconds. */
export const PREFER_WAIT_MAX_S = 60

/** The terminal status body if the execution ended within `waitSeconds`; null otherwise. */
export async function waitInline(
  app: App,
  agent: Tenant,
  requestId: string,
  options: { waitSeconds: number; signal: AbortSignal },
): Promise<StatusBody | null> {
  const release = app.longPolls.tryHold(agent.tenant_id, 'inline_wait')
  if (!release) return null
  const ended = await waitForStatus(app, { tenant: agent }, requestId, {
    timeoutMs: options.waitSeconds * 1000,
    signal: options.signal,
    holdSlot: false,
  })
    .catch(() => null)
    .finally(release)
  return ended && TERMINAL_STATUSES.has(ended.status) ? ended : null
}
