// npm run bench:ab -- <entry A> <entry B>: two builds of the server (or one build with two
// settings: B_NITRO_*, B_NODE_OPTIONS and B_NODE_FLAGS apply to B alone), side by side in one run — the way a lever is weighed. Each is loaded in turn with 50 inline executions in flight (each
// with different code, as agents sending ad-hoc code do), in shuffled blocks, so that the
// machine's noise falls on both alike; prints executions/s and CPU per execution (server and
// guests, user + system) of each, and B's ratios to A.
//   cp -r .output /tmp/before && (change, npm run build) && npm run bench:ab -- /tmp/before/server/index.mjs .output/server/index.mjs
import {
  benchServers,
  cpuSplitOfTree,
  freePort,
  json,
  serverArgs,
  settingsFromEnv,
  start,
} from './lib.mjs'

const [entryA, entryB] = process.argv.slice(2)
if (!entryA || !entryB) {
  console.error('usage: node bench/ab.mjs <server entry A> <server entry B>')
  process.exit(2)
}
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6)
const BLOCK_SECONDS = Number(process.env.BENCH_SECONDS ?? 2)
const IN_FLIGHT = 50

const servers = benchServers('ab')
/** NITRO_* settings for both sides; B_NITRO_* and B_NODE_OPTIONS for B alone (to weigh a setting). */
const settingsOf = (side) =>
  side === 'B' ? { ...settingsFromEnv(), ...settingsFromEnv('B_') } : settingsFromEnv()
/** B_NODE_FLAGS: node flags for B's command line (some, like --single-threaded-gc, NODE_OPTIONS refuses). */
const flagsOf = (side) =>
  side === 'B' ? (process.env.B_NODE_FLAGS ?? '').split(' ').filter(Boolean) : []
const startServer = async (entry, side) =>
  start(
    process.execPath,
    [...flagsOf(side), ...serverArgs(entry)],
    servers.env({ NITRO_EXEC_PER_TENANT: '64', ...settingsOf(side) }),
    { port: await freePort() },
  )
const sides = { A: { entry: entryA }, B: { entry: entryB } }
try {
  for (const [name, side] of Object.entries(sides)) {
    side.server = await startServer(side.entry, name)
    side.token = (await json(`${side.server.url}/signup`, { name: 'ab' })).token
    side.count = 0
    side.cpu = { server: 0, guests: 0 }
  }
  let n = 0
  const run = (side) =>
    json(
      `${side.server.url}/execute`,
      { code: `console.log('x'); return ${n++}`, args: {} },
      side.token,
      { prefer: 'wait=30' },
    ).then((done) => {
      if (done.status !== 'completed') throw new Error(JSON.stringify(done))
    })
  const block = async (side, seconds, counted) => {
    const before = cpuSplitOfTree(side.server.child.pid)
    const end = performance.now() + seconds * 1000
    let done = 0
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (performance.now() < end) {
          await run(side)
          done++
        }
      }),
    )
    if (!counted) return
    const after = cpuSplitOfTree(side.server.child.pid)
    const used = (part) =>
      after[part].user + after[part].system - before[part].user - before[part].system
    side.count += done
    side.cpu.server += used('server')
    side.cpu.guests += used('below')
  }
  // Warm-up: the JIT's first thousands of runs are not the steady state.
  for (let pass = 0; pass < 2; pass++) for (const side of Object.values(sides)) await block(side, 2)
  for (let round = 0; round < ROUNDS; round++) {
    const order = Math.random() < 0.5 ? ['A', 'B'] : ['B', 'A']
    for (const name of order) await block(sides[name], BLOCK_SECONDS, true)
  }
  const figures = (side) => ({
    rate: side.count / (ROUNDS * BLOCK_SECONDS),
    server: side.cpu.server / side.count,
    guests: side.cpu.guests / side.count,
  })
  const a = figures(sides.A)
  const b = figures(sides.B)
  const row = (name, f) =>
    `${name}  ${f.rate.toFixed(0).padStart(6)}/s  CPU ${(f.server + f.guests).toFixed(3)} ms (server ${f.server.toFixed(3)}, guests ${f.guests.toFixed(3)})`
  console.log(row('A', a))
  console.log(row('B', b))
  console.log(
    `B/A  throughput ×${(b.rate / a.rate).toFixed(2)}  CPU ×${((b.server + b.guests) / (a.server + a.guests)).toFixed(2)} (server ×${(b.server / a.server).toFixed(2)}, guests ×${(b.guests / a.guests).toFixed(2)})`,
  )
} finally {
  for (const side of Object.values(sides)) side.server?.child.kill('SIGTERM')
  await new Promise((resolve) => setTimeout(resolve, 300))
  servers.cleanup()
}
