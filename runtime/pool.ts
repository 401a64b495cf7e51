/**
 * The sandbox pool: pre-started guest processes (guest.mjs), one execution at a time each.
 * Every limit is enforced from here, outside the guest: wall-clock deadline and resident memory
 * (limits.ts), output bytes and capability calls (counted as messages arrive). When a limit trips,
 * the execution's capabilities are revoked first (in-flight calls aborted, later ones refused),
 * then the process is killed and replaced; a process that failed or misbehaved is never reused.
 * Jobs wait in a bounded queue that keeps one tenant from holding every guest (scheduler.ts).
 *
 * This module imports nothing from server/: the host hands it a `call` function per job.
 */
import { spawnGuest, type GuestProcess } from './guest-process'
import { watchJob, type ExecLimits } from './limits'
import { FAILURE, failure } from './protocol.mjs'
import type { Failure, GuestMessage, RuntimeExecutionFailureCode } from './protocol.mjs'
import { createScheduler, type Reservation } from './scheduler'

export { PoolFullError, type Reservation } from './scheduler'
export { defaultPoolSize, type ExecLimits } from './limits'

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

export interface PoolOptions {
  entry: string
  size: number
  maxQueue: number
  /** Jobs of one tenant running at once. */
  perTenant: number
  limits: ExecLimits
  /** How often resident memory is sampled while a job runs. */
  memoryPollMs?: number
  log?: (line: string) => void
}

export class PoolClosedError extends Error {
  constructor() {
    super('the execution pool is shutting down')
  }
}

type Ending = Pick<GuestResult, 'ok' | 'exitCode' | 'failure' | 'valueJson'>

interface Running {
  job: GuestJob
  started: number
  stdout: string[]
  stderr: string[]
  outputBytes: number
  calls: number
  revoke: AbortController
  finish(ending: Ending): void
}

interface Queued {
  tenant: string
  job: GuestJob
  resolve(result: GuestResult): void
  reject(error: Error): void
}

/** Guests that died before saying ready, in a row: a broken install must not respawn forever. */
const MAX_START_FAILURES = 5

export function createGuestPool(options: PoolOptions) {
  const { limits } = options
  const guests = new Set<GuestProcess>()
  const runningOn = new Map<GuestProcess, Running>()
  const scheduler = createScheduler<Queued>({
    maxQueue: options.maxQueue,
    perTenant: options.perTenant,
    retryAfterSeconds: Math.max(1, Math.ceil(limits.timeoutMs / 1000 / 4)),
  })
  const log = options.log ?? (() => {})
  let closed = false
  let fatal: string | null = null
  let startFailures = 0
  let idleWaiters: Array<() => void> = []

  const outputLimit = () =>
    failure(FAILURE.output_limit, `output is over ${limits.outputBytes} bytes`)

  function spawn() {
    guests.add(spawnGuest(options.entry, limits.memoryMb, { onMessage, onExit }))
  }

  function onMessage(guest: GuestProcess, message: GuestMessage) {
    if (message.type === 'ready') {
      guest.ready = true
      startFailures = 0
      schedule()
      return
    }
    if (message.type === 'fatal') {
      fatal = message.reason
      log(`[oauth3] sandbox: ${message.reason}`)
      return
    }
    const running = runningOn.get(guest)
    if (!running || message.id !== running.job.id) return
    if (message.type === 'output') collectOutput(guest, running, message.stream, message.text)
    else if (message.type === 'limit')
      stopAndReplace(guest, running, { ok: false, exitCode: 1, failure: outputLimit() })
    else if (message.type === 'call') void answerCall(guest, running, message)
    else if (message.type === 'done') onDone(guest, running, message)
  }

  function collectOutput(
    guest: GuestProcess,
    running: Running,
    stream: 'stdout' | 'stderr',
    text: string,
  ) {
    // The guest caps its own output; the parent caps again in case the guest lies.
    const size = Buffer.byteLength(String(text))
    if (running.outputBytes + size > limits.outputBytes + 1024) {
      stopAndReplace(guest, running, { ok: false, exitCode: 1, failure: outputLimit() })
      return
    }
    running.outputBytes += size
    ;(stream === 'stderr' ? running.stderr : running.stdout).push(String(text))
  }

  async function answerCall(
    guest: GuestProcess,
    running: Running,
    message: Extract<GuestMessage, { type: 'call' }>,
  ) {
    running.calls++
    const reply = (body: CallReply) => {
      if (runningOn.get(guest) !== running || running.revoke.signal.aborted) return
      guest.send({ type: 'callResult', id: running.job.id, callId: message.callId, ...body })
    }
    if (running.revoke.signal.aborted) {
      return reply({ ok: false, error: failure(FAILURE.revoked, 'the execution ended') })
    }
    if (running.calls > limits.maxCalls) {
      const detail = `at most ${limits.maxCalls} capability calls per execution`
      return reply({ ok: false, error: failure(FAILURE.subrequest_limit, detail) })
    }
    if (!running.job.functions.includes(message.fn)) {
      const detail = 'this function is not a capability of the permit'
      return reply({ ok: false, error: failure(FAILURE.unknown_capability, detail) })
    }
    const args = parseArgs(message.args)
    if (!args) {
      const detail = 'capability arguments must be a list of JSON data'
      return reply({ ok: false, error: failure(FAILURE.invalid_call, detail) })
    }
    try {
      reply(await running.job.call(message.fn, args, running.revoke.signal))
    } catch {
      reply({ ok: false, error: failure(FAILURE.upstream_error, 'the capability call failed') })
    }
  }

  function onDone(
    guest: GuestProcess,
    running: Running,
    message: Extract<GuestMessage, { type: 'done' }>,
  ) {
    if (message.ok) {
      running.finish({
        ok: true,
        exitCode: 0,
        ...(message.value !== undefined ? { valueJson: message.value } : {}),
      })
    } else {
      running.finish({ ok: false, exitCode: 1, failure: message.error })
    }
    // Calls the code started but never awaited end with it.
    running.revoke.abort()
    runningOn.delete(guest)
    schedule()
  }

  function onExit(guest: GuestProcess, code: number | null, signal: NodeJS.Signals | null) {
    guests.delete(guest)
    const failedToStart = !guest.ready && !guest.retired && !closed
    if (failedToStart && ++startFailures >= MAX_START_FAILURES && fatal === null) {
      fatal = `sandbox processes exit before they are ready (last exit: ${signal ?? code}); check that ${options.entry} and the ses package are installed`
      log(`[oauth3] sandbox: ${fatal}`)
    }
    const running = runningOn.get(guest)
    runningOn.delete(guest)
    if (running) {
      // V8 aborts (SIGABRT / 134) when the heap limit is hit: that is a memory failure.
      const outOfMemory = signal === 'SIGABRT' || code === 134
      running.finish({
        ok: false,
        exitCode: 137,
        failure: outOfMemory
          ? failure(FAILURE.memory, 'the execution ran out of memory')
          : failure(FAILURE.killed, `the sandbox process ended (${signal ?? code})`),
      })
    }
    if (!closed && !guest.retired && fatal === null) {
      log(`[oauth3] sandbox: a guest process ended (${signal ?? code}); replacing it`)
    }
    refill()
    for (const wake of idleWaiters.splice(0)) wake()
  }

  /** Revoke the execution's capabilities, end it, then kill its process; a new one replaces it. */
  function stopAndReplace(guest: GuestProcess, running: Running, ending: Ending) {
    running.revoke.abort()
    running.finish(ending)
    runningOn.delete(guest)
    guest.retire()
  }

  function refill() {
    if (closed || fatal !== null) return
    while (guests.size < options.size) spawn()
  }

  function schedule() {
    if (closed) return
    for (const guest of guests) {
      if (!guest.ready || runningOn.has(guest) || guest.retired) continue
      const item = scheduler.take()
      if (!item) return
      start(guest, item)
    }
  }

  function start(guest: GuestProcess, item: Queued) {
    const { job } = item
    let settled = false
    const running: Running = {
      job,
      started: performance.now(),
      stdout: [],
      stderr: [],
      outputBytes: 0,
      calls: 0,
      revoke: new AbortController(),
      finish(ending) {
        if (settled) return
        settled = true
        stopWatching()
        scheduler.finished(job.tenant)
        item.resolve({
          ...ending,
          stdout: running.stdout.join(''),
          stderr: running.stderr.join(''),
          durationMs: Math.round(performance.now() - running.started),
        })
        queueMicrotask(schedule)
      },
    }
    runningOn.set(guest, running)
    const timeoutMs = Math.min(job.timeoutMs ?? limits.timeoutMs, limits.timeoutMs)
    const watch = {
      pid: guest.child.pid,
      timeoutMs,
      memoryMb: limits.memoryMb,
      pollMs: options.memoryPollMs,
    }
    const stopWatching = watchJob(watch, (cause, exitCode) => {
      if (runningOn.get(guest) === running)
        stopAndReplace(guest, running, { ok: false, exitCode, failure: cause })
    })
    job.onStart?.()
    const { outputBytes, maxCalls, maxCallsInFlight, resultBytes, callArgsBytes } = limits
    guest.send({
      type: 'run',
      job: {
        id: job.id,
        code: job.code,
        args: job.args,
        functions: job.functions,
        limits: { outputBytes, maxCalls, maxCallsInFlight, resultBytes, callArgsBytes },
      },
    })
  }

  for (let i = 0; i < options.size; i++) spawn()

  return {
    /**
     * Hold one place in the queue before doing the work that precedes `run` (storing the record),
     * so an accepted execution can never be refused afterwards. Throws PoolFullError when full.
     */
    reserve(): Reservation {
      if (closed) throw new PoolClosedError()
      if (fatal !== null) throw new Error(fatal)
      return scheduler.reserve()
    },
    /** Queue a job on a reservation; rejects only when the pool is closing or broken. */
    run(job: GuestJob, reservation: Reservation): Promise<GuestResult> {
      reservation.release()
      if (closed) return Promise.reject(new PoolClosedError())
      if (fatal !== null) return Promise.reject(new Error(fatal))
      return new Promise<GuestResult>((resolve, reject) => {
        scheduler.push({ tenant: job.tenant, job, resolve, reject })
        schedule()
      })
    },
    stats() {
      let busy = 0
      let ready = 0
      for (const guest of guests) {
        if (runningOn.has(guest)) busy++
        else if (guest.ready) ready++
      }
      const pids = [...guests].map((guest) => guest.child.pid)
      return { processes: guests.size, busy, ready, queued: scheduler.queued, pids }
    },
    /** Resolves once `count` guests are started and idle (tests and startup). */
    async whenReady(count = options.size, timeoutMs = 15_000): Promise<void> {
      const end = Date.now() + timeoutMs
      while (this.stats().ready < count) {
        if (fatal !== null) throw new Error(fatal)
        if (Date.now() > end) throw new Error('sandbox processes did not start')
        await new Promise((resolve) => setTimeout(resolve, 10))
      }
    },
    /** Stop taking jobs, let running ones finish for up to `graceMs`, then kill everything. */
    async close(graceMs = 5_000): Promise<void> {
      closed = true
      for (const item of scheduler.drain()) item.reject(new PoolClosedError())
      const end = Date.now() + graceMs
      while (runningOn.size > 0 && Date.now() < end) {
        await new Promise<void>((resolve) => {
          idleWaiters.push(resolve)
          setTimeout(resolve, 50)
        })
      }
      for (const guest of guests) {
        const running = runningOn.get(guest)
        if (running) {
          const cause = failure(FAILURE.shutdown, 'the server is stopping')
          stopAndReplace(guest, running, { ok: false, exitCode: 137, failure: cause })
        } else guest.retire()
      }
      idleWaiters = []
    },
  }
}

export type GuestPool = ReturnType<typeof createGuestPool>

/** Capability arguments as the guest sent them: a JSON list, or null. */
function parseArgs(text: string): unknown[] | null {
  try {
    const args: unknown = JSON.parse(text)
    return Array.isArray(args) ? args : null
  } catch {
    return null
  }
}
