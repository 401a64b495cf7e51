/**
 * One log line and the execution metrics when an execution ends: its id, tenant, outcome,
 * durations and how many capability calls it made — never its code, arguments or output.
 */
import type { ExecutionRecord } from '../executions/records'
import { useLogger } from './logger'
import { executionSeconds, executions, queueWaitSeconds } from './metrics'

export function recordExecutionEnd(record: ExecutionRecord): void {
  const outcome = record.status === 'completed' ? 'completed' : (record.error_code ?? 'failed')
  const ranMs =
    record.started_at !== undefined && record.finished_at !== undefined
      ? record.finished_at - record.started_at
      : undefined
  const queuedMs =
    record.started_at !== undefined ? record.started_at - record.created_at : undefined
  executions.inc([outcome])
  if (ranMs !== undefined) executionSeconds.observe(ranMs / 1000)
  if (queuedMs !== undefined) queueWaitSeconds.observe(queuedMs / 1000)
  useLogger().info(
    {
      exec_id: record.request_id,
      tenant: record.agent_id,
      ...(record.permit_id ? { permit: record.permit_id } : {}),
      ...(record.skill_id ? { skill: record.skill_id } : {}),
      outcome,
      ...(ranMs !== undefined ? { ms: ranMs } : {}),
      ...(queuedMs !== undefined ? { queued_ms: queuedMs } : {}),
      calls: record.result?.calls.length ?? 0,
    },
    'execution',
  )
}
