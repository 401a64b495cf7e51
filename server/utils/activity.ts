/**
 * The activity feed of one permit: every execution under it with its capability calls, newest
 * first. Readable by the permit's agent and owner, or with the permit's approval token.
 */
import type { Tenant } from './accounts'
import type { App } from './app'
import { fail } from './errors'
import { executionKey, permitExecutionsPrefix, type ExecutionRecord } from './executions'
import { paginate, type PageQuery } from './pagination'
import { canSeePermit, isApprovalTokenFor, permitKey, type PermitRecord } from './permits'
import { isIdShaped } from './tokens'

export async function readPermitForActivity(
  app: App,
  permitId: string,
  viewer: Tenant | null,
  approvalToken: string | undefined,
): Promise<PermitRecord> {
  const permit = isIdShaped(permitId, 'permit')
    ? await app.store.get<PermitRecord>(permitKey(permitId))
    : null
  if (!permit) fail('NOT_FOUND')
  if (viewer && canSeePermit(permit, viewer)) return permit
  if (
    approvalToken !== undefined &&
    (await isApprovalTokenFor(app, approvalToken, permit.request_id))
  )
    return permit
  if (!viewer && approvalToken === undefined) fail('UNAUTHORIZED')
  return fail('NOT_FOUND')
}

export async function listActions(app: App, permit: PermitRecord, query: PageQuery) {
  const prefix = permitExecutionsPrefix(permit.permit_id)
  const ids = (await app.store.keys(prefix)).map((key) => key.slice(prefix.length + 1))
  const records = (
    await Promise.all(ids.map((id) => app.store.get<ExecutionRecord>(executionKey(id))))
  )
    .filter((record): record is ExecutionRecord => record !== null)
    .sort((a, b) => b.created_at - a.created_at || (a.request_id < b.request_id ? 1 : -1))
  const { page, next_cursor } = paginate(records, (record) => record.request_id, query)
  return {
    permit_id: permit.permit_id,
    actions: page.map((record) => ({
      request_id: record.request_id,
      status: record.status,
      created_at: record.created_at,
      ...(record.finished_at !== undefined ? { finished_at: record.finished_at } : {}),
      ...(record.action_id ? { action_id: record.action_id } : {}),
      ...(record.skill_id ? { skill_id: record.skill_id } : {}),
      ...(record.result ? { exitCode: record.result.exitCode } : {}),
      ...(record.error ? { error: record.error.split(':')[0] } : {}),
      calls: record.result?.calls ?? [],
    })),
    next_cursor,
  }
}
