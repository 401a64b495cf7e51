/**
 * The one status endpoint behind every status_url, for permit requests and executions. Reads are
 * scoped by the caller's token or the link's own; with `wait` the request parks on the notifier
 * until the state is terminal, the timeout passes, or the client leaves — and its waiter is
 * removed in every one of those cases.
 */
import { fail } from '../../core/errors'
import type { Tenant } from '../accounts/tenants'
import { isIdShaped } from '../accounts/tokens'
import type { App } from '../app'
import { readRequestFor } from '../permits/access'
import { requestStatusOf } from '../permits/records'
import type { Waiter } from '../store/notifier'
import { readExecutionFor } from './access'
import { describeExecution, withLiveState } from './records'

export const TERMINAL_STATUSES = new Set(['completed', 'failed', 'denied', 'expired'])

/** Who reads: a bearer token's tenant, and/or the status link's token. */
export interface StatusViewer {
  tenant: Tenant | null
  statusToken?: string
}

export interface StatusBody {
  request_id: string
  status: string
  permit_id?: string
  created_at: number
  finished_at?: number
  [field: string]: unknown
}

interface StatusReading {
  body: StatusBody
  /** The agent the request belongs to: open long-polls are counted against it. */
  agentId: string
  /** When a pending state turns terminal by itself (an approval link expiring). */
  changesAt?: number
}

type StatusSource = (app: App, viewer: StatusViewer, id: string) => Promise<StatusReading | null>

async function readRequestStatus(app: App, viewer: StatusViewer, id: string) {
  const permit = await readRequestFor(app, viewer, id)
  if (!permit) return null
  const status = requestStatusOf(permit)
  const finishedAt =
    permit.decided_at ?? (status === 'expired' ? permit.request_expires_at : undefined)
  return {
    body: {
      request_id: permit.request_id,
      status,
      permit_id: permit.permit_id,
      created_at: permit.created_at,
      ...(finishedAt !== undefined ? { finished_at: finishedAt } : {}),
    },
    agentId: permit.agent_id,
    ...(status === 'pending' ? { changesAt: permit.request_expires_at } : {}),
  }
}

async function readExecutionStatus(app: App, viewer: StatusViewer, id: string) {
  const record = await readExecutionFor(app, viewer, id)
  if (!record) return null
  return { body: describeExecution(withLiveState(app, record)), agentId: record.agent_id }
}

/** Status sources by id prefix. */
const STATUS_SOURCES: Record<string, StatusSource> = {
  preq: readRequestStatus,
  exec: readExecutionStatus,
}

export async function readStatus(
  app: App,
  viewer: StatusViewer,
  id: string,
): Promise<StatusReading> {
  if (!viewer.tenant && viewer.statusToken === undefined) fail('UNAUTHORIZED')
  const prefix = id.split('_')[0]
  const known = Object.hasOwn(STATUS_SOURCES, prefix) && isIdShaped(id, prefix)
  const reading = known ? await STATUS_SOURCES[prefix](app, viewer, id) : null
  if (!reading) fail('NOT_FOUND')
  return reading
}

/** GET /execute/:id/stdout (bearer only: a status link reads the status, nothing else) */
export async function readStdout(app: App, tenant: Tenant, id: string): Promise<string> {
  const record = await readExecutionFor(app, { tenant }, id)
  if (!record) fail('NOT_FOUND')
  return record.result?.stdout ?? ''
}

/**
 * A parked status request re-reads at least this often, so a wake-up lost while the store was down
 * (a publish that failed) delays its answer by seconds, not by the whole wait.
 */
const RECHECK_MS = 5_000

export async function waitForStatus(
  app: App,
  viewer: StatusViewer,
  id: string,
  options: { timeoutMs: number; signal: AbortSignal; holdSlot?: boolean },
): Promise<StatusBody> {
  // A waiter is registered before the state is read, so a transition between the two cannot be
  // missed. A wake-up is answered from its news or one read; only a state still not terminal
  // then registers the next waiter and reads again.
  const deadline = Date.now() + options.timeoutMs
  let waiter: Waiter | null = app.notifier.wait(
    id,
    Math.min(options.timeoutMs, RECHECK_MS),
    options.signal,
  )
  let release = () => {}
  try {
    let reading = await readStatus(app, viewer, id)
    if (TERMINAL_STATUSES.has(reading.body.status)) return reading.body
    // A state that turns terminal by itself is waited for on its own timing (below).
    if (reading.changesAt !== undefined) waiter = (waiter.cancel(), null)
    if (options.holdSlot !== false) {
      release = app.longPolls.hold(viewer.tenant?.tenant_id ?? reading.agentId, 'long_poll')
    }
    for (;;) {
      const remaining = Math.min(deadline, reading.changesAt ?? Infinity) - Date.now()
      if (options.signal.aborted) return reading.body
      if (remaining <= 0) {
        // A pending state that turned terminal by itself (an approval link expired): read it.
        const changed = reading.changesAt !== undefined && Date.now() >= reading.changesAt
        return changed ? (await readStatus(app, viewer, id)).body : reading.body
      }
      if (!waiter) {
        waiter = app.notifier.wait(id, Math.min(remaining, RECHECK_MS), options.signal)
        reading = await readStatus(app, viewer, id)
        if (TERMINAL_STATUSES.has(reading.body.status)) return reading.body
      }
      const outcome = await waiter.outcome
      const news = waiter.news as StatusBody | undefined
      waiter = null
      if (outcome === 'aborted') return reading.body
      // Stopping: the current state now; the client polls again (another instance, or later).
      if (outcome === 'stopping') return (await readStatus(app, viewer, id)).body
      // Woken: a wake-up follows a change, which is nearly always the terminal state. An
      // execution that ended in this process hands its terminal body to the wake-up (run.ts); this
      // viewer may read it, having read this id above.
      if (outcome === 'woken') {
        if (news && TERMINAL_STATUSES.has(news.status)) return news
        const now = await readStatus(app, viewer, id)
        if (TERMINAL_STATUSES.has(now.body.status)) return now.body
      }
      // Not yet, or time to re-read: register the next waiter and read once.
    }
  } finally {
    waiter?.cancel()
    release()
  }
}
