/**
 * The activity feed of one permit: every execution under it with its capability calls, newest
 * first: what ran (a registry skill, or ad-hoc code by its hash and the agent's label), how it
 * ended. Readable by the permit's agent and owner, or with the permit's approval token.
 */
import type { App } from '../app'
import { describeCode, readPermitExecutions } from '../executions/records'
import { paginate, type PageQuery } from '../http/pagination'
import { readPermitFor, type Viewer } from './access'

export async function listActions(app: App, viewer: Viewer, permitId: string, query: PageQuery) {
  const permit = await readPermitFor(app, viewer, permitId, 'view')
  const records = (await readPermitExecutions(app, permit.permit_id)).sort(
    (a, b) => b.created_at - a.created_at || (a.request_id < b.request_id ? 1 : -1),
  )
  const { page, next_cursor } = paginate(records, (record) => record.request_id, query)
  return {
    permit_id: permit.permit_id,
    actions: page.map((record) => ({
      request_id: record.request_id,
      status: record.status,
      created_at: record.created_at,
      ...(record.finished_at !== undefined ? { finished_at: record.finished_at } : {}),
      ...describeCode(record),
      ...(record.action_id ? { action_id: record.action_id } : {}),
      ...(record.result ? { exitCode: record.result.exitCode } : {}),
      // The failure's code and the (redacted) message the agent read.
      ...(record.error_code ? { error_code: record.error_code } : {}),
      ...(record.error ? { error: record.error } : {}),
      calls: record.result?.calls ?? [],
    })),
    next_cursor,
  }
}
