/**
 * Running one execution, its record stored: give the job to the sandbox pool, open a gateway
 * context for its permit meanwhile (the owner's secrets stay in this process), then store the
 * redacted result and wake every poll waiting on it. Never throws: every outcome becomes a
 * terminal record.
 */
import { failure, type ExecutionFailure } from '../../core/errors'
import { sha256Json } from '../../core/hash'
import { PoolClosedError, type GuestResult, type Reservation } from '../../runtime/pool'
import type { App } from '../app'
import { signReceipt } from '../attestation/receipts'
import {
  callCapability,
  openGatewayContext,
  type CallRecord,
  type GatewayContext,
} from '../gateway'
import { NO_REDACTION, type Redactor } from '../gateway/redact'
import type { PermitRecord } from '../permits/records'
import { retryWhileStoreDown } from '../store/retry'
import { recordExecutionEnd } from '../telemetry/executions'
import { useLogger } from '../telemetry/logger'
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

/**
 * Hand the job (its record already stored) to a guest, and open the gateway while the guest
 * starts: reading and decrypting the owner's secrets overlaps the start instead of preceding it.
 * The job's capability calls and its live output wait for the gateway; if it cannot be opened
 * (the store is down) the calls are refused and the execution fails.
 */
export async function runExecution(
  app: App,
  run: RunRequest,
  reservation: Reservation,
): Promise<void> {
  const id = run.record.request_id
  let gateway: GatewayContext | null = null
  let calls: CallRecord[] = []
  let redact: Redactor = NO_REDACTION
  app.live.open(id)
  let callsSent = 0
  /** Each call record the gateway added since the last one sent, to the live feed. */
  const sendNewCalls = () => {
    for (; callsSent < calls.length; callsSent++) {
      app.live.push(id, { type: 'call', data: calls[callsSent] })
    }
  }
  let opened: Promise<void> = Promise.resolve()
  const job = app.pool.run(
    {
      id,
      tenant: run.record.agent_id,
      code: run.code,
      args: run.args,
      functions: run.permit?.capabilities.map((capability) => capability.function) ?? [],
      call: async (fn, args, signal) => {
        if (!run.permit) return NO_CAPABILITIES(fn)
        if (!(await opened.then(IS_OPEN, NOT_OPEN))) return GATEWAY_CLOSED
        const reply = await callCapability(gateway!, fn, args, signal)
        sendNewCalls()
        return reply
      },
      onStart: () => void app.running.start(id),
      onOutput: (stream, text) =>
        void opened.then(() => app.live.push(id, { type: stream, data: redact.text(text) }), NOOP),
      ...(run.timeoutMs ? { timeoutMs: run.timeoutMs } : {}),
    },
    reservation,
  )
  if (run.permit) {
    opened = openGatewayContext(app, run.permit).then((context) => {
      gateway = context
      ;({ calls, redact } = context)
    })
    // Its failure is handled where it matters (calls, output, the end); not left unhandled.
    opened.catch(NOOP)
  }
  let outcome: GuestResult
  try {
    outcome = await job
    await opened
  } catch (error) {
    const closed = error instanceof PoolClosedError
    if (!closed) {
      useLogger().error({ exec_id: id, err: (error as Error).message }, 'execution could not run')
    }
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

const NOOP = () => {}
const IS_OPEN = () => true
const NOT_OPEN = () => false
/** The answer to a call whose gateway could not be opened (the owner's secrets unreadable). */
const GATEWAY_CLOSED = {
  ok: false as const,
  error: failure('revoked', 'the execution could not be set up'),
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
          useLogger().warn(
            { exec_id: id },
            'the store is down; retrying to store the result of an execution',
          ),
      },
    )
  } catch (error) {
    useLogger().error(
      { exec_id: id, err: (error as Error).message },
      'could not store the result of an execution',
    )
    await app.notifier.notify(id)
    return
  }
  recordExecutionEnd(finished)
  const body = describeExecution(finished)
  app.live.push(id, { type: 'end', data: body })
  // Waiters here get the terminal body with the wake-up (one store read fewer each).
  await app.notifier.notify(id, body)
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
      body: describeExecution({ ...record, result: outcome }),
    })
    return { ...record, result: { ...outcome, receipt } }
  })
}
