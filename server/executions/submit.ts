/**
 * POST /execute: check the code and the permit, count the execution against the permit's budget,
 * store the record (the commit point), hand the job to the sandbox pool and answer at once;
 * the result arrives through status_url.
 */
import { sha256Hex } from '../../core/canonical-json'
import { assertRunnableCode } from '../../core/code-check'
import { fail } from '../../core/errors'
import { assertSkillArgs } from '../../core/skills/args'
import { PoolClosedError, PoolFullError, type Reservation } from '../../runtime/pool'
import type { ExecuteRequest } from '../../schemas/types'
import type { Tenant } from '../accounts/tenants'
import { createId } from '../accounts/tokens'
import type { App } from '../app'
import { readPermitFor } from '../permits/access'
import type { PermitRecord } from '../permits/records'
import { resolveSkill } from '../skills/registry'
import {
  claimIdempotencyKey,
  countExecution,
  createExecutionRecord,
  releaseIdempotencyKey,
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
  const permit =
    permitId === undefined ? null : await readPermitFor(app, { tenant: agent }, permitId, 'execute')
  const { code, label, timeoutMs } = await chooseCode(app, body, permit)
  assertRunnableCode(code)
  const answer = (id: string) => ({
    request_id: id,
    status: 'approved' as const,
    ...(permit ? { permit_id: permit.permit_id } : {}),
    status_url: `${publicOrigin}/execute/${id}/status?wait=true`,
  })

  const id = createId('exec')
  const key = body.idempotency_key
  let claimed = false
  if (key !== undefined) {
    const claim = await claimIdempotencyKey(app, agent.tenant_id, key, id)
    if (claim.first) return answer(claim.first)
    claimed = claim.claimed
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
    await createExecutionRecord(app, record)
  } catch (error) {
    reservation?.release()
    // A refused execution must not hold its idempotency key: the retry deserves a real answer.
    if (claimed) await releaseIdempotencyKey(app, agent.tenant_id, key!)
    throw error
  }
  const run = { record, permit, code, args: body.args ?? {}, ...(timeoutMs ? { timeoutMs } : {}) }
  app.inflight.track(runExecution(app, run, reservation))
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
    const otherSkill = body.skill_id !== undefined && body.skill_id.split('@')[0] !== pinned.id
    if (given !== undefined || otherSkill) fail('SKILL_PERMIT_RUNS_ITS_SKILL')
    assertSkillArgs(pinned, body.args ?? {})
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
  assertSkillArgs({ sha256: skill.sha256, args: skill.manifest.args }, body.args ?? {})
  return {
    code: skill.code,
    label: `${skill.id}@${skill.version}`,
    ...(skill.manifest.timeout_ms ? { timeoutMs: skill.manifest.timeout_ms } : {}),
  }
}

/** A place in the sandbox queue, held before the record is stored (429 when the queue is full). */
function reservePlace(app: App): Reservation {
  try {
    return app.pool.reserve()
  } catch (error) {
    if (error instanceof PoolFullError)
      fail('OVERLOADED', { retryAfterSeconds: error.retryAfterSeconds })
    if (error instanceof PoolClosedError) fail('SHUTTING_DOWN', { retryAfterSeconds: 5 })
    return fail('SANDBOX_UNAVAILABLE', { retryAfterSeconds: 30 })
  }
}
