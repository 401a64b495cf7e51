/**
 * A permit's execution budget: one counter per permit, counted atomically as each execution
 * starts (PERMIT_EXHAUSTED past max_executions), kept as long as the permit's record.
 */
import { fail } from '../../core/errors'
import type { App } from '../app'
import { permitRetentionMs, type PermitRecord } from './records'

const permitUsageKey = (permitId: string) => `permit-usage:${permitId}`

/** Count one execution against the permit's budget, atomically; PERMIT_EXHAUSTED past it. */
export async function countExecution(app: App, permit: PermitRecord): Promise<void> {
  const update = (used: number | null) => {
    if ((used ?? 0) >= permit.max_executions) {
      fail('PERMIT_EXHAUSTED', { details: { max_executions: permit.max_executions } })
    }
    return (used ?? 0) + 1
  }
  // The counter lives as long as the permit's record: a budget must not reset while in force.
  await app.store.update<number>(permitUsageKey(permit.permit_id), update, {
    ttlMs: permitRetentionMs(app, permit),
  })
}

/** How many executions a permit has started (its budget is max_executions). */
export async function readExecutionsUsed(app: App, permitId: string): Promise<number> {
  return (await app.store.get<number>(permitUsageKey(permitId))) ?? 0
}
