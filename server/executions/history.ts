/**
 * GET /history: an agent's recent executions, newest first, each with its status_url.
 */
import type { Tenant } from '../accounts/tenants'
import type { App } from '../app'
import { statusUrlFor } from '../http/status-links'
import { describeCode, readAgentExecutions, withLiveState } from './records'

export async function readHistory(
  app: App,
  agent: Tenant,
  options: { limit: number; publicOrigin: string },
) {
  const records = await readAgentExecutions(app, agent.tenant_id, options.limit)
  return {
    executions: records
      .map((stored) => withLiveState(app, stored))
      .map((record) => ({
        request_id: record.request_id,
        status: record.status,
        ...(record.permit_id ? { permit_id: record.permit_id } : {}),
        created_at: record.created_at,
        ...(record.finished_at !== undefined ? { finished_at: record.finished_at } : {}),
        ...describeCode(record),
        ...(record.action_id ? { action_id: record.action_id } : {}),
        ...(record.result ? { exitCode: record.result.exitCode } : {}),
        ...(record.error_code ? { error_code: record.error_code } : {}),
        status_url: statusUrlFor(app, options.publicOrigin, record.request_id),
      })),
  }
}
