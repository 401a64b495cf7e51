/**
 * The execution record and its store keys: the record itself, the running marker of the instance
 * that runs it, its entries in its agent's and its permit's index, the permit's usage counter and
 * idempotency keys. This module alone reads and writes those keys. The record and its index
 * entries expire after the retention period (NITRO_RETENTION_DAYS); the usage counter lives as
 * long as its permit.
 * Status words: approved (accepted, queued) → executing → completed | failed.
 */
import type { ExecutionFailureCode } from '../../core/errors'
import { sha256Hex } from '../../core/hash'
import { LIMITS } from '../../core/limits'
import type { App } from '../app'
import { retentionMs } from '../settings/retention'
import type { ExecutionResult } from '../../schemas/types'

export type ExecutionStatus = 'approved' | 'executing' | 'completed' | 'failed'

/** How a terminal execution ended, as its status body carries it (schemas/execution-result.schema.json). */
export type { ExecutionResult }

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
  /** The registry skill that ran (`id@version`); absent for ad-hoc code. */
  skill_id?: string
  /** The agent's own label for ad-hoc code (it names no registry skill). */
  label?: string
  action_id?: string
  /** Secrets the agent declared the code uses (all of them among the permit's). */
  secrets?: string[]
  code_sha256: string
  /** sha256 of the canonical JSON of the args the code ran with. */
  args_sha256?: string
  /** The manifest the permit's human approved. */
  manifest_sha256?: string
  result?: ExecutionResult
  /** The failure as the agent reads it (its wire message). */
  error?: string
  /** The failure's catalog code. */
  error_code?: ExecutionFailureCode
}

const executionKey = (id: string) => `exec:${id}`
const runningPrefix = (node: string) => `running:${node}`
const permitExecutionsPrefix = (permitId: string) => `permit-execs:${permitId}`
const agentExecutionsPrefix = (agentId: string) => `agent-execs:${agentId}`
const idempotencyKey = (agentId: string, key: string) => `idempotency:${agentId}:${sha256Hex(key)}`

export const isTerminal = (status: ExecutionStatus) => status === 'completed' || status === 'failed'

export function readExecution(app: App, id: string): Promise<ExecutionRecord | null> {
  return app.store.get<ExecutionRecord>(executionKey(id))
}

/**
 * Store a new execution. Issued together but in this order, which both stores keep (one journal
 * batch, one Redis connection): the record is the commit point, and a crash before it leaves
 * only a running marker that the next boot clears.
 */
export async function createExecutionRecord(app: App, record: ExecutionRecord): Promise<void> {
  const entry = { created_at: record.created_at }
  const ttlMs = retentionMs(app)
  const id = record.request_id
  // One write: the marker, the index entries and the record stand or fall together.
  await app.store.setMany([
    { key: runningMarkerKey(record.node, id), value: entry },
    { key: `${agentExecutionsPrefix(record.agent_id)}:${id}`, value: entry, ttlMs },
    ...(record.permit_id
      ? [{ key: `${permitExecutionsPrefix(record.permit_id)}:${id}`, value: entry, ttlMs }]
      : []),
    { key: executionKey(id), value: record, ttlMs },
  ])
}

/** What an idempotency key holds: the execution it answered, and the request it answered. */
export interface IdempotentAnswer {
  request_id: string
  permit_id?: string
  /** sha256 of the request's canonical JSON: the same key with another request is refused. */
  fingerprint: string
}

export function readIdempotentAnswer(app: App, agentId: string, key: string) {
  return app.store.get<IdempotentAnswer>(idempotencyKey(agentId, key))
}

/** Claim an agent's idempotency key; `first` is what the key already answered, if any. */
export async function claimIdempotencyKey(
  app: App,
  agentId: string,
  key: string,
  answer: IdempotentAnswer,
): Promise<{ claimed: boolean; first?: IdempotentAnswer }> {
  const storeKey = idempotencyKey(agentId, key)
  const ttlMs = LIMITS.IDEMPOTENCY_TTL_MS
  if (await app.store.createIfAbsent(storeKey, answer, { ttlMs })) return { claimed: true }
  const first = await app.store.get<IdempotentAnswer>(storeKey)
  return { claimed: false, ...(first ? { first } : {}) }
}

/** Free a key whose execution was refused. */
export async function releaseIdempotencyKey(app: App, agentId: string, key: string): Promise<void> {
  await app.store.remove(idempotencyKey(agentId, key))
}

/**
 * Store the terminal state once: `toTerminal` builds it from the record as it is now, unless the
 * record is terminal already (then it is kept). Answers the stored record.
 */
export function storeTerminal(
  app: App,
  id: string,
  toTerminal: (current: ExecutionRecord) => ExecutionRecord,
): Promise<ExecutionRecord> {
  return app.store.update<ExecutionRecord>(executionKey(id), (current) => {
    if (!current) throw new Error('missing execution record')
    return isTerminal(current.status) ? current : toTerminal(current)
  })
}

const runningMarkerKey = (node: string, id: string) => `${runningPrefix(node)}:${id}`

/** The execution has its terminal state: it no longer runs on its instance (in a batch). */
export function clearRunningMarker(app: App, record: ExecutionRecord): void {
  app.markers.remove(runningMarkerKey(record.node, record.request_id))
}

export async function removeRunningMarker(app: App, node: string, id: string): Promise<void> {
  await app.store.remove(runningMarkerKey(node, id))
}

/** Every running marker, of every instance: executions accepted and not known to be finished. */
export async function readRunningMarkers(app: App): Promise<Array<{ node: string; id: string }>> {
  const markers = []
  for (const key of await app.store.keys('running')) {
    const [, node, id] = key.split(':')
    if (node && id) markers.push({ node, id })
  }
  return markers
}

/** An agent's executions, newest first (at most `limit`). */
export async function readAgentExecutions(app: App, agentId: string, limit: number) {
  const prefix = agentExecutionsPrefix(agentId)
  const entries = await Promise.all(
    (await app.store.keys(prefix)).map(async (key) => ({
      id: key.slice(prefix.length + 1),
      created_at: (await app.store.get<{ created_at: number }>(key))?.created_at ?? 0,
    })),
  )
  entries.sort((a, b) => b.created_at - a.created_at || (a.id < b.id ? 1 : -1))
  const records = await Promise.all(
    entries.slice(0, limit).map((entry) => readExecution(app, entry.id)),
  )
  return records.filter((record): record is ExecutionRecord => record !== null)
}

/** Every execution under a permit, unordered. */
export async function readPermitExecutions(app: App, permitId: string): Promise<ExecutionRecord[]> {
  const prefix = permitExecutionsPrefix(permitId)
  const ids = (await app.store.keys(prefix)).map((key) => key.slice(prefix.length + 1))
  const records = await Promise.all(ids.map((id) => readExecution(app, id)))
  return records.filter((record): record is ExecutionRecord => record !== null)
}

/** The record as readers see it: "executing" while this process runs it (running.ts). */
export function withLiveState(app: App, record: ExecutionRecord): ExecutionRecord {
  if (record.status !== 'approved') return record
  const startedAt = app.running.startedAt(record.request_id)
  return startedAt === undefined
    ? record
    : { ...record, status: 'executing', started_at: startedAt }
}

export function describeExecution(record: ExecutionRecord) {
  return {
    request_id: record.request_id,
    status: record.status,
    ...(record.permit_id ? { permit_id: record.permit_id } : {}),
    created_at: record.created_at,
    ...(record.started_at !== undefined ? { started_at: record.started_at } : {}),
    ...(record.finished_at !== undefined ? { finished_at: record.finished_at } : {}),
    ...describeCode(record),
    ...(record.action_id ? { action_id: record.action_id } : {}),
    ...(record.result ? { result: record.result } : {}),
    ...(record.error ? { error: record.error } : {}),
  }
}

/** One line of a list of executions (history, a permit's activity): how it ran and ended. */
export function summarizeExecution(record: ExecutionRecord) {
  return {
    request_id: record.request_id,
    status: record.status,
    created_at: record.created_at,
    ...(record.finished_at !== undefined ? { finished_at: record.finished_at } : {}),
    ...describeCode(record),
    ...(record.action_id ? { action_id: record.action_id } : {}),
    ...(record.result ? { exitCode: record.result.exitCode } : {}),
    ...(record.error_code ? { error_code: record.error_code } : {}),
  }
}

/** What ran: a registry skill by id and version, or ad-hoc code by its hash and its label. */
export function describeCode(record: ExecutionRecord) {
  if (record.skill_id) return { skill_id: record.skill_id, code_sha256: record.code_sha256 }
  return {
    code: 'ad-hoc' as const,
    code_sha256: record.code_sha256,
    ...(record.label ? { label: record.label } : {}),
  }
}
