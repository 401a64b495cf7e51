/**
 * The sandbox pool: pre-started guest processes (runtime/guest.mjs), one execution at a time
 * each. Every limit is enforced from here, outside the guest: wall-clock deadline, resident
 * memory, output bytes, capability calls. When a limit trips, the execution's capabilities are
 * revoked first (in-flight calls aborted, later ones refused), then the process is killed and
 * replaced; a process that failed or misbehaved is never reused. Jobs wait in a bounded queue,
 * scheduled so that one tenant cannot hold every process.
 *
 * This module imports nothing from server/: the host hands it a `call` function per job.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { availableParallelism } from 'node:os'

export interface ExecLimits {
  timeoutMs: number
  memoryMb: number
  outputBytes: number
  maxCalls: number
  maxCallsInFlight: number
  resultBytes: number
  callArgsBytes: number
}

export type FailureCode =
  | 'timed_out'
  | 'memory'
  | 'output_limit'
  | 'killed'
  | 'error'
  | 'result_too_large'
  | 'result_not_json'
  | 'shutdown'

export interface GuestJob {
  id: string
  tenant: string
  code: string
  args: unknown
  /** Function names exposed in the compartment, one per approved capability. */
  functions: string[]
  /** The host side of a capability call; rejects with an Error whose message the guest sees. */
  call(fn: string, args: unknown[], signal: AbortSignal): Promise<unknown>
  /** Called once when the job leaves the queue and starts in a guest. */
  onStart?(): void
  /** A shorter wall-time limit for this job (a skill's timeout_ms); never longer than the pool's. */
  timeoutMs?: number
}

export interface GuestResult {
  ok: boolean
  exitCode: 0 | 1 | 124 | 137
  failure?: FailureCode
  /** `Name: message` of the error that ended the execution, as the guest reported it. */
  error?: string
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

export class PoolFullError extends Error {
  constructor(readonly retryAfterSeconds: number) {
    super('the execution queue is full')
  }
}

export class PoolClosedError extends Error {
  constructor() {
    super('the execution pool is shutting down')
  }
}

interface Running {
  job: GuestJob
  started: number
  stdout: string[]
  stderr: string[]
  outputBytes: number
  calls: number
  revoke: AbortController
  finish(result: Omit<GuestResult, 'durationMs' | 'stdout' | 'stderr'>): void
}

interface Guest {
  child: ChildProcess
  ready: boolean
  running: Running | null
  retired: boolean
}

interface Queued {
  job: GuestJob
  resolve(result: GuestResult): void
  reject(error: Error): void
}

const PAGE_SIZE = 4096
const MEMORY_HEADROOM_MB = 96

export function defaultPoolSize(): number {
  return Math.max(2, Math.min(8, availableParallelism() * 2))
}

export function createGuestPool(options: PoolOptions) {
  const guests = new Set<Guest>()
  const queue: Queued[] = []
  const runningByTenant = new Map<string, number>()
  const log = options.log ?? (() => {})
  let closed = false
  let fatal: string | null = null
  // Queue places promised to callers that are still writing their records (see reserve()).
  let reserved = 0
  // Guests that died before saying ready, in a row: a broken install must not respawn forever.
  let startFailures = 0
  const MAX_START_FAILURES = 5
  let idleWaiters: Array<() => void> = []

  function spawnGuest(): Guest {
    const child = fork(options.entry, [], {
      execArgv: [`--max-old-space-size=${options.limits.memoryMb}`, '--max-semi-space-size=16'],
      // An empty environment: no secret, no LOCKDOWN_* option reaches the guest (SB-24).
      env: {},
      // fd 3: IPC, parent → guest; fd 4: the guest's ordered message stream, guest → parent.
      stdio: ['ignore', 'ignore', 'ignore', 'ipc', 'pipe'],
      serialization: 'json',
    })
    const guest: Guest = { child, ready: false, running: null, retired: false }
    guests.add(guest)
    readLines(child.stdio[4] as NodeJS.ReadableStream, (line) => {
      let message: GuestMessage
      try {
        message = JSON.parse(line)
      } catch {
        retire(guest)
        return
      }
      onMessage(guest, message)
    })
    child.on('exit', (code, signal) => onExit(guest, code, signal))
    child.on('error', () => retire(guest))
    return guest
  }

  function onMessage(guest: Guest, message: GuestMessage) {
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
    const running = guest.running
    if (!running || message.id !== running.job.id) return
    if (message.type === 'output') collectOutput(guest, running, message.stream, message.text)
    else if (message.type === 'limit')
      stopAndReplace(guest, running, {
        ok: false,
        exitCode: 1,
        failure: 'output_limit',
        error: `output_limit: output is over ${options.limits.outputBytes} bytes`,
      })
    else if (message.type === 'call') void answerCall(guest, running, message)
    else if (message.type === 'done') onDone(guest, running, message)
  }

  function collectOutput(
    guest: Guest,
    running: Running,
    stream: 'stdout' | 'stderr',
    text: string,
  ) {
    // The guest caps its own output; the parent caps again in case the guest lies.
    const size = Buffer.byteLength(String(text))
    if (running.outputBytes + size > options.limits.outputBytes + 1024) {
      stopAndReplace(guest, running, {
        ok: false,
        exitCode: 1,
        failure: 'output_limit',
        error: `output_limit: output is over ${options.limits.outputBytes} bytes`,
      })
      return
    }
    running.outputBytes += size
    ;(stream === 'stderr' ? running.stderr : running.stdout).push(String(text))
  }

  async function answerCall(
    guest: Guest,
    running: Running,
    message: Extract<GuestMessage, { type: 'call' }>,
  ) {
    running.calls++
    const reply = (body: { ok: true; value: unknown } | { ok: false; error: string }) => {
      if (guest.running === running && !running.revoke.signal.aborted)
        guest.child.send({
          type: 'callResult',
          id: running.job.id,
          callId: message.callId,
          ...body,
        })
    }
    if (
      running.calls > options.limits.maxCalls ||
      running.revoke.signal.aborted ||
      !running.job.functions.includes(message.fn)
    ) {
      reply({ ok: false, error: 'subrequest_limit: capability call refused' })
      return
    }
    let args: unknown
    try {
      args = JSON.parse(message.args)
    } catch {
      reply({ ok: false, error: 'capability arguments must be JSON data' })
      return
    }
    if (!Array.isArray(args)) {
      reply({ ok: false, error: 'capability arguments must be a list' })
      return
    }
    try {
      reply({ ok: true, value: await running.job.call(message.fn, args, running.revoke.signal) })
    } catch (error) {
      reply({ ok: false, error: error instanceof Error ? error.message : 'capability call failed' })
    }
  }

  function onDone(
    guest: Guest,
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
      const code = message.error?.code
      if (code === 'result_too_large' || code === 'result_not_json')
        running.finish({
          ok: false,
          exitCode: 1,
          failure: code,
          error: `${code}: ${code === 'result_too_large' ? `the returned value is over ${options.limits.resultBytes} bytes` : 'the returned value is not JSON data'}`,
        })
      else
        running.finish({
          ok: false,
          exitCode: 1,
          failure: 'error',
          error: `${message.error?.name ?? 'Error'}: ${message.error?.message ?? ''}`,
        })
    }
    // Calls the code started but never awaited end with it.
    running.revoke.abort()
    guest.running = null
    schedule()
  }

  function onExit(guest: Guest, code: number | null, signal: NodeJS.Signals | null) {
    guests.delete(guest)
    if (
      !guest.ready &&
      !guest.retired &&
      !closed &&
      ++startFailures >= MAX_START_FAILURES &&
      fatal === null
    ) {
      fatal = `sandbox processes exit before they are ready (last exit: ${signal ?? code}); check that ${options.entry} and the ses package are installed`
      log(`[oauth3] sandbox: ${fatal}`)
    }
    const running = guest.running
    guest.running = null
    if (running) {
      // V8 aborts (SIGABRT / 134) when the heap limit is hit: that is a memory failure.
      const outOfMemory = signal === 'SIGABRT' || code === 134
      running.finish(
        outOfMemory
          ? {
              ok: false,
              exitCode: 137,
              failure: 'memory',
              error: 'memory: the execution ran out of memory',
            }
          : {
              ok: false,
              exitCode: 137,
              failure: 'killed',
              error: `killed: the sandbox process ended (${signal ?? code})`,
            },
      )
    }
    if (!closed && !guest.retired && fatal === null)
      log(`[oauth3] sandbox: a guest process ended (${signal ?? code}); replacing it`)
    refill()
    for (const wake of idleWaiters.splice(0)) wake()
  }

  /** Revoke the execution's capabilities, end it, then kill its process; a new one replaces it. */
  function stopAndReplace(
    guest: Guest,
    running: Running,
    result: Omit<GuestResult, 'durationMs' | 'stdout' | 'stderr'>,
  ) {
    running.revoke.abort()
    running.finish(result)
    guest.running = null
    retire(guest)
  }

  function retire(guest: Guest) {
    guest.retired = true
    guest.child.kill('SIGKILL')
  }

  function refill() {
    if (closed || fatal !== null) return
    while (guests.size < options.size) spawnGuest()
  }

  function schedule() {
    if (closed) return
    for (const guest of guests) {
      if (!guest.ready || guest.running || guest.retired) continue
      const index = queue.findIndex(
        (item) => (runningByTenant.get(item.job.tenant) ?? 0) < options.perTenant,
      )
      if (index < 0) return
      const [item] = queue.splice(index, 1)
      start(guest, item)
    }
  }

  function start(guest: Guest, item: Queued) {
    const { job } = item
    runningByTenant.set(job.tenant, (runningByTenant.get(job.tenant) ?? 0) + 1)
    let settled = false
    const running: Running = {
      job,
      started: performance.now(),
      stdout: [],
      stderr: [],
      outputBytes: 0,
      calls: 0,
      revoke: new AbortController(),
      finish(result) {
        if (settled) return
        settled = true
        clearTimeout(deadline)
        clearInterval(watchdog)
        const left = (runningByTenant.get(job.tenant) ?? 1) - 1
        if (left <= 0) runningByTenant.delete(job.tenant)
        else runningByTenant.set(job.tenant, left)
        item.resolve({
          ...result,
          stdout: running.stdout.join(''),
          stderr: running.stderr.join(''),
          durationMs: Math.round(performance.now() - running.started),
        })
        queueMicrotask(schedule)
      },
    }
    guest.running = running
    const timeoutMs = Math.min(job.timeoutMs ?? options.limits.timeoutMs, options.limits.timeoutMs)
    const deadline = setTimeout(() => {
      if (guest.running === running)
        stopAndReplace(guest, running, {
          ok: false,
          exitCode: 124,
          failure: 'timed_out',
          error: `timed_out: the execution ran over ${timeoutMs} ms`,
        })
    }, timeoutMs)
    const rssLimit = (options.limits.memoryMb + MEMORY_HEADROOM_MB) * 1024 * 1024
    const watchdog = setInterval(async () => {
      const rss = await residentBytes(guest.child.pid)
      if (rss > rssLimit && guest.running === running)
        stopAndReplace(guest, running, {
          ok: false,
          exitCode: 137,
          failure: 'memory',
          error: `memory: the execution used over ${options.limits.memoryMb + MEMORY_HEADROOM_MB} MB`,
        })
    }, options.memoryPollMs ?? 25)
    job.onStart?.()
    guest.child.send({
      type: 'run',
      job: {
        id: job.id,
        code: job.code,
        args: job.args,
        functions: job.functions,
        limits: options.limits,
      },
    })
  }

  for (let i = 0; i < options.size; i++) spawnGuest()

  return {
    /**
     * Hold one place in the queue before doing the work that precedes `run` (storing the record),
     * so an accepted execution can never be refused afterwards. Throws PoolFullError when full.
     */
    reserve(): Reservation {
      if (closed) throw new PoolClosedError()
      if (fatal !== null) throw new Error(fatal)
      if (queue.length + reserved >= options.maxQueue)
        throw new PoolFullError(Math.max(1, Math.ceil(options.limits.timeoutMs / 1000 / 4)))
      reserved++
      let held = true
      return {
        release() {
          if (held) reserved--
          held = false
        },
      }
    },
    /** Queue a job on a reservation; rejects only when the pool is closing or broken. */
    run(job: GuestJob, reservation: Reservation): Promise<GuestResult> {
      reservation.release()
      if (closed) return Promise.reject(new PoolClosedError())
      if (fatal !== null) return Promise.reject(new Error(fatal))
      return new Promise<GuestResult>((resolve, reject) => {
        queue.push({ job, resolve, reject })
        schedule()
      })
    },
    stats() {
      let busy = 0
      let ready = 0
      for (const guest of guests) {
        if (guest.running) busy++
        else if (guest.ready) ready++
      }
      return {
        processes: guests.size,
        busy,
        ready,
        queued: queue.length,
        pids: [...guests].map((guest) => guest.child.pid),
      }
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
      for (const item of queue.splice(0)) item.reject(new PoolClosedError())
      const end = Date.now() + graceMs
      while ([...guests].some((guest) => guest.running) && Date.now() < end) {
        await new Promise<void>((resolve) => {
          idleWaiters.push(resolve)
          setTimeout(resolve, 50)
        })
      }
      for (const guest of guests) {
        if (guest.running)
          stopAndReplace(guest, guest.running, {
            ok: false,
            exitCode: 137,
            failure: 'shutdown',
            error: 'shutdown: the server is stopping',
          })
        else retire(guest)
      }
      idleWaiters = []
    },
  }
}

export type GuestPool = ReturnType<typeof createGuestPool>

export interface Reservation {
  release(): void
}

type GuestMessage =
  | { type: 'ready' }
  | { type: 'fatal'; reason: string }
  | { type: 'output'; id: string; stream: 'stdout' | 'stderr'; text: string }
  | { type: 'limit'; id: string; code: string }
  | { type: 'call'; id: string; callId: number; fn: string; args: string }
  | {
      type: 'done'
      id: string
      ok: boolean
      value?: string
      error?: { name: string; message: string; code?: FailureCode }
    }

/** Newline-delimited messages from a stream. */
function readLines(stream: NodeJS.ReadableStream, onLine: (line: string) => void) {
  let buffered = ''
  stream.setEncoding('utf8')
  stream.on('data', (chunk: string) => {
    buffered += chunk
    let newline
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, newline)
      buffered = buffered.slice(newline + 1)
      if (line) onLine(line)
    }
  })
  stream.on('error', () => {})
}

async function residentBytes(pid: number | undefined): Promise<number> {
  if (!pid) return 0
  try {
    const statm = await readFile(`/proc/${pid}/statm`, 'utf8')
    return Number(statm.split(' ')[1]) * PAGE_SIZE
  } catch {
    return 0
  }
}
