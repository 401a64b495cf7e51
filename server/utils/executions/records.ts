/**
 * Execution records: what is stored for each POST /execute, and how its status reads.
 * Status words: approved (accepted, queued) → executing → completed | failed.
 */
import type { CallRecord } from '../gateway'

export type ExecutionStatus = 'approved' | 'executing' | 'completed' | 'failed'

export interface ExecutionResult {
  success: boolean
  stdout: string
  stderr: string
  exitCode: 0 | 1 | 124 | 137
  duration: number
  value?: unknown
  calls: CallRecord[]
}

export interface ExecutionRecord {
  request_id: string
  agent_id: string
  permit_id?: string
  owner_id?: string
  status: ExecutionStatus
  node: string
  created_at: number
  started_at?: number
  finished_at?: number
  skill_id?: string
  action_id?: string
  code_sha256: string
  result?: ExecutionResult
  error?: string
}

export const executionKey = (id: string) => `exec:${id}`
export const runningPrefix = (node: string) => `running:${node}`
export const permitExecutionsPrefix = (permitId: string) => `permit-execs:${permitId}`
export const permitUsageKey = (permitId: string) => `permit-usage:${permitId}`
export const idempotencyKey = (agentId: string, digest: string) =>
  `idempotency:${agentId}:${digest}`

export const isTerminal = (status: ExecutionStatus) => status === 'completed' || status === 'failed'

export function describeExecution(record: ExecutionRecord) {
  return {
    request_id: record.request_id,
    status: record.status,
    ...(record.permit_id ? { permit_id: record.permit_id } : {}),
    created_at: record.created_at,
    ...(record.started_at !== undefined ? { started_at: record.started_at } : {}),
    ...(record.finished_at !== undefined ? { finished_at: record.finished_at } : {}),
    ...(record.skill_id ? { skill_id: record.skill_id } : {}),
    ...(record.action_id ? { action_id: record.action_id } : {}),
    ...(record.result ? { result: record.result } : {}),
    ...(record.error ? { error: record.error } : {}),
  }
}
