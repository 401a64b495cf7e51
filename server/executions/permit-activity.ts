/**
 * The activity feed of one permit: every execution under it with its capability calls, newest
 * first: what ran (a registry skill, or ad-hoc code by its hash and the agent's label), how it
 * ended. Readable by the permit's agent and owner, or with the permit's approval token.
 */
import type { App } from '../app'
import { readPermitExecutions, summarizeExecution } from './records'
import { paginate, type PageQuery } from '../../core/pagination'
import { readPermitFor, type Viewer } from '../permits/access'

export async function listActions(app: App, viewer: Viewer, permitId: string, query: PageQuery) {
  const permit = await readPermitFor(app, viewer, permitId, 'view')
  const records = (await readPermitExecutions(app, permit.permit_id)).sort(
    (a, b) => b.created_at - a.created_at || (a.request_id < b.request_id ? 1 : -1),
  )
  const { page, next_cursor } = paginate(records, (record) => record.request_id, query)
  return {
    permit_id: permit.permit_id,
    actions: page.map((record) => ({
      ...summarizeExecution(record),
      // With the failure's code, the (redacted) message the agent read.
      ...(record.error ? { error: record.error } : {}),
      calls: record.result?.calls ?? [],
    })),
    next_cursor,
  }
}
