// @ts-check
/**
 * The protocol between the pool (host, runtime/pool.ts) and a guest process (runtime/guest.mjs),
 * defined once for both sides. The host sends on the IPC channel (JSON serialization); the guest
 * writes newline-delimited JSON on fd 4, synchronously and in order, so what it wrote before
 * spinning in a loop still arrives. Failures cross as data — a code and the message the agent
 * reads — never as text to parse back.
 *
 * Plain .mjs on purpose: the guest is not bundled (the build copies both files next to the server
 * entry), and the host imports it like any module; JSDoc types make both sides type-checked.
 */

/** The guest's message stream, guest → host. */
export const CHANNEL_FD = 4

/**
 * Failure codes that cross the boundary (each is in the error catalog, core/errors.ts).
 * Execution failures end a job; call failures reject one capability call in the guest.
 */
export const FAILURE = Object.freeze({
  // execution failures
  timed_out: 'timed_out',
  memory: 'memory',
  killed: 'killed',
  output_limit: 'output_limit',
  result_too_large: 'result_too_large',
  result_not_json: 'result_not_json',
  threw: 'threw',
  left_running: 'left_running',
  shutdown: 'shutdown',
  // call failures
  subrequest_limit: 'subrequest_limit',
  request_too_large: 'request_too_large',
  invalid_call: 'invalid_call',
  unknown_capability: 'unknown_capability',
  revoked: 'revoked',
  upstream_error: 'upstream_error',
})

/**
 * @typedef {'timed_out' | 'memory' | 'killed' | 'output_limit' | 'result_too_large'
 *   | 'result_not_json' | 'threw' | 'left_running' | 'shutdown'} RuntimeExecutionFailureCode
 */

/**
 * A failure as data. `message` is what the agent reads; `status` is an upstream's HTTP status.
 * @template {string} [C=string]
 * @typedef {{ code: C, message: string, status?: number }} Failure
 */

/**
 * A failure raised by the runtime itself: its message reads `<code>: <detail>`.
 * @template {string} C
 * @param {C} code
 * @param {string} detail
 * @returns {Failure<C>}
 */
export function failure(code, detail) {
  return { code, message: `${code}: ${detail}` }
}

/**
 * Limits the guest enforces on itself (the host enforces them again, and the rest).
 * @typedef {object} GuestLimits
 * @property {number} outputBytes stdout + stderr of one job
 * @property {number} maxCalls capability calls per job
 * @property {number} maxCallsInFlight capability calls at once
 * @property {number} resultBytes the returned value, as JSON
 * @property {number} callArgsBytes the arguments of one call, as JSON
 */

/**
 * @typedef {object} JobSpec
 * @property {string} id
 * @property {string} code an async function body
 * @property {unknown} args
 * @property {string[]} functions one per approved capability
 * @property {GuestLimits} limits
 */

/**
 * Host → guest, on the IPC channel.
 * @typedef {{ type: 'run', job: JobSpec }
 *   | { type: 'callResult', id: string, callId: number, ok: true, value: unknown }
 *   | { type: 'callResult', id: string, callId: number, ok: false, error: Failure }} HostMessage
 */

/**
 * Guest → host, on fd 4. `done` carries the returned value as JSON text, or the failure; `idle`
 * follows from a macrotask once the job's code has nothing left to run (a microtask loop the code
 * left behind starves it), and only then may the guest take another job (rule 4a).
 * @typedef {{ type: 'ready' }
 *   | { type: 'fatal', reason: string }
 *   | { type: 'output', id: string, stream: 'stdout' | 'stderr', text: string }
 *   | { type: 'limit', id: string, code: 'output_limit' }
 *   | { type: 'call', id: string, callId: number, fn: string, args: string }
 *   | { type: 'done', id: string, ok: true, value?: string }
 *   | { type: 'done', id: string, ok: false, error: Failure<RuntimeExecutionFailureCode> }
 *   | { type: 'idle', id: string }} GuestMessage
 */
