/**
 * One job running in one guest: what it printed (capped again here, in case the guest lies),
 * the capability calls it made (counted, checked, answered by the host's `call`), and its end,
 * which happens once whatever ends it. Revoking aborts its calls in flight and refuses new ones.
 * A job that returned ends only when its guest proves idle (rule 4a).
 */
import type { ExecLimits } from './limits'
import { FAILURE, failure } from './protocol.mjs'
import type { Failure, GuestMessage, RuntimeExecutionFailureCode } from './protocol.mjs'

/** The host's answer to one capability call: a value, or a failure the guest code catches. */
export type CallReply = { ok: true; value: unknown } | { ok: false; error: Failure }

export interface GuestJob {
  id: string
  tenant: string
  code: string
  args: unknown
  /** Function names exposed in the compartment, one per approved capability. */
  functions: string[]
  /** The host side of a capability call; never rejects (a failure is a reply). */
  call(fn: string, args: unknown[], signal: AbortSignal): Promise<CallReply>
  /** Called once when the job leaves the queue and starts in a guest. */
  onStart?(): void
  /** Each piece of output as it is kept (live output); never called past the output limit. */
  onOutput?(stream: 'stdout' | 'stderr', text: string): void
  /** A shorter wall-time limit for this job (a skill's timeout_ms); never longer than the pool's. */
  timeoutMs?: number
}

export interface GuestResult {
  ok: boolean
  exitCode: 0 | 1 | 124 | 137
  failure?: Failure<RuntimeExecutionFailureCode>
  stdout: string
  stderr: string
  /** The returned value as JSON text, when there is one. */
  valueJson?: string
  durationMs: number
}

export type Ending = Pick<GuestResult, 'ok' | 'exitCode' | 'failure' | 'valueJson'>

export type RunningJob = ReturnType<typeof createRunningJob>

/** Why a job's calls in flight were aborted (what `signal.reason` holds). */
const REVOKED = Object.freeze({ name: 'RevokedError', message: 'the execution ended' })

export function createRunningJob(
  job: GuestJob,
  limits: ExecLimits,
  onEnd: (result: GuestResult) => void,
) {
  const started = performance.now()
  const stdout: string[] = []
  const stderr: string[] = []
  // Made only when a capability call is in flight: most executions make none, and an abort
  // (with its DOMException) on every finished job cost more than the job's own bookkeeping.
  let revoker: AbortController | undefined
  let callsInFlight = 0
  let revoked = false
  let outputBytes = 0
  let calls = 0
  let ended = false
  /** What the code returned, held until the guest proves idle. */
  let returned: Ending | null = null
  let stopOverdue: (() => void) | undefined

  return {
    job,
    get ended() {
      return ended
    },
    /** Keep output; answers the ending when it goes over the limit. */
    output(stream: 'stdout' | 'stderr', text: string): Ending | null {
      const size = Buffer.byteLength(String(text))
      if (outputBytes + size > limits.outputBytes + 1024) return outputLimit(limits)
      outputBytes += size
      ;(stream === 'stderr' ? stderr : stdout).push(String(text))
      job.onOutput?.(stream, String(text))
      return null
    },
    /** Check one call from the guest, run it, and `reply` (unless the job ended meanwhile). */
    async answer(
      message: Extract<GuestMessage, { type: 'call' }>,
      reply: (body: CallReply) => void,
    ) {
      calls++
      const refuse = (code: Failure['code'], detail: string) =>
        reply({ ok: false, error: failure(code, detail) })
      if (revoked) return refuse(FAILURE.revoked, 'the execution ended')
      if (calls > limits.maxCalls) {
        return refuse(
          FAILURE.subrequest_limit,
          `at most ${limits.maxCalls} capability calls per execution`,
        )
      }
      if (!job.functions.includes(message.fn)) {
        return refuse(FAILURE.unknown_capability, 'this function is not a capability of the permit')
      }
      const args = parseArgs(message.args)
      if (!args)
        return refuse(FAILURE.invalid_call, 'capability arguments must be a list of JSON data')
      callsInFlight++
      try {
        reply(await job.call(message.fn, args, (revoker ??= new AbortController()).signal))
      } catch {
        refuse(FAILURE.upstream_error, 'the capability call failed')
      } finally {
        callsInFlight--
      }
    },
    /** What the guest reported at the end of the code. */
    done(message: Extract<GuestMessage, { type: 'done' }>): Ending {
      if (!message.ok) return { ok: false, exitCode: 1, failure: message.error }
      return {
        ok: true,
        exitCode: 0,
        ...(message.value !== undefined ? { valueJson: message.value } : {}),
      }
    },
    /** Abort the calls in flight and refuse later ones. */
    revoke() {
      revoked = true
      // Only calls still in flight need the signal (later ones are refused by `revoked`); the
      // reason is a constant, as a default abort builds a DOMException and its stack each time.
      if (callsInFlight > 0) revoker?.abort(REVOKED)
    },
    get revoked() {
      return revoked
    },
    /**
     * The code returned: hold its ending until the guest proves idle (`idle`); `watchOverdue`
     * calls its callback if the guest keeps working instead (it left work running), and answers
     * how to stop watching.
     */
    returnedWith(
      ending: Ending,
      watchOverdue: (onOverdue: () => void) => () => void,
      onOverdue: () => void,
    ) {
      returned = ending
      stopOverdue = watchOverdue(onOverdue)
    },
    /** The ending the code returned, once the guest proved idle after it. */
    get returned() {
      return returned
    },
    /** End the job once; later endings are ignored. */
    finish(ending: Ending) {
      if (ended) return
      ended = true
      stopOverdue?.()
      onEnd({
        ...ending,
        stdout: stdout.join(''),
        stderr: stderr.join(''),
        durationMs: Math.round(performance.now() - started),
      })
    },
  }
}

/** The code returned but a promise loop it left never let the guest go idle. */
export function leftRunning(cpuMs: number): Ending {
  const detail = `the code returned but left work running for over ${cpuMs} ms of CPU (a promise loop)`
  return { ok: false, exitCode: 1, failure: failure(FAILURE.left_running, detail) }
}

export function outputLimit(limits: Pick<ExecLimits, 'outputBytes'>): Ending {
  const cause = failure(FAILURE.output_limit, `output is over ${limits.outputBytes} bytes`)
  return { ok: false, exitCode: 1, failure: cause }
}

/** Capability arguments as the guest sent them: a JSON list, or null. */
function parseArgs(text: string): unknown[] | null {
  try {
    const args: unknown = JSON.parse(text)
    return Array.isArray(args) ? args : null
  } catch {
    return null
  }
}
