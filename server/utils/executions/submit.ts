/**
 * POST /execute: check the code and the permit, count the execution against the permit's budget,
 * store the record (the commit point), hand the job to the sandbox pool and answer at once;
 * the result arrives through status_url.
 */
import { PoolFullError, type Reservation } from '../../../runtime/pool'
import type { Tenant } from '../accounts'
import type { App } from '../app'
import { sha256Hex } from '../canonical-json'
import { fail } from '../errors'
import { LIMITS } from '../limits'
import { permitKey, permitStatusOf, type PermitRecord } from '../permits'
import { createId, isIdShaped } from '../tokens'
import type { ExecuteRequest } from '../../../schemas/types'
import { assertRunnableCode } from './code-check'
import {
  executionKey,
  idempotencyKey,
  permitExecutionsPrefix,
  permitUsageKey,
  runningPrefix,
  type ExecutionRecord,
} from './records'
import { runExecution } from './run'

export async function executeCode(app: App, agent: Tenant, body: ExecuteRequest, publicOrigin: string) {
  const code = body.code ?? body.skill_code
  if (code === undefined) fail('CODE_REQUIRED')
  assertRunnableCode(code)
  const permitId = body.permit_id ?? body.session_id
  const permit = permitId === undefined ? null : await readUsablePermit(app, agent, permitId)
  const answer = (id: string) => ({ request_id: id, status: 'approved' as const, ...(permit ? { permit_id: permit.permit_id } : {}), status_url: `${publicOrigin}/execute/${id}/status?wait=true` })

  const id = createId('exec')
  let claimedKey: string | undefined
  if (body.idempotency_key !== undefined) {
    const key = idempotencyKey(agent.tenant_id, sha256Hex(body.idempotency_key))
    if (await app.store.createIfAbsent(key, { request_id: id }, { ttlMs: LIMITS.IDEMPOTENCY_TTL_MS })) claimedKey = key
    else {
      const first = await app.store.get<{ request_id: string }>(key)
      if (first) return answer(first.request_id)
    }
  }
  const record: ExecutionRecord = {
    request_id: id,
    agent_id: agent.tenant_id,
    ...(permit ? { permit_id: permit.permit_id, owner_id: permit.owner_id } : {}),
    status: 'approved',
    node: app.settings.nodeId,
    created_at: Date.now(),
    ...(body.skill_id ? { skill_id: body.skill_id } : {}),
    ...(body.action_id ? { action_id: body.action_id } : {}),
    code_sha256: sha256Hex(code),
  }
  let reservation: Reservation | undefined
  try {
    reservation = reservePlace(app)
    if (permit) await countExecution(app, permit)
    // Issued together but in this order, which both stores keep (one journal batch, one Redis
    // connection): the record is the commit point, and a crash before it leaves only a marker
    // that the next boot clears.
    await Promise.all([
      app.store.set(`${runningPrefix(app.settings.nodeId)}:${id}`, { created_at: record.created_at }),
      permit ? app.store.set(`${permitExecutionsPrefix(permit.permit_id)}:${id}`, { created_at: record.created_at }) : null,
      app.store.set(executionKey(id), record),
    ])
  } catch (error) {
    reservation?.release()
    // A refused execution must not hold its idempotency key: the retry deserves a real answer.
    if (claimedKey) await app.store.remove(claimedKey)
    throw error
  }

  const running = runExecution(app, record, permit, code, body.args ?? {}, reservation)
  app.inflight.add(running)
  void running.finally(() => app.inflight.delete(running))
  return answer(id)
}

function reservePlace(app: App): Reservation {
  try {
    return app.pool.reserve()
  } catch (error) {
    if (error instanceof PoolFullError) fail('OVERLOADED', { retryAfterSeconds: error.retryAfterSeconds })
    return fail('STORE_UNAVAILABLE', { retryAfterSeconds: 5 })
  }
}

/** The agent's own permit, approved and in force; another agent's permit is 404 like an unknown one. */
async function readUsablePermit(app: App, agent: Tenant, permitId: string): Promise<PermitRecord> {
  const permit = isIdShaped(permitId, 'permit') ? await app.store.get<PermitRecord>(permitKey(permitId)) : null
  if (!permit || permit.agent_id !== agent.tenant_id) fail('NOT_FOUND')
  const status = permitStatusOf(permit)
  if (status === 'revoked') fail('PERMIT_REVOKED')
  if (status === 'expired') fail('PERMIT_EXPIRED')
  if (status !== 'active') fail('PERMIT_NOT_APPROVED')
  return permit
}

async function countExecution(app: App, permit: PermitRecord) {
  await app.store.update<number>(permitUsageKey(permit.permit_id), (used) => {
    if ((used ?? 0) >= permit.max_executions) fail('PERMIT_EXHAUSTED', { details: { max_executions: permit.max_executions } })
    return (used ?? 0) + 1
  })
}
