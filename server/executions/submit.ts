/**
 * POST /execute: check the code and the permit, count the execution against the permit's budget,
 * store the record (the commit point), hand the job to the sandbox pool and answer at once;
 * the result arrives through status_url. An idempotency key answers a retry of the same request
 * with the first execution, exactly, and refuses it for a different request.
 */
import { sha256Json } from '../../core/hash'
import { fail } from '../../core/errors'
import { assertSkillArgs } from '../../core/skills/args'
import { PoolClosedError, PoolFullError, type Reservation } from '../../runtime/pool'
import type { ExecuteRequest } from '../../schemas/types'
import type { Tenant } from '../accounts/tenants'
import { createId } from '../accounts/tokens'
import type { App } from '../app'
import { statusUrlFor } from '../accounts/status-links'
import { readPermitFor } from '../permits/access'
import type { PermitRecord } from '../permits/records'
import { countExecution } from '../permits/usage'
import { resolveSkill } from '../skills/registry'
import {
  claimIdempotencyKey,
  createExecutionRecord,
  readIdempotentAnswer,
  releaseIdempotencyKey,
  type ExecutionRecord,
  type IdempotentAnswer,
} from './records'
import { checkCode } from './checked-code'
import { runExecution } from './run'

export interface SubmitContext {
  publicOrigin: string
  /** The Idempotency-Key header, when sent. */
  idempotencyKey?: string
}

export async function executeCode(
  app: App,
  agent: Tenant,
  body: ExecuteRequest,
  context: SubmitContext,
) {
  assertSupported(body)
  const key = idempotencyKeyOf(body, context)
  const answer = (first: Pick<IdempotentAnswer, 'request_id' | 'permit_id'>) => ({
    request_id: first.request_id,
    status: 'approved' as const,
    ...(first.permit_id ? { permit_id: first.permit_id } : {}),
    status_url: statusUrlFor(app, context.publicOrigin, first.request_id),
  })
  // Hashed only when a key is given: the request's canonical JSON includes all of its code.
  const fingerprint = key === undefined ? '' : sha256Json(requestOf(body))
  const replay = (first: IdempotentAnswer) => {
    if (first.fingerprint !== fingerprint) fail('IDEMPOTENCY_KEY_REUSED')
    return answer(first)
  }
  if (key !== undefined) {
    const first = await readIdempotentAnswer(app, agent.tenant_id, key)
    if (first) return replay(first)
  }

  const permitId = body.permit_id ?? body.session_id
  const permit =
    permitId === undefined ? null : await readPermitFor(app, { tenant: agent }, permitId, 'execute')
  assertSecretsInPermit(body.secrets ?? [], permit)
  const chosen = await chooseCode(app, body, permit)
  const codeSha256 = checkCode(chosen.code)

  const id = createId('exec')
  let claimed = false
  if (key !== undefined) {
    const held = { request_id: id, fingerprint, ...(permit ? { permit_id: permit.permit_id } : {}) }
    const claim = await claimIdempotencyKey(app, agent.tenant_id, key, held)
    if (claim.first) return replay(claim.first)
    claimed = claim.claimed
  }
  const record: ExecutionRecord = {
    request_id: id,
    agent_id: agent.tenant_id,
    ...(permit ? { permit_id: permit.permit_id, owner_id: permit.owner_id } : {}),
    status: 'approved',
    node: app.instanceId,
    created_at: Date.now(),
    ...(chosen.skillId ? { skill_id: chosen.skillId } : {}),
    ...(chosen.label ? { label: chosen.label } : {}),
    ...(body.action_id ? { action_id: body.action_id } : {}),
    ...(body.secrets?.length ? { secrets: body.secrets } : {}),
    code_sha256: codeSha256,
    args_sha256: sha256Json(body.args ?? {}),
    ...(permit ? { manifest_sha256: permit.manifest_sha256 } : {}),
  }
  let reservation: Reservation | undefined
  try {
    reservation = reservePlace(app, agent.tenant_id)
    if (permit) await countExecution(app, permit)
    // The commit point: no execution starts before its record is stored (RL-07).
    await createExecutionRecord(app, record)
  } catch (error) {
    reservation?.release()
    // A refused execution must not hold its idempotency key: the retry deserves a real answer.
    if (claimed) await releaseIdempotencyKey(app, agent.tenant_id, key!)
    throw error
  }
  const run = {
    record,
    permit,
    code: chosen.code,
    args: body.args ?? {},
    timeoutMs: chosen.timeoutMs,
  }
  app.inflight.track(runExecution(app, run, reservation))
  return answer({ request_id: id, ...(permit ? { permit_id: permit.permit_id } : {}) })
}

/** Fields of older clients this server does not honour, refused rather than ignored. */
function assertSupported(body: ExecuteRequest) {
  // Ignoring dry_run would run code the caller meant only to check.
  if (body.dry_run === true) fail('DRY_RUN_UNSUPPORTED')
  if (body.skill_url !== undefined) fail('SKILL_URL_UNSUPPORTED')
  if (body.code !== undefined && body.skill_code !== undefined) fail('CODE_AMBIGUOUS')
}

function idempotencyKeyOf(body: ExecuteRequest, context: SubmitContext): string | undefined {
  const header = context.idempotencyKey
  if (
    header !== undefined &&
    body.idempotency_key !== undefined &&
    header !== body.idempotency_key
  ) {
    fail('INVALID_BODY', {
      details: { reason: 'the Idempotency-Key header and idempotency_key differ' },
    })
  }
  return body.idempotency_key ?? header
}

/** The request as an idempotency key remembers it: everything that decides what runs. */
function requestOf(body: ExecuteRequest) {
  return {
    permit_id: body.permit_id ?? body.session_id ?? null,
    code: body.code ?? body.skill_code ?? null,
    skill_id: body.skill_id ?? null,
    args: body.args ?? {},
    action_id: body.action_id ?? null,
    secrets: [...(body.secrets ?? [])].sort(),
  }
}

/** Secrets the agent names must all be among the permit's (older clients declare them). */
function assertSecretsInPermit(secrets: string[], permit: PermitRecord | null) {
  const unknown = secrets.filter((name) => !permit?.secrets.includes(name))
  if (unknown.length) fail('SECRET_NOT_IN_PERMIT', { details: { secrets: unknown } })
}

interface ChosenCode {
  code: string
  /** The registry skill that runs (`id@version`). */
  skillId?: string
  /** The agent's label for its own code. */
  label?: string
  /** A skill's own, shorter time limit. */
  timeoutMs?: number
}

/**
 * What runs: a skill-bound permit runs its pinned skill and nothing else; otherwise the code
 * given, with skill_id as its label; otherwise the registry skill named by skill_id (one that
 * needs no capabilities). A skill's args are checked against its schema first: bad args run
 * nothing.
 */
async function chooseCode(
  app: App,
  body: ExecuteRequest,
  permit: PermitRecord | null,
): Promise<ChosenCode> {
  const given = body.code ?? body.skill_code
  if (permit?.skill) {
    const pinned = permit.skill
    const otherSkill = body.skill_id !== undefined && body.skill_id.split('@')[0] !== pinned.id
    if (given !== undefined || otherSkill) fail('SKILL_PERMIT_RUNS_ITS_SKILL')
    assertSkillArgs(pinned, body.args ?? {})
    return {
      code: pinned.code,
      skillId: `${pinned.id}@${pinned.version}`,
      timeoutMs: pinned.timeout_ms,
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
    skillId: `${skill.id}@${skill.version}`,
    timeoutMs: skill.manifest.timeout_ms,
  }
}

/** A place in the sandbox queue, held before the record is stored (429 when the queue is full). */
function reservePlace(app: App, tenantId: string): Reservation {
  try {
    return app.pool.reserve(tenantId)
  } catch (error) {
    if (error instanceof PoolFullError) {
      fail('OVERLOADED', {
        retryAfterSeconds: error.retryAfterSeconds,
        details: { reason: error.reason },
      })
    }
    if (error instanceof PoolClosedError) fail('SHUTTING_DOWN', { retryAfterSeconds: 5 })
    return fail('SANDBOX_UNAVAILABLE', { retryAfterSeconds: 30 })
  }
}
