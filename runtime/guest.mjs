// @ts-check
/**
 * The guest: one child process of the sandbox pool. It runs untrusted code, one execution at a
 * time, each in a fresh SES Compartment whose only globals are the approved capability stubs, a
 * hardened copy of `args` and a bounded `console`. It holds no secret, no token, no storage:
 * a capability call is a message to the parent, which decides and answers with plain data.
 *
 * Plain .mjs on purpose (not bundled): the build copies it next to the server entry.
 */
import 'ses'
import { writeSync } from 'node:fs'
import { Worker } from 'node:worker_threads'
import { CHANNEL_FD, FAILURE, failure } from './protocol.mjs'

/**
 * @typedef {import('./protocol.mjs').JobSpec} JobSpec
 * @typedef {import('./protocol.mjs').GuestMessage} GuestMessage
 * @typedef {import('./protocol.mjs').HostMessage} HostMessage
 * @typedef {import('./protocol.mjs').Failure} Failure
 */

// lockdown() is the first statement: every intrinsic of this process is frozen before any guest
// code exists. The options are explicit so that no LOCKDOWN_* environment variable can weaken
// them (SB-24); the parent also starts this process with an empty environment.
lockdown({
  errorTaming: 'safe',
  stackFiltering: 'concise',
  regExpTaming: 'safe',
  localeTaming: 'safe',
  consoleTaming: 'safe',
  overrideTaming: 'severe',
  evalTaming: 'safe-eval',
  domainTaming: 'safe',
  errorTrapping: 'none',
  unhandledRejectionTrapping: 'none',
  reporting: 'none',
})

// Compartment globals that no guest needs and that reach raw or off-heap memory, shared memory,
// GC observation or the sandbox machinery itself (SB-14): removed before any code runs.
const WITHHELD_GLOBALS = [
  'ArrayBuffer',
  'SharedArrayBuffer',
  'DataView',
  'Atomics',
  'WeakRef',
  'FinalizationRegistry',
  'Int8Array',
  'Uint8Array',
  'Uint8ClampedArray',
  'Int16Array',
  'Uint16Array',
  'Int32Array',
  'Uint32Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'BigUint64Array',
  'Compartment',
  'lockdown',
]

// If the server dies (even by SIGKILL) a guest spinning in a loop would never see the IPC
// disconnect. Started through setpriv, the kernel kills it then (parent-death signal); otherwise
// (`--watchdog`) a watchdog thread, outside the locked-down realm, ends the process once it has
// been orphaned.
if (process.argv.includes('--watchdog')) startWatchdog()

function startWatchdog() {
  new Worker(
    `const { ppid } = process
  setInterval(() => { if (process.ppid !== ppid) process.kill(process.pid, 'SIGKILL') }, 250)`,
    { eval: true, env: {}, resourceLimits: { maxOldGenerationSizeMb: 8 } },
  ).unref()
}

const OUTPUT_MARKER = '\n[output truncated: limit reached]\n'

/** @type {null | { id: string, run: ReturnType<typeof createRun> }} */
let current = null

const pause = new Int32Array(new SharedArrayBuffer(4))

/**
 * One message to the parent, written synchronously: it is delivered even if the guest spins
 * right after.
 * @param {GuestMessage} message
 */
function send(message) {
  const bytes = Buffer.from(JSON.stringify(message) + '\n')
  let offset = 0
  while (offset < bytes.length) {
    try {
      offset += writeSync(CHANNEL_FD, bytes, offset)
    } catch (error) {
      if (/** @type {NodeJS.ErrnoException} */ (error).code !== 'EAGAIN') process.exit(0)
      Atomics.wait(pause, 0, 0, 1)
    }
  }
}

/** SB-24: inside a compartment an error carries no stack and no host global is visible, whatever the environment says. */
function selfTest() {
  const compartment = createCompartment()
  const stack = compartment.evaluate('new Error("probe").stack')
  const visible = compartment.evaluate(
    '[typeof process, typeof ArrayBuffer, typeof Compartment].join()',
  )
  return stack === '' && visible === 'undefined,undefined,undefined'
}

/**
 * @typedef {(stream: 'stdout' | 'stderr', parts: unknown[]) => void} OutputSink
 * @typedef {{ compartment: InstanceType<typeof Compartment>, sendOutputTo(sink: OutputSink): void }} Sandbox
 */

/**
 * The next job's sandbox, made while this process is idle: building one (withholding its globals,
 * its evaluator, its console) is a good part of a short job's time. Each is taken by exactly one
 * job, never reused.
 * @type {Sandbox | null}
 */
let spare = null

function takeSandbox() {
  const sandbox = spare ?? createSandbox()
  spare = null
  return sandbox
}

function prepareSpare() {
  if (!current) spare ??= createSandbox()
}

/** @returns {Sandbox} */
function createSandbox() {
  const compartment = createCompartment()
  /** @type {OutputSink | null} */
  let sink = null
  compartment.globalThis.console = freezeArrows({
    log: (/** @type {unknown[]} */ ...parts) => sink?.('stdout', parts),
    info: (/** @type {unknown[]} */ ...parts) => sink?.('stdout', parts),
    debug: (/** @type {unknown[]} */ ...parts) => sink?.('stdout', parts),
    warn: (/** @type {unknown[]} */ ...parts) => sink?.('stderr', parts),
    error: (/** @type {unknown[]} */ ...parts) => sink?.('stderr', parts),
  })
  return { compartment, sendOutputTo: (given) => void (sink = given) }
}

/*
 * Hardening by hand, for the two shapes a sandbox is given — arrow functions, and JSON data —
 * where freezing each object is all harden() would do: an arrow function has no `prototype`, JSON
 * data holds only plain objects, arrays and primitives, and the prototypes left to reach
 * (Object.prototype, Array.prototype, Function.prototype) are hardened by lockdown. harden() walks
 * the same objects reading every property's descriptor, and remembers each in a WeakSet (weak
 * entries the collector must process): ≈ 15 µs a sandbox measured alone, and the guests' CPU per
 * short execution fell by 9–10 % without it (bench:ab).
 */

/**
 * @template {(...parts: any[]) => unknown} F
 * @param {F} arrow
 * @returns {F}
 */
function freezeArrow(arrow) {
  if (typeof arrow !== 'function' || 'prototype' in arrow) throw new TypeError('not an arrow')
  return Object.freeze(arrow)
}

/**
 * @template {Record<string, (...parts: any[]) => unknown>} T
 * @param {T} methods
 * @returns {T}
 */
function freezeArrows(methods) {
  for (const method of Object.values(methods)) freezeArrow(method)
  return Object.freeze(methods)
}

/**
 * Deep-freeze JSON data (as parsed from the job message: no object is reached twice), without
 * recursion: nesting depth is the agent's choice.
 * @param {unknown} data
 */
function freezeJson(data) {
  const pending = [data]
  while (pending.length > 0) {
    const value = pending.pop()
    if (value === null || typeof value !== 'object') continue
    Object.freeze(value)
    for (const key of Object.keys(value)) pending.push(/** @type {any} */ (value)[key])
  }
  return data
}

function createCompartment() {
  const compartment = new Compartment({ __options__: true, globals: {} })
  for (const name of WITHHELD_GLOBALS) delete compartment.globalThis[name]
  // A compartment builds its evaluator at its first evaluate (most of a short job's evaluate
  // time): done here, on a constant, so that a spare has it before its job arrives.
  compartment.evaluate('0')
  return compartment
}

/**
 * The compartment and endowments of one job.
 * @param {JobSpec} job
 */
function createRun(job) {
  const sandbox = takeSandbox()
  const { compartment } = sandbox
  /** @type {ErrorConstructor} */
  const GuestError = compartment.globalThis.Error
  /** @type {Map<number, { resolve(value: unknown): void, reject(error: unknown): void }>} */
  const pending = new Map()
  let callCount = 0
  let inFlight = 0
  let outputBytes = 0
  let outputClosed = false

  /**
   * @param {'stdout' | 'stderr'} stream
   * @param {unknown[]} parts
   */
  function write(stream, parts) {
    if (outputClosed) return
    const text = parts.map(formatPart).join(' ') + '\n'
    const room = job.limits.outputBytes - outputBytes
    if (Buffer.byteLength(text) <= room) {
      outputBytes += Buffer.byteLength(text)
      send({ type: 'output', id: job.id, stream, text })
      return
    }
    outputClosed = true
    const head = Buffer.from(text).subarray(0, Math.max(0, room)).toString()
    send({ type: 'output', id: job.id, stream, text: head + OUTPUT_MARKER })
    send({ type: 'limit', id: job.id, code: FAILURE.output_limit })
  }

  sandbox.sendOutputTo(write)

  /**
   * A failure as the Error guest code catches: its message, with `code` (and `status`) as data.
   * @param {Failure} cause
   */
  function toGuestError(cause) {
    const error = new GuestError(cause.message)
    Object.defineProperty(error, 'code', { value: cause.code, enumerable: true })
    if (cause.status !== undefined) {
      Object.defineProperty(error, 'status', { value: cause.status, enumerable: true })
    }
    return error
  }

  // Refusals reuse one frozen error each: a loop of 1e5 calls must fail fast, and making 1e5
  // tamed errors costs seconds.
  /** @type {Error | undefined} */
  let tooMany
  /** @type {Error | undefined} */
  let tooManyAtOnce
  /**
   * @param {string} fn
   * @param {unknown[]} argsList
   */
  function invoke(fn, argsList) {
    if (callCount >= job.limits.maxCalls) {
      tooMany ??= harden(
        toGuestError(
          failure(
            FAILURE.subrequest_limit,
            `at most ${job.limits.maxCalls} capability calls per execution`,
          ),
        ),
      )
      return Promise.reject(tooMany)
    }
    if (inFlight >= job.limits.maxCallsInFlight) {
      tooManyAtOnce ??= harden(
        toGuestError(
          failure(
            FAILURE.subrequest_limit,
            `at most ${job.limits.maxCallsInFlight} capability calls at once`,
          ),
        ),
      )
      return Promise.reject(tooManyAtOnce)
    }
    let payload
    try {
      payload = JSON.stringify(argsList)
    } catch {
      return Promise.reject(
        toGuestError(failure(FAILURE.invalid_call, 'capability arguments must be JSON data')),
      )
    }
    if (payload.length > job.limits.callArgsBytes) {
      return Promise.reject(
        toGuestError(failure(FAILURE.request_too_large, 'capability arguments are too large')),
      )
    }
    callCount++
    inFlight++
    const callId = callCount
    return new Promise((resolve, reject) => {
      pending.set(callId, { resolve, reject })
      send({ type: 'call', id: job.id, callId, fn, args: payload })
    }).finally(() => {
      inFlight--
    })
  }

  /** @type {Record<string, unknown>} */
  const globals = { args: freezeJson(job.args ?? {}) }
  for (const fn of job.functions) {
    globals[fn] = freezeArrow((/** @type {unknown[]} */ ...argsList) => invoke(fn, argsList))
  }

  return {
    compartment,
    globals,
    /**
     * @param {number} callId
     * @param {Extract<HostMessage, { type: 'callResult' }>} reply
     */
    settle(callId, reply) {
      const entry = pending.get(callId)
      if (!entry) return
      pending.delete(callId)
      if (reply.ok) entry.resolve(reply.value)
      else entry.reject(toGuestError(reply.error))
    },
  }
}

/** @param {JobSpec} job */
async function execute(job) {
  const run = createRun(job)
  current = { id: job.id, run }
  try {
    for (const [name, value] of Object.entries(run.globals))
      run.compartment.globalThis[name] = value
    // SES rejects import expressions and direct eval here, before anything runs (SB-03, SB-07).
    const body = run.compartment.evaluate(`(async function () {\n${job.code}\n})`)
    const value = await body()
    end({ type: 'done', id: job.id, ...serializeValue(value, job.limits.resultBytes) })
  } catch (error) {
    end({ type: 'done', id: job.id, ok: false, error: describeThrown(error) })
  } finally {
    if (current?.id === job.id) current = null
  }
}

/**
 * Report the end of a job, then prove this process idle: the `idle` message is sent from a
 * macrotask, which runs only once no microtask is left (a promise loop the code left behind never
 * lets it run, and the parent then replaces this process instead of reusing it).
 * @param {Extract<GuestMessage, { type: 'done' }>} message
 */
function end(message) {
  send(message)
  setImmediate(() => {
    send({ type: 'idle', id: message.id })
    // A turn later, so a job already waiting is read first; then the spare for the next one.
    setImmediate(prepareSpare)
  })
}

/**
 * `return x` becomes result.value: JSON data only, and bounded before it is copied.
 * @param {unknown} value
 * @param {number} maxBytes
 * @returns {{ ok: true, value?: string } | { ok: false, error: import('./protocol.mjs').Failure<'result_too_large' | 'result_not_json'> }}
 */
function serializeValue(value, maxBytes) {
  const tooLarge = () => ({
    ok: /** @type {const} */ (false),
    error: failure(FAILURE.result_too_large, `the returned value is over ${maxBytes} bytes`),
  })
  const notJson = () => ({
    ok: /** @type {const} */ (false),
    error: failure(FAILURE.result_not_json, 'the returned value is not JSON data'),
  })
  if (value === undefined) return { ok: true }
  if (typeof value === 'string' && value.length > maxBytes) return tooLarge()
  let json
  try {
    json = JSON.stringify(value)
  } catch {
    return notJson()
  }
  if (json === undefined) return notJson()
  if (Buffer.byteLength(json) > maxBytes) return tooLarge()
  return { ok: true, value: json }
}

/**
 * What the code threw, as `Name: message` (its own words; never a host stack).
 * @param {unknown} error
 * @returns {import('./protocol.mjs').Failure<'threw'>}
 */
function describeThrown(error) {
  try {
    if (error && typeof error === 'object') {
      const { name, message } = /** @type {{ name?: unknown, message?: unknown }} */ (error)
      const shownName = typeof name === 'string' ? name.slice(0, 100) : 'Error'
      const shownMessage = (typeof message === 'string' ? message : String(error)).slice(0, 4000)
      return { code: FAILURE.threw, message: `${shownName}: ${shownMessage}` }
    }
    return { code: FAILURE.threw, message: `Error: Uncaught ${String(error).slice(0, 4000)}` }
  } catch {
    return { code: FAILURE.threw, message: 'Error: Uncaught exception' }
  }
}

/** @param {unknown} part */
function formatPart(part) {
  if (typeof part === 'string') return part
  if (part === undefined) return 'undefined'
  if (typeof part === 'function') return '[function]'
  if (typeof part === 'bigint' || typeof part === 'symbol') return String(part)
  if (part instanceof Error || isErrorLike(part)) {
    const { name, message } = /** @type {{ name: string, message: string }} */ (part)
    return `${name}: ${message}`
  }
  try {
    return JSON.stringify(part) ?? String(part)
  } catch {
    return String(part)
  }
}

/** @param {unknown} part */
function isErrorLike(part) {
  if (!part || typeof part !== 'object' || Array.isArray(part)) return false
  const { name, message } = /** @type {{ name?: unknown, message?: unknown }} */ (part)
  return typeof message === 'string' && typeof name === 'string'
}

process.on('message', (/** @type {HostMessage} */ message) => {
  if (message.type === 'run') {
    void execute(message.job)
  } else if (message.type === 'callResult') {
    if (current?.id === message.id) current.run.settle(message.callId, message)
  }
})

// A rejection nobody handled is reported on stderr; it does not fail the execution (SB-22).
process.on('unhandledRejection', (reason) => {
  if (!current) return
  const text = `Unhandled promise rejection: ${describeThrown(reason).message}\n`
  send({ type: 'output', id: current.id, stream: 'stderr', text })
})
process.on('uncaughtException', (error) => {
  if (!current) return
  end({ type: 'done', id: current.id, ok: false, error: describeThrown(error) })
})
process.on('disconnect', () => process.exit(0))

if (!selfTest()) {
  send({
    type: 'fatal',
    reason: 'SES self-test failed: compartment errors carry a stack or host globals are visible',
  })
  process.exit(70)
}
prepareSpare()
send({ type: 'ready' })
