/**
 * Running one execution: give the job to the sandbox pool, store its record and open a gateway
 * context for its permit meanwhile (the owner's secrets stay in this process), then store the
 * redacted result and wake every poll waiting on it. Never throws: every stored execution ends
 * in a terminal record.
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

/** A started execution: `stored` settles with the record's write, `done` once it is terminal. */
export interface StartedExecution {
  stored: Promise<void>
  done: Promise<void>
}

/**
 * Hand the job to a guest, then store the record (`storeRecord`) and open the gateway while the
 * guest starts: the write and the secrets' decryption overlap the run instead of preceding it.
 * Nothing the code does leaves this process before the record is stored — its capability calls,
 * its live output and its result all wait for it — so a crash before the write leaves no trace
 * and no effect (the orphaned guest ends itself). If the write fails the submit answers the
 * error, the job's calls are refused, and its result is dropped.
 */
export function runExecution(
  app: App,
  run: RunRequest,
  reservation: Reservation,
  storeRecord: () => Promise<void>,
): StartedExecution {
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
  let ready: Promise<void> = Promise.resolve()
  const job = app.pool.run(
    {
      id,
      tenant: run.record.agent_id,
      code: run.code,
      args: run.args,
      functions: run.permit?.capabilities.map((capability) => capability.function) ?? [],
      call: async (fn, args, signal) => {
        if (!run.permit) return NO_CAPABILITIES(fn)
        if (!(await ready.then(IS_READY, NOT_READY))) return GATEWAY_CLOSED
        const reply = await callCapability(gateway!, fn, args, signal)
        sendNewCalls()
        return reply
      },
      onStart: () => void app.running.start(id),
      onOutput: (stream, text) =>
        void ready.then(() => app.live.push(id, { type: stream, data: redact.text(text) }), NOOP),
      ...(run.timeoutMs ? { timeoutMs: run.timeoutMs } : {}),
    },
    reservation,
  )
  // Awaited below only once the record is stored: meanwhile its refusal must not count as unhandled.
  job.catch(NOOP)
  const stored = storeRecord()
  const opened = run.permit ? openGatewayContext(app, run.permit) : Promise.resolve(null)
  ready = Promise.all([stored, opened]).then(([, context]) => {
    gateway = context
    if (context) ({ calls, redact } = context)
  })
  // Its failure is handled where it matters (calls, output, the end); not left unhandled.
  ready.catch(NOOP)
  const done = (async () => {
    if (!(await stored.then(IS_READY, NOT_READY))) {
      // Never stored: nobody knows this id. The job's result, whenever it comes, is dropped.
      await job.catch(NOOP)
      app.running.end(id)
      app.live.discard(id)
      return
    }
    let outcome: GuestResult
    try {
      outcome = await job
      await ready
    } catch (error) {
      const closed = error instanceof PoolClosedError
      if (!closed)
        console.error(`[oauth3] execution ${id} could not run:`, (error as Error).message)
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
  })()
  return { stored, done }
}

const NOOP = () => {}
const IS_READY = () => true
const NOT_READY = () => false
/** The answer to a call whose execution could not be set up (the record or the secrets). */
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
      result: outcome,
    })
    return { ...record, result: { ...outcome, receipt } }
  })
}
