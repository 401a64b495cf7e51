// npm run bench:profile: where an execution's CPU goes. Starts the built server under
// `--cpu-prof`, keeps 50 inline executions in flight for BENCH_SECONDS (each with different code,
// as agents sending ad-hoc code do), stops it, and prints the CPU per execution of the server and
// its guests (the kernel's counters), the top self-time entries of the server's profile, and the
// same time grouped by part: HTTP/Nitro, auth, validation, code check, store, IPC to the guests,
// receipts, logging, GC, idle. V8's profiler samples the thread's time, not the CPU's: a write
// during which the kernel ran a guest counts in full. For CPU alone, PROFILER=perf starts the
// server with --perf-basic-prof and prints its pid for `perf record -g -p <pid>`. Guests cannot
// write a profile (their wall forbids it); their CPU is in the first line. Needs a build.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  benchServers,
  cpuSplitOfTree,
  freePort,
  json,
  serverArgs,
  settingsFromEnv,
  start,
} from './lib.mjs'

const SECONDS = Number(process.env.BENCH_SECONDS ?? 8)
const IN_FLIGHT = 50
const TOP = Number(process.env.PROFILE_TOP ?? 20)

const dir = mkdtempSync(join(tmpdir(), 'oauth3-profile-'))
// PROFILER=perf: symbols for `perf record` instead; none: only the CPU figures.
const PROFILER_ARGS = {
  v8: ['--cpu-prof', `--cpu-prof-dir=${join(dir, 'server')}`],
  perf: ['--perf-basic-prof'],
  none: [],
}[process.env.PROFILER ?? 'v8']
const servers = benchServers('profile')
const env = servers.env({
  NITRO_EXEC_PER_TENANT: '64',
  // To profile another configuration (NITRO_LOG_LEVEL=warn: without the log lines).
  ...settingsFromEnv(),
})
// A port of its own: a server quiet at info level prints no "Listening on" line to wait for.
const server = await start(process.execPath, [...PROFILER_ARGS, ...serverArgs()], env, {
  port: await freePort(),
})
let executions = 0
let cpu
try {
  const token = (await json(`${server.url}/signup`, { name: 'profile' })).token
  const run = (n) =>
    json(`${server.url}/execute`, { code: `console.log('x'); return ${n}`, args: {} }, token, {
      prefer: 'wait=30',
    })
  // Warm-up: the JIT's first thousands of runs are not the steady state.
  for (let i = 0; i < 2000; i += IN_FLIGHT) {
    await Promise.all(Array.from({ length: IN_FLIGHT }, (_, k) => run(1e9 + i + k)))
  }
  if (process.env.PROFILER === 'perf')
    console.log(`server pid ${server.child.pid}: load starts now`)
  const before = cpuSplitOfTree(server.child.pid)
  const end = performance.now() + SECONDS * 1000
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async (_, worker) => {
      for (let i = 0; performance.now() < end; i++) {
        const done = await run(worker * 1e6 + i)
        if (done.status !== 'completed') throw new Error(JSON.stringify(done))
        executions++
      }
    }),
  )
  const after = cpuSplitOfTree(server.child.pid)
  const per = (part, kind) => (after[part][kind] - before[part][kind]) / executions
  cpu = {
    server: { user: per('server', 'user'), system: per('server', 'system') },
    guests: { user: per('below', 'user'), system: per('below', 'system') },
  }
} finally {
  const exited = new Promise((resolve) => server.child.once('exit', resolve))
  server.child.kill('SIGTERM')
  await exited
  servers.cleanup()
}

const ms = (n) => n.toFixed(3)
const total = cpu.server.user + cpu.server.system + cpu.guests.user + cpu.guests.system
console.log(
  `${executions} executions in ${SECONDS} s (${Math.round(executions / SECONDS)}/s under the profiler), ${ms(total)} ms CPU each: server ${ms(cpu.server.user)} user + ${ms(cpu.server.system)} system, guests ${ms(cpu.guests.user)} user + ${ms(cpu.guests.system)} system`,
)

/**
 * Which part of the server a frame belongs to: by its function's name where the bundle makes
 * files meaningless (the server is one chunk), else by its package or file.
 */
const named = (...names) => {
  const set = new Set(names)
  return (f) => set.has(f.functionName)
}
const PARTS = [
  ['idle', named('(idle)')],
  ['GC', named('(garbage collector)')],
  ['program', named('(program)', '(root)')],
  [
    'code check',
    (f) => /acorn/.test(f.url) || /^(checkCode|assertRunnableCode)$/.test(f.functionName),
  ],
  [
    'validation',
    (f) => /ajv/.test(f.url) || /^(validate|assert\w*Body|readJsonBody)/.test(f.functionName),
  ],
  [
    'receipts',
    named(
      'signReceipt',
      'signedAnswerOf',
      'answerToSign',
      'receiptMessage',
      'canonicalJson',
      'sha256Json',
      'sha256Hex',
    ),
  ],
  [
    'auth',
    named(
      'hashToken',
      'authenticate',
      'readTenant',
      'requireTenant',
      'statusToken',
      'readBearerTenant',
    ),
  ],
  ['logging', (f) => /pino|sonic-boom|quick-format|safe-stable/.test(f.url)],
  [
    'store',
    named(
      'flush',
      'read',
      'write',
      'get',
      'set',
      'setMany',
      'update',
      'setItem',
      'setItems',
      'assertStoreKey',
      'run',
      'runAll',
      'wrapped',
      'storeIo',
    ),
  ],
  [
    'IPC (guests)',
    (f) =>
      /child_process/.test(f.url) ||
      named('send', 'schedule', 'start', 'onMessage', 'readLines', 'watchJob', 'watchCpuSpent')(f),
  ],
  ['redaction', (f) => /redact/i.test(f.functionName)],
  ['guest code (SES)', (f) => /@endo|\/ses\//.test(f.url) || /guest\.mjs/.test(f.url)],
  [
    'HTTP/Nitro',
    (f) =>
      /_http_|node:http|h3|net:|stream|define-route|routes\//.test(f.url) ||
      /^(sendJsonNow|callHookWith|serialTaskCaller|beginRequest|endRequest|clientGone|matchHandler|_decodePath|onRequest|onBeforeResponse|onAfterResponse|getRequestHeader|setResponseHeaders|createEvent)$/.test(
        f.functionName,
      ),
  ],
  ['executions', (f) => /chunks\//.test(f.url)],
  ['node internals', (f) => f.url.startsWith('node:') || f.url === ''],
  ['other', () => true],
]

/** Application code and its packages, as opposed to Node's internals and native frames. */
const isApplication = (callFrame) => /\/(chunks|node_modules)\/|guest\.mjs/.test(callFrame.url)
const shortUrl = (url) => url.replace(/^file:\/\/.*?\/(node_modules|chunks)\//, '$1/')

/**
 * Self time per frame, and per the nearest application frame on its stack: a native write is
 * counted where the server's own code (or a package) asked for it.
 */
function summarise(label, files) {
  const self = new Map()
  const owners = new Map()
  let total = 0
  const add = (map, key, callFrame, us) => {
    const entry = map.get(key) ?? {
      functionName: callFrame.functionName,
      url: callFrame.url,
      where: `${callFrame.functionName} ${callFrame.url}`,
      us: 0,
    }
    entry.us += us
    map.set(key, entry)
  }
  const keyOf = (callFrame) =>
    `${callFrame.functionName || '(anonymous)'}  ${shortUrl(callFrame.url)}:${callFrame.lineNumber + 1}`
  for (const file of files) {
    const profile = JSON.parse(readFileSync(file, 'utf8'))
    const byId = new Map(profile.nodes.map((node) => [node.id, node]))
    const parentOf = new Map()
    for (const node of profile.nodes)
      for (const child of node.children ?? []) parentOf.set(child, node.id)
    const deltas = new Map()
    profile.samples.forEach((id, i) =>
      deltas.set(id, (deltas.get(id) ?? 0) + profile.timeDeltas[i]),
    )
    for (const [id, us] of deltas) {
      const { callFrame } = byId.get(id)
      add(self, keyOf(callFrame), callFrame, us)
      let owner = id
      while (owner !== undefined && !isApplication(byId.get(owner).callFrame))
        owner = parentOf.get(owner)
      const ownerFrame = owner === undefined ? callFrame : byId.get(owner).callFrame
      add(owners, keyOf(ownerFrame), ownerFrame, us)
      total += us
    }
  }
  const percent = (us) => `${((100 * us) / total).toFixed(1).padStart(5)} %`
  const top = (title, map) => {
    console.log(`\n${label}: ${title}`)
    const sorted = [...map.entries()].sort((a, b) => b[1].us - a[1].us)
    for (const [key, entry] of sorted.slice(0, TOP)) console.log(`${percent(entry.us)}  ${key}`)
  }
  top(`top ${TOP} self-time entries`, self)
  top(`top ${TOP} by the application frame that asked (natives and internals included)`, owners)
  const parts = new Map()
  for (const entry of owners.values()) {
    const [part] = PARTS.find(([, test]) => test(entry))
    parts.set(part, (parts.get(part) ?? 0) + entry.us)
  }
  console.log(`\n${label}: by part`)
  for (const [part, us] of [...parts.entries()].sort((a, b) => b[1] - a[1])) {
    console.log(`${percent(us)}  ${part}`)
  }
}

const profiles = (sub) => {
  try {
    return readdirSync(join(dir, sub))
      .filter((name) => name.endsWith('.cpuprofile'))
      .map((name) => join(dir, sub, name))
  } catch {
    return []
  }
}
if (profiles('server').length) summarise('server', profiles('server'))
rmSync(dir, { recursive: true, force: true })
