/**
 * Prometheus metrics (prom-client), in one registry of this server's own. Counters and
 * histograms are updated where things happen (requests, executions, capability calls, store
 * operations); gauges (guests, queue, held requests, build info) are read at scrape time from the
 * app, so they cost nothing between scrapes. Labels take values from small closed sets (a route
 * pattern, a status, an error code) — never an id, a tenant or anything a client chose.
 * docs/operations.md says what each one means.
 */
import type { HeldKind } from '../executions/long-polls'
import { Gauge, Registry, collectDefaultMetrics } from 'prom-client'
import { FastCounter, FastHistogram } from './series'

export const metricsRegistry = new Registry()
const registers = [metricsRegistry]

/** Seconds, from a fast answer to a long-poll's two minutes. */
const REQUEST_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 60]
/** Seconds, from an instant return to the longest time limit (5 min). */
const EXECUTION_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 300]
const STORE_BUCKETS = [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.1, 0.5, 2]

export const httpRequests = new FastCounter(
  metricsRegistry,
  'oauth3_http_requests_total',
  'HTTP requests answered, by method, route pattern and status.',
  ['method', 'route', 'status'],
)

export const httpRequestSeconds = new FastHistogram(
  metricsRegistry,
  'oauth3_http_request_duration_seconds',
  'Time from a request to the end of its answer (a long-poll counts its wait).',
  REQUEST_BUCKETS,
  ['method', 'route'],
)

export const refusals = new FastCounter(
  metricsRegistry,
  'oauth3_rate_limited_total',
  'Requests refused with 429, by error code (OVERLOADED, RATE_LIMITED, TOO_MANY_LONG_POLLS, …).',
  ['code'],
)

export const executions = new FastCounter(
  metricsRegistry,
  'oauth3_executions_total',
  'Executions ended, by outcome: completed, or the failure code (timed_out, memory, …).',
  ['outcome'],
)

export const executionSeconds = new FastHistogram(
  metricsRegistry,
  'oauth3_execution_duration_seconds',
  'Time an execution ran in its guest, from start to its end.',
  EXECUTION_BUCKETS,
).child()

export const queueWaitSeconds = new FastHistogram(
  metricsRegistry,
  'oauth3_execution_queue_wait_seconds',
  'Time from an accepted execution to its start in a guest.',
  EXECUTION_BUCKETS,
).child()

export const capabilityCalls = new FastCounter(
  metricsRegistry,
  'oauth3_capability_calls_total',
  "Capability calls, by the upstream's HTTP status, or the call's failure code when none answered.",
  ['status'],
)

export const upstreamSeconds = new FastHistogram(
  metricsRegistry,
  'oauth3_upstream_duration_seconds',
  'Time of a capability call that an upstream answered, request to decoded answer.',
  REQUEST_BUCKETS,
).child()

export const storeSeconds = new FastHistogram(
  metricsRegistry,
  'oauth3_store_operation_duration_seconds',
  'Time of one store operation, by operation.',
  STORE_BUCKETS,
  ['operation'],
)

export const storeErrors = new FastCounter(
  metricsRegistry,
  'oauth3_store_errors_total',
  'Store operations that failed because the store did not answer, by operation.',
  ['operation'],
)

export interface ScrapedState {
  guests(): { busy: number; idle: number; starting: number; queued: number }
  held(): Record<HeldKind, number>
  build: { version: string; commit: string; build_digest: string; tee: string }
}

/**
 * The gauges read from the app at each scrape, and the process's own metrics (CPU, memory, event
 * loop delay): only once metrics are served, since the latter sample on timers.
 */
export function watchAppMetrics(state: ScrapedState): void {
  new Gauge({
    name: 'oauth3_sandbox_guests',
    help: 'Guest processes, by state: busy (running a job), idle (ready), starting.',
    labelNames: ['state'] as const,
    registers,
    collect() {
      const guests = state.guests()
      this.set({ state: 'busy' }, guests.busy)
      this.set({ state: 'idle' }, guests.idle)
      this.set({ state: 'starting' }, guests.starting)
    },
  })
  new Gauge({
    name: 'oauth3_execution_queue_length',
    help: 'Executions accepted and waiting for a guest.',
    registers,
    collect() {
      this.set(state.guests().queued)
    },
  })
  new Gauge({
    name: 'oauth3_held_requests',
    help: 'Requests held open now, by kind: long_poll (status waits), stream (live events), inline_wait (POST /execute with Prefer: wait).',
    labelNames: ['kind'] as const,
    registers,
    collect() {
      for (const [kind, count] of Object.entries(state.held())) this.set({ kind }, count)
    },
  })
  new Gauge({
    name: 'oauth3_build_info',
    help: 'What runs: version, commit, build digest and where (tee); always 1.',
    labelNames: ['version', 'commit', 'build_digest', 'tee'] as const,
    registers,
  }).set(state.build, 1)
  collectDefaultMetrics({ register: metricsRegistry, prefix: 'oauth3_' })
}
