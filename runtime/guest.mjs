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
// disconnect: a watchdog thread, outside the locked-down realm, ends the process once it has
// been orphaned.
new Worker(
  `const { ppid } = process
  setInterval(() => { if (process.ppid !== ppid) process.kill(process.pid, 'SIGKILL') }, 250)`,
  { eval: true, env: {}, resourceLimits: { maxOldGenerationSizeMb: 8 } },
).unref()

const OUTPUT_MARKER = '\n[output truncated: limit reached]\n'

/** @type {null | ReturnType<typeof createRun>} */
let current = null

// Messages to the parent go out synchronously on fd 4, in order: a guest spinning in a loop
// after logging still delivers what it wrote (and its limit notice), so the parent can act on
// it at once. The parent answers on the IPC channel.
const CHANNEL_FD = 4
const pause = new Int32Array(new SharedArrayBuffer(4))

function send(message) {
  const bytes = Buffer.from(JSON.stringify(message) + '\n')
  let offset = 0
  while (offset < bytes.length) {
    try {
      offset += writeSync(CHANNEL_FD, bytes, offset)
    } catch (error) {
      if (error.code !== 'EAGAIN') process.exit(0)
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

function createCompartment() {
  const compartment = new Compartment({ __options__: true, globals: {} })
  for (const name of WITHHELD_GLOBALS) delete compartment.globalThis[name]
  return compartment
}

function createRun(job) {
  const compartment = createCompartment()
  const GuestError = compartment.globalThis.Error
  const pending = new Map()
  let callCount = 0
  let inFlight = 0
  let outputBytes = 0
  let outputClosed = false

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
    send({ type: 'limit', id: job.id, code: 'output_limit' })
  }

  const guestConsole = {
    log: (...parts) => write('stdout', parts),
    info: (...parts) => write('stdout', parts),
    debug: (...parts) => write('stdout', parts),
    warn: (...parts) => write('stderr', parts),
    error: (...parts) => write('stderr', parts),
  }

  // Refusals reuse one frozen error each: a loop of 1e5 calls must fail fast, and making 1e5
  // tamed errors costs seconds.
  let tooMany
  let tooManyAtOnce
  function invoke(fn, argsList) {
    if (callCount >= job.limits.maxCalls) {
      tooMany ??= harden(
        new GuestError(
          `subrequest_limit: at most ${job.limits.maxCalls} capability calls per execution`,
        ),
      )
      return Promise.reject(tooMany)
    }
    if (inFlight >= job.limits.maxCallsInFlight) {
      tooManyAtOnce ??= harden(
        new GuestError(
          `subrequest_limit: at most ${job.limits.maxCallsInFlight} capability calls at once`,
        ),
      )
      return Promise.reject(tooManyAtOnce)
    }
    let payload
    try {
      payload = JSON.stringify(argsList)
    } catch {
      return Promise.reject(new GuestError('capability arguments must be JSON data'))
    }
    if (payload.length > job.limits.callArgsBytes) {
      return Promise.reject(new GuestError('request_too_large: capability arguments are too large'))
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

  const globals = { args: harden(job.args ?? {}), console: harden(guestConsole) }
  for (const fn of job.functions) globals[fn] = harden((...argsList) => invoke(fn, argsList))

  return {
    compartment,
    globals,
    settle(callId, reply) {
      const entry = pending.get(callId)
      if (!entry) return
      pending.delete(callId)
      if (reply.ok) entry.resolve(reply.value)
      else entry.reject(new GuestError(reply.error))
    },
    GuestError,
  }
}

async function execute(job) {
  const run = createRun(job)
  current = { id: job.id, run }
  try {
    for (const [name, value] of Object.entries(run.globals))
      run.compartment.globalThis[name] = value
    // SES rejects import expressions and direct eval here, before anything runs (SB-03, SB-07).
    const body = run.compartment.evaluate(`(async function () {\n${job.code}\n})`)
    const value = await body()
    send({ type: 'done', id: job.id, ...serializeValue(value, job.limits.resultBytes) })
  } catch (error) {
    send({ type: 'done', id: job.id, ok: false, error: describeError(error) })
  } finally {
    if (current?.id === job.id) current = null
  }
}

/** `return x` becomes result.value: JSON data only, and bounded before it is copied. */
function serializeValue(value, maxBytes) {
  if (value === undefined) return { ok: true }
  if (typeof value === 'string' && value.length > maxBytes)
    return {
      ok: false,
      error: { name: 'RangeError', message: 'result_too_large', code: 'result_too_large' },
    }
  let json
  try {
    json = JSON.stringify(value)
  } catch {
    return {
      ok: false,
      error: {
        name: 'TypeError',
        message: 'the returned value is not JSON data',
        code: 'result_not_json',
      },
    }
  }
  if (json === undefined)
    return {
      ok: false,
      error: {
        name: 'TypeError',
        message: 'the returned value is not JSON data',
        code: 'result_not_json',
      },
    }
  if (Buffer.byteLength(json) > maxBytes)
    return {
      ok: false,
      error: { name: 'RangeError', message: 'result_too_large', code: 'result_too_large' },
    }
  return { ok: true, value: json }
}

function describeError(error) {
  try {
    if (error && typeof error === 'object') {
      const name = typeof error.name === 'string' ? error.name : 'Error'
      const message = typeof error.message === 'string' ? error.message : String(error)
      return { name: name.slice(0, 100), message: message.slice(0, 4000) }
    }
    return { name: 'Error', message: `Uncaught ${String(error).slice(0, 4000)}` }
  } catch {
    return { name: 'Error', message: 'Uncaught exception' }
  }
}

function formatPart(part) {
  if (typeof part === 'string') return part
  if (part === undefined) return 'undefined'
  if (typeof part === 'function') return '[function]'
  if (typeof part === 'bigint' || typeof part === 'symbol') return String(part)
  if (
    part instanceof Error ||
    (part &&
      typeof part === 'object' &&
      typeof part.message === 'string' &&
      typeof part.name === 'string' &&
      !Array.isArray(part))
  ) {
    return `${part.name}: ${part.message}`
  }
  try {
    return JSON.stringify(part) ?? String(part)
  } catch {
    return String(part)
  }
}

process.on('message', (message) => {
  if (message.type === 'run') {
    execute(message.job)
  } else if (message.type === 'callResult') {
    if (current?.id === message.id) current.run.settle(message.callId, message)
  }
})

// A rejection nobody handled is reported on stderr; it does not fail the execution (SB-22).
process.on('unhandledRejection', (reason) => {
  if (!current) return
  const { name, message } = describeError(reason)
  send({
    type: 'output',
    id: current.id,
    stream: 'stderr',
    text: `Unhandled promise rejection: ${name}: ${message}\n`,
  })
})
process.on('uncaughtException', (error) => {
  if (!current) return
  send({ type: 'done', id: current.id, ok: false, error: describeError(error) })
})
process.on('disconnect', () => process.exit(0))

if (!selfTest()) {
  send({
    type: 'fatal',
    reason: 'SES self-test failed: compartment errors carry a stack or host globals are visible',
  })
  process.exit(70)
}
send({ type: 'ready' })
