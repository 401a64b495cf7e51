/**
 * Running one execution: open a gateway context for its permit (the owner's secrets stay in this
 * process), give the job to the sandbox pool, then store the redacted result and wake every poll
 * waiting on it. Never throws: every outcome becomes a terminal record.
 */
import { failure, type ExecutionFailure } from '../../core/errors'
import { sha256Json } from '../../core/hash'
import { PoolClosedError, type GuestResult, type Reservation } from '../../runtime/pool'
import type { App } from '../app'
import { signReceipt } from '../attestation/receipts'
import { callCapability, openGatewayContext, type CallRecord } from '../gateway'
import { NO_REDACTION, type Redactor } from '../gateway/redact'
import type { PermitRecord } from '../permits/records'
import { retryWhileStoreDown } from '../store/retry'
import {
  clearRunningMarker,
  describeExecution,
  storeTerminal,
  type ExecutionRecord,
  type ExecutionResult,
} from './records'

export interface RunRequest {
  record: ExecutionRecord
  permit: PermitRecord | null
  code: string
  args: unknown
  /** A skill's own, shorter time limit. */
  timeoutMs?: number
}

const NO_CAPABILITIES = (fn: string) =>
  Promise.resolve({
    ok: false as const,
    error: failure('unknown_capability', `${fn} is not a capability`),
  })

export async function runExecution(
  app: App,
  run: RunRequest,
  reservation: Reservation,
): Promise<void> {
  const id = run.record.request_id
  let calls: CallRecord[] = []
  let redact: Redactor = NO_REDACTION
  let outcome: GuestResult
  app.live.open(id)
  let callsSent = 0
  /** Each call record the gateway added since the last one sent, to the live feed. */
  const sendNewCalls = () => {
    for (; callsSent < calls.length; callsSent++) {
      app.live.push(id, { type: 'call', data: calls[callsSent] })
    }
  }
  try {
    const gateway = run.permit ? await openGatewayContext(app, run.permit) : null
    if (gateway) ({ calls, redact } = gateway)
    outcome = await app.pool.run(
      {
        id,
        tenant: run.record.agent_id,
        code: run.code,
        args: run.args,
        functions: run.permit?.capabilities.map((capability) => capability.function) ?? [],
        call: async (fn, args, signal) => {
          if (!gateway) return NO_CAPABILITIES(fn)
          const reply = await callCapability(gateway, fn, args, signal)
          sendNewCalls()
          return reply
        },
        onStart: () => void app.running.start(id),
        onOutput: (stream, text) => app.live.push(id, { type: stream, data: redact.text(text) }),
        ...(run.timeoutMs ? { timeoutMs: run.timeoutMs } : {}),
      },
      reservation,
    )
  } catch (error) {
    reservation.release()
    const closed = error instanceof PoolClosedError
    if (!closed) console.error(`[oauth3] execution ${id} could not run:`, (error as Error).message)
    const cause = failure(closed ? 'shutdown' : 'internal', 'the execution could not run')
    const result = toResult(
      { ok: false, exitCode: 1, stdout: '', stderr: '', durationMs: 0 },
      calls,
      redact,
    )
    return finishExecution(app, id, result, cause)
  }
  const cause = outcome.failure && {
    ...outcome.failure,
    message: redact.text(outcome.failure.message),
  }
  await finishExecution(app, id, toResult(outcome, calls, redact), cause)
}

function toResult(outcome: GuestResult, calls: CallRecord[], redact: Redactor): ExecutionResult {
  const result: ExecutionResult = {
    success: outcome.ok,
    stdout: redact.text(outcome.stdout),
    stderr: redact.text(outcome.stderr),
    exitCode: outcome.exitCode,
    duration: outcome.durationMs,
    calls,
  }
  if (outcome.valueJson !== undefined) result.value = redact.json(JSON.parse(outcome.valueJson))
  return result
}

/**
 * How long a result the store cannot take (it is down) is retried. Past it the result is given
 * up, and the execution is marked interrupted by another instance once this one's lease lapses,
 * or at this one's next start.
 */
const STORE_RESULT_FOR_MS = 5 * 60_000

/**
 * Store the terminal state (once) with its signed receipt — retried while the store is down —
 * then wake the waiters and clear the running marker. An execution that never produced a result
 * (interrupted) gets an empty one, so that every terminal execution carries a receipt.
 */
export async function finishExecution(
  app: App,
  id: string,
  result: ExecutionResult | undefined,
  cause: ExecutionFailure | undefined,
) {
  let finished: ExecutionRecord
  const startedAt = app.running.startedAt(id)
  app.running.end(id)
  try {
    finished = await retryWhileStoreDown(
      () => storeTerminalWithReceipt(app, id, result, cause, startedAt),
      {
        forMs: STORE_RESULT_FOR_MS,
        signal: app.lifecycle.closed,
        onFirstFailure: () =>
          console.error(
            `[oauth3] execution ${id}: the store is down; retrying to store the result`,
          ),
      },
    )
  } catch (error) {
    console.error(`[oauth3] execution ${id}: could not store the result:`, (error as Error).message)
    await app.notifier.notify(id)
    return
  }
  app.live.push(id, { type: 'end', data: describeExecution(finished) })
  await app.notifier.notify(id)
  clearRunningMarker(app, finished)
}

function storeTerminalWithReceipt(
  app: App,
  id: string,
  result: ExecutionResult | undefined,
  cause: ExecutionFailure | undefined,
  startedAt: number | undefined,
) {
  return storeTerminal(app, id, (current) => {
    const outcome = result ?? {
      success: false,
      stdout: '',
      stderr: '',
      exitCode: 1,
      duration: 0,
      calls: [],
    }
    const record: ExecutionRecord = {
      ...current,
      status: outcome.success ? 'completed' : 'failed',
      ...(startedAt !== undefined ? { started_at: startedAt } : {}),
      finished_at: Date.now(),
      ...(cause ? { error: cause.message, error_code: cause.code } : {}),
    }
    const receipt = signReceipt(app.keys, {
      ...record,
      args_sha256: record.args_sha256 ?? sha256Json({}),
      finished_at: record.finished_at!,
      result: outcome,
    })
    return { ...record, result: { ...outcome, receipt } }
  })
}
