/**
 * The limits of one execution, enforced from the parent: a wall-clock deadline and resident
 * memory sampled from /proc (which, unlike a heap cap, also sees off-heap typed arrays). Output,
 * call and result limits are counted in pool.ts as the messages arrive.
 */
import { readFile } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import { FAILURE, failure } from './protocol.mjs'
import type { GuestLimits, RuntimeExecutionFailureCode, Failure } from './protocol.mjs'

export interface ExecLimits extends GuestLimits {
  timeoutMs: number
  /** V8 heap of a guest; the resident limit is this plus MEMORY_HEADROOM_MB. */
  memoryMb: number
}

/** Resident memory a guest may use beyond its heap: code, SES, buffers. */
export const MEMORY_HEADROOM_MB = 96
const PAGE_SIZE = 4096
const MEMORY_POLL_MS = 25

/**
 * One guest per core (2 to 8): executions are CPU-bound, and on 2 cores two guests did more than
 * four (1 277 vs 992 executions/s inline, bench/run.mjs) at half the memory (≈ 60 MB a guest).
 */
export function defaultPoolSize(): number {
  return Math.max(2, Math.min(8, availableParallelism()))
}

export interface JobWatch {
  pid: number | undefined
  timeoutMs: number
  memoryMb: number
  pollMs?: number
}

/**
 * Call `onLimit` once when the job runs over its time or its memory; the returned function
 * stops watching.
 */
export function watchJob(
  watch: JobWatch,
  onLimit: (cause: Failure<RuntimeExecutionFailureCode>, exitCode: 124 | 137) => void,
): () => void {
  let stopped = false
  const stop = () => {
    stopped = true
    clearTimeout(deadline)
    clearInterval(sampler)
  }
  const trip = (cause: Failure<RuntimeExecutionFailureCode>, exitCode: 124 | 137) => {
    if (stopped) return
    stop()
    onLimit(cause, exitCode)
  }
  const deadline = setTimeout(
    () => trip(failure(FAILURE.timed_out, `the execution ran over ${watch.timeoutMs} ms`), 124),
    watch.timeoutMs,
  )
  const limitMb = watch.memoryMb + MEMORY_HEADROOM_MB
  const sampler = setInterval(async () => {
    if ((await residentBytes(watch.pid)) > limitMb * 1024 * 1024) {
      trip(failure(FAILURE.memory, `the execution used over ${limitMb} MB`), 137)
    }
  }, watch.pollMs ?? MEMORY_POLL_MS)
  return stop
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

/** Linux's clock tick (USER_HZ), the unit of CPU time in /proc/<pid>/stat. */
const TICK_MS = 10
const IDLE_POLL_MS = 20

/**
 * Call `onOverdue` once the process has spent `cpuMs` of CPU time since this call without being
 * stopped: a guest that returned but keeps a promise loop turning burns CPU, while one that is
 * idle but waits for a core on a loaded machine does not. CPU time, not wall time, so a busy
 * machine never makes an idle guest look guilty. Without /proc, wall time stands in.
 */
export function watchCpuSpent(pid: number | undefined, cpuMs: number, onOverdue: () => void) {
  let stopped = false
  let timer: ReturnType<typeof setTimeout> | undefined
  const stop = () => {
    stopped = true
    clearTimeout(timer)
  }
  // The first sample waits a poll interval: almost every guest proves idle well before it, and
  // then nothing is read at all (a /proc read per execution costs more than the rest of this).
  timer = setTimeout(async () => {
    const start = await cpuTicks(pid)
    if (stopped) return
    if (start === null) {
      timer = setTimeout(onOverdue, Math.max(0, cpuMs - IDLE_POLL_MS))
      return
    }
    const poll = async () => {
      const now = await cpuTicks(pid)
      if (stopped) return
      if (now === null || (now - start) * TICK_MS >= cpuMs) return onOverdue()
      timer = setTimeout(poll, IDLE_POLL_MS)
    }
    timer = setTimeout(poll, IDLE_POLL_MS)
  }, IDLE_POLL_MS)
  return stop
}

/** User + system CPU time of a process, in clock ticks; null when it cannot be read. */
async function cpuTicks(pid: number | undefined): Promise<number | null> {
  if (!pid) return null
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    // Fields 14 and 15 of stat (utime, stime): 11 and 12 after the command name.
    return Number(fields[11]) + Number(fields[12])
  } catch {
    return null
  }
}
