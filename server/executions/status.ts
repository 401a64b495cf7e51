/**
 * The one status endpoint behind every status_url. Reads are scoped by the caller; with `wait`
 * the request parks on the notifier until the state is terminal, the timeout passes, or the
 * client leaves — and its waiter is removed in every one of those cases.
 */
import { fail } from '../../core/errors'
import type { Tenant } from '../accounts/tenants'
import { isIdShaped } from '../accounts/tokens'
import type { App } from '../app'
import { readRequestFor } from '../permits/access'
import { requestStatusOf } from '../permits/records'
import { describeExecution, readExecution, type ExecutionRecord } from './records'

export const TERMINAL_STATUSES = new Set(['completed', 'failed', 'denied', 'expired'])

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
  /** When a pending state turns terminal by itself (an approval link expiring). */
  changesAt?: number
}

type StatusSource = (app: App, tenant: Tenant, id: string) => Promise<StatusReading | null>

async function readRequestStatus(
  app: App,
  tenant: Tenant,
  id: string,
): Promise<StatusReading | null> {
  const permit = await readRequestFor(app, tenant, id)
  if (!permit) return null
  const status = requestStatusOf(permit)
  return {
    body: {
      request_id: permit.request_id,
      status,
      permit_id: permit.permit_id,
      created_at: permit.created_at,
      ...(permit.decided_at !== undefined
        ? { finished_at: permit.decided_at }
        : status === 'expired'
          ? { finished_at: permit.request_expires_at }
          : {}),
    },
    ...(status === 'pending' ? { changesAt: permit.request_expires_at } : {}),
  }
}

/** An execution is visible to the agent that ran it and to the owner of its permit. */
export async function readVisibleExecution(
  app: App,
  tenant: Tenant,
  id: string,
): Promise<ExecutionRecord | null> {
  const record = isIdShaped(id, 'exec') ? await readExecution(app, id) : null
  if (!record) return null
  return record.agent_id === tenant.tenant_id ||
    (tenant.role === 'owner' && record.owner_id === tenant.tenant_id)
    ? record
    : null
}

async function readExecutionStatus(
  app: App,
  tenant: Tenant,
  id: string,
): Promise<StatusReading | null> {
  const record = await readVisibleExecution(app, tenant, id)
  return record ? { body: describeExecution(record) } : null
}

/** GET /execute/:id/stdout */
export async function readStdout(app: App, tenant: Tenant, id: string): Promise<string> {
  const record = await readVisibleExecution(app, tenant, id)
  if (!record) fail('NOT_FOUND')
  return record.result?.stdout ?? ''
}

/** Status sources by id prefix. */
export const STATUS_SOURCES: Record<string, StatusSource> = {
  preq: readRequestStatus,
  exec: readExecutionStatus,
}

export async function readStatus(app: App, tenant: Tenant, id: string): Promise<StatusReading> {
  const prefix = id.split('_')[0]
  const source =
    Object.hasOwn(STATUS_SOURCES, prefix) && isIdShaped(id, prefix)
      ? STATUS_SOURCES[prefix]
      : undefined
  const reading = source ? await source(app, tenant, id) : null
  if (!reading) fail('NOT_FOUND')
  return reading
}

export async function waitForStatus(
  app: App,
  tenant: Tenant,
  id: string,
  options: { timeoutMs: number; signal: AbortSignal },
): Promise<StatusBody> {
  let reading = await readStatus(app, tenant, id)
  if (TERMINAL_STATUSES.has(reading.body.status)) return reading.body
  const release = app.longPolls.hold(tenant.tenant_id)
  try {
    const deadline = Date.now() + options.timeoutMs
    for (;;) {
      const remaining = Math.min(deadline, reading.changesAt ?? Infinity) - Date.now()
      if (remaining <= 0 || options.signal.aborted) return reading.body
      const stop = new AbortController()
      const onAbort = () => stop.abort()
      options.signal.addEventListener('abort', onAbort, { once: true })
      // Register before re-reading, so a transition between the two cannot be missed.
      const woken = app.notifier.wait(id, remaining, stop.signal)
      reading = await readStatus(app, tenant, id)
      if (TERMINAL_STATUSES.has(reading.body.status)) stop.abort()
      const outcome = await woken
      options.signal.removeEventListener('abort', onAbort)
      if (TERMINAL_STATUSES.has(reading.body.status)) return reading.body
      reading = await readStatus(app, tenant, id)
      if (TERMINAL_STATUSES.has(reading.body.status) || outcome !== 'woken') return reading.body
    }
  } finally {
    release()
  }
}
