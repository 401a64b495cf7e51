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
import type { ValidateFunction } from 'ajv'
import { describeSchemaErrors } from '../schemas'
import { resolveSkill } from '../skills/registry'
import { compileArgsSchema } from '../skills/validate'
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

export async function executeCode(
  app: App,
  agent: Tenant,
  body: ExecuteRequest,
  publicOrigin: string,
) {
  const permitId = body.permit_id ?? body.session_id
  const permit = permitId === undefined ? null : await readUsablePermit(app, agent, permitId)
  const { code, label, timeoutMs } = await chooseCode(app, body, permit)
  assertRunnableCode(code)
  const answer = (id: string) => ({
    request_id: id,
    status: 'approved' as const,
    ...(permit ? { permit_id: permit.permit_id } : {}),
    status_url: `${publicOrigin}/execute/${id}/status?wait=true`,
  })

  const id = createId('exec')
  let claimedKey: string | undefined
  if (body.idempotency_key !== undefined) {
    const key = idempotencyKey(agent.tenant_id, sha256Hex(body.idempotency_key))
    if (
      await app.store.createIfAbsent(key, { request_id: id }, { ttlMs: LIMITS.IDEMPOTENCY_TTL_MS })
    )
      claimedKey = key
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
    ...(label ? { skill_id: label } : {}),
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
      app.store.set(`${runningPrefix(app.settings.nodeId)}:${id}`, {
        created_at: record.created_at,
      }),
      permit
        ? app.store.set(`${permitExecutionsPrefix(permit.permit_id)}:${id}`, {
            created_at: record.created_at,
          })
        : null,
      app.store.set(executionKey(id), record),
    ])
  } catch (error) {
    reservation?.release()
    // A refused execution must not hold its idempotency key: the retry deserves a real answer.
    if (claimedKey) await app.store.remove(claimedKey)
    throw error
  }

  const running = runExecution(app, record, permit, code, body.args ?? {}, reservation, timeoutMs)
  app.inflight.add(running)
  void running.finally(() => app.inflight.delete(running))
  return answer(id)
}

/**
 * What runs: a skill-bound permit runs its pinned skill and nothing else; otherwise the code
 * given, with skill_id as a label; otherwise the registry skill named by skill_id (one that needs
 * no capabilities). A skill's args are checked against its schema first: bad args run nothing.
 */
async function chooseCode(
  app: App,
  body: ExecuteRequest,
  permit: PermitRecord | null,
): Promise<{ code: string; label?: string; timeoutMs?: number }> {
  const given = body.code ?? body.skill_code
  if (permit?.skill) {
    const pinned = permit.skill
    if (
      given !== undefined ||
      (body.skill_id !== undefined && body.skill_id.split('@')[0] !== pinned.id)
    )
      fail('SKILL_PERMIT_RUNS_ITS_SKILL')
    assertSkillArgs(pinned.sha256, pinned.args, body.args ?? {})
    return {
      code: pinned.code,
      label: `${pinned.id}@${pinned.version}`,
      ...(pinned.timeout_ms ? { timeoutMs: pinned.timeout_ms } : {}),
    }
  }
  if (given !== undefined)
    return { code: given, ...(body.skill_id ? { label: body.skill_id } : {}) }
  if (body.skill_id === undefined) return fail('CODE_REQUIRED')
  const skill = await resolveSkill(app, body.skill_id)
  if (skill.capabilities.length > 0) fail('SKILL_NEEDS_PERMIT')
  assertSkillArgs(skill.sha256, skill.manifest.args, body.args ?? {})
  return {
    code: skill.code,
    label: `${skill.id}@${skill.version}`,
    ...(skill.manifest.timeout_ms ? { timeoutMs: skill.manifest.timeout_ms } : {}),
  }
}

const argsValidators = new Map<string, ValidateFunction>()

function assertSkillArgs(sha256: string, schema: object, args: unknown) {
  let validate = argsValidators.get(sha256)
  if (!validate) {
    validate = compileArgsSchema(schema)
    if (argsValidators.size > 1000) argsValidators.clear()
    argsValidators.set(sha256, validate)
  }
  if (!validate(args))
    fail('INVALID_ARGS', { details: { errors: describeSchemaErrors(validate.errors) } })
}

function reservePlace(app: App): Reservation {
  try {
    return app.pool.reserve()
  } catch (error) {
    if (error instanceof PoolFullError)
      fail('OVERLOADED', { retryAfterSeconds: error.retryAfterSeconds })
    return fail('STORE_UNAVAILABLE', { retryAfterSeconds: 5 })
  }
}

/** The agent's own permit, approved and in force; another agent's permit is 404 like an unknown one. */
async function readUsablePermit(app: App, agent: Tenant, permitId: string): Promise<PermitRecord> {
  const permit = isIdShaped(permitId, 'permit')
    ? await app.store.get<PermitRecord>(permitKey(permitId))
    : null
  if (!permit || permit.agent_id !== agent.tenant_id) fail('NOT_FOUND')
  const status = permitStatusOf(permit)
  if (status === 'revoked') fail('PERMIT_REVOKED')
  if (status === 'expired') fail('PERMIT_EXPIRED')
  if (status !== 'active') fail('PERMIT_NOT_APPROVED')
  return permit
}

async function countExecution(app: App, permit: PermitRecord) {
  await app.store.update<number>(permitUsageKey(permit.permit_id), (used) => {
    if ((used ?? 0) >= permit.max_executions)
      fail('PERMIT_EXHAUSTED', { details: { max_executions: permit.max_executions } })
    return (used ?? 0) + 1
  })
}
