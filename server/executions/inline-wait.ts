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
  const deadline = Date.now() + options.waitSeconds * 1000
  try {
    const here = await endedHere(app, requestId, deadline, options.signal)
    if (here !== undefined) return here
    const ended = await waitForStatus(app, { tenant: agent }, requestId, {
      timeoutMs: Math.max(0, deadline - Date.now()),
      signal: options.signal,
      holdSlot: false,
    }).catch(() => null)
    return ended && TERMINAL_STATUSES.has(ended.status) ? ended : null
  } finally {
    release()
  }
}

/**
 * The execution was just accepted by this process, which runs it and hands its terminal body to
 * the wake-up (run.ts): it is waited for without reading the store first. `undefined` when the
 * store must be read after all (it ended already, the wake-up carried no body, the process is
 * stopping); null when the client left.
 */
async function endedHere(
  app: App,
  id: string,
  deadline: number,
  signal: AbortSignal,
): Promise<StatusBody | null | undefined> {
  // Registered before the check: an end between the two cannot be missed.
  const waiter = app.notifier.wait(id, Math.max(0, deadline - Date.now()), signal)
  if (!app.live.running(id)) {
    waiter.cancel()
    return undefined
  }
  const outcome = await waiter.outcome
  if (outcome === 'aborted') return null
  const news = waiter.news as StatusBody | undefined
  return outcome === 'woken' && news && TERMINAL_STATUSES.has(news.status) ? news : undefined
}
