/**
 * The sandbox pool: pre-started guest processes (guest.mjs), one job at a time each. Every limit
 * is enforced from here, outside the guest: wall-clock deadline and resident memory (limits.ts),
 * output bytes and capability calls (job.ts, as messages arrive). When a limit trips, the job's
 * capabilities are revoked first (in-flight calls aborted, later ones refused), then the process
 * is killed and replaced (`stopAndReplace`); a process that failed or misbehaved is never reused.
 * Jobs wait in a bounded queue that keeps one tenant from holding every guest (scheduler.ts).
 *
 * This module imports nothing from server/: the host hands it a `call` function per job.
 */
import { prepareGuestFolder } from './guest-folder'
import { guestLaunch, spawnGuest, type GuestProcess } from './guest-process'
import {
  createRunningJob,
  leftRunning,
  outputLimit,
  type Ending,
  type GuestJob,
  type GuestResult,
  type RunningJob,
} from './job'
import { watchCpuSpent, watchJob, type ExecLimits } from './limits'
import { FAILURE, failure } from './protocol.mjs'
import type { GuestMessage } from './protocol.mjs'
import { createScheduler, type Reservation } from './scheduler'

export { PoolFullError, type Reservation } from './scheduler'
export { defaultPoolSize, type ExecLimits } from './limits'
export type { CallReply, GuestJob, GuestResult } from './job'

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

interface Queued {
  tenant: string
  job: GuestJob
  resolve(result: GuestResult): void
  reject(error: Error): void
}

/** Guests that died before saying ready, in a row: a broken install must not respawn forever. */
const MAX_START_FAILURES = 5
/**
 * How much CPU a guest whose job returned may spend before proving itself idle; past it, it is
 * replaced (the code left work running).
 */
const IDLE_GRACE_CPU_MS = 250

export function createGuestPool(options: PoolOptions) {
  const { limits } = options
  const guests = new Set<GuestProcess>()
  const runningOn = new Map<GuestProcess, RunningJob>()
  const scheduler = createScheduler<Queued>({
    maxQueue: options.maxQueue,
    perTenant: options.perTenant,
    guests: options.size,
    // Before any job has ended, a quarter of the time limit.
    expectedJobSeconds: limits.timeoutMs / 1000 / 4,
  })
  const log = options.log ?? (() => {})
  let closed = false
  let fatal: string | null = null
  let startFailures = 0
  let idleWaiters: Array<() => void> = []

  const launch = guestLaunch(prepareGuestFolder(options.entry), limits.memoryMb)

  function spawn() {
    guests.add(spawnGuest(launch, { onMessage, onExit }))
  }

  function onMessage(guest: GuestProcess, message: GuestMessage) {
    if (message.type === 'ready') {
      guest.ready = true
      guest.yieldToServer()
      startFailures = 0
      schedule()
      return
    }
    if (message.type === 'fatal') {
      fatal = message.reason
      log(`sandbox: ${message.reason}`)
      return
    }
    const running = runningOn.get(guest)
    if (!running || message.id !== running.job.id) return
    if (message.type === 'output') {
      const over = running.output(message.stream, message.text)
      if (over) stopAndReplace(guest, running, over)
    } else if (message.type === 'limit') {
      stopAndReplace(guest, running, outputLimit(limits))
    } else if (message.type === 'call') {
      void running.answer(message, (body) => {
        if (runningOn.get(guest) !== running || running.revoked) return
        guest.send({ type: 'callResult', id: running.job.id, callId: message.callId, ...body })
      })
    } else if (message.type === 'done') {
      // Calls the code started but never awaited end with it.
      running.revoke()
      running.returnedWith(
        running.done(message),
        (onOverdue) => watchCpuSpent(guest.child.pid, IDLE_GRACE_CPU_MS, onOverdue),
        () => {
          if (runningOn.get(guest) === running)
            stopAndReplace(guest, running, leftRunning(IDLE_GRACE_CPU_MS))
        },
      )
    } else if (message.type === 'idle' && running.returned) {
      // Proved idle: nothing it ran is left, so the guest may take another tenant's job.
      running.finish(running.returned)
      runningOn.delete(guest)
      schedule()
    }
  }

  function onExit(guest: GuestProcess, code: number | null, signal: NodeJS.Signals | null) {
    guests.delete(guest)
    const failedToStart = !guest.ready && !guest.retired && !closed
    if (failedToStart && ++startFailures >= MAX_START_FAILURES && fatal === null) {
      fatal = `sandbox processes exit before they are ready (last exit: ${signal ?? code}); check that ${options.entry} and the ses package are installed`
      log(`sandbox: ${fatal}`)
    }
    const running = runningOn.get(guest)
    runningOn.delete(guest)
    if (running) {
      // V8 aborts (SIGABRT / 134) when the heap limit is hit: that is a memory failure.
      const outOfMemory = signal === 'SIGABRT' || code === 134
      const cause = outOfMemory
        ? failure(FAILURE.memory, 'the execution ran out of memory')
        : failure(FAILURE.killed, `the sandbox process ended (${signal ?? code})`)
      running.finish({ ok: false, exitCode: 137, failure: cause })
    }
    if (!closed && !guest.retired && fatal === null) {
      log(`sandbox: a guest process ended (${signal ?? code}); replacing it`)
    }
    refill()
    for (const wake of idleWaiters.splice(0)) wake()
  }

  /** Revoke the job's capabilities, end it, then kill its process; a new one replaces it. */
  function stopAndReplace(guest: GuestProcess, running: RunningJob, ending: Ending) {
    running.revoke()
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
    const running = createRunningJob(job, limits, (result) => {
      stopWatching()
      scheduler.finished(job.tenant, result.durationMs / 1000)
      item.resolve(result)
      queueMicrotask(schedule)
    })
    runningOn.set(guest, running)
    const timeoutMs = Math.min(job.timeoutMs ?? limits.timeoutMs, limits.timeoutMs)
    const watch = {
      pid: guest.child.pid,
      timeoutMs,
      memoryMb: limits.memoryMb,
      pollMs: options.memoryPollMs,
    }
    const stopWatching = watchJob(watch, (cause, exitCode) => {
      if (runningOn.get(guest) === running) {
        stopAndReplace(guest, running, { ok: false, exitCode, failure: cause })
      }
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
    /** The walls guests have beyond SES on this machine (guest-process.ts). */
    walls: launch.walls,
    /**
     * Hold one place in the queue before doing the work that precedes `run` (storing the record),
     * so an accepted execution can never be refused afterwards. Throws PoolFullError when the
     * tenant holds its share of the queue, or no place is left.
     */
    reserve(tenant: string): Reservation {
      if (closed) throw new PoolClosedError()
      if (fatal !== null) throw new Error(fatal)
      return scheduler.reserve(tenant)
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
        if (!running) {
          guest.retire()
          continue
        }
        const cause = failure(FAILURE.shutdown, 'the server is stopping')
        stopAndReplace(guest, running, { ok: false, exitCode: 137, failure: cause })
      }
      idleWaiters = []
    },
  }
}

export type GuestPool = ReturnType<typeof createGuestPool>
