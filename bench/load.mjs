// npm run bench:load — N concurrent agents for a fixed duration against one or several instances
// (several share a Redis), as behind a load balancer: each agent submits on one instance and
// long-polls the result on the next. Reports executions/s, p50/p99 (POST + long-poll), errors by
// code, long-polls held, RSS of each instance (server and its guests) before and after, and the
// store's memory per stored execution; the figures as one JSON object on the last line.
//
//   node bench/load.mjs [--instances 2] [--agents 50] [--seconds 60] [--rate 300]
//
// --rate is the steady total rate in executions/s (0: as fast as the agents go). Needs a build;
// several instances need Redis (REDIS_URL, default redis://127.0.0.1:6379).
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import Redis from 'ioredis'
import { benchServers, json, residentMb, round, serverArgs, start, summarize } from './lib.mjs'

const { values: options } = parseArgs({
  options: {
    instances: { type: 'string', default: '1' },
    agents: { type: 'string', default: '50' },
    seconds: { type: 'string', default: '60' },
    rate: { type: 'string', default: '0' },
  },
})
const INSTANCES = Number(options.instances)
const AGENTS = Number(options.agents)
const SECONDS = Number(options.seconds)
const RATE = Number(options.rate)
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
const CODE = 'let n = 0; for (let i = 0; i < 1000; i++) n += i; console.log(n); return n + args.k'
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

const prefix = `load-${process.pid}`
const servers = benchServers('load')
const env = (i) =>
  servers.env({
    NITRO_NODE_ID: `load-${i}`,
    // One vault key for all: the first instance's (its default place).
    ...(i > 0 ? { NITRO_KEY_FILE: join(servers.firstDir, 'vault.key') } : {}),
    // A benchmark's Redis need not keep its data across a crash.
    ...(INSTANCES > 1
      ? {
          NITRO_REDIS_URL: REDIS_URL,
          NITRO_REDIS_PREFIX: prefix,
          NITRO_REDIS_ACCEPT_DATA_LOSS: 'true',
        }
      : {}),
  })
const instances = []
for (let i = 0; i < INSTANCES; i++) {
  instances.push(await start(process.execPath, serverArgs(), env(i)))
}
const redis = INSTANCES > 1 ? new Redis(REDIS_URL) : null
const redisUsedBytes = async () =>
  redis ? Number(/used_memory:(\d+)/.exec(await redis.info('memory'))[1]) : null

try {
  const agents = []
  for (let i = 0; i < AGENTS; i++) {
    agents.push((await json(`${instances[i % INSTANCES].url}/signup`, { name: `load-${i}` })).token)
  }
  await sleep(500)
  const before = {
    rss: instances.map((instance) => residentMb(instance.child.pid)),
    redisBytes: await redisUsedBytes(),
    store: await storeData(instances[0].url),
  }

  const latencies = []
  const errors = {}
  let completed = 0
  let maxLongPolls = 0
  const startedAt = performance.now()
  const endAt = startedAt + SECONDS * 1000
  const interval = RATE > 0 ? (1000 * AGENTS) / RATE : 0
  const sampler = setInterval(async () => {
    const held = await Promise.all(
      instances.map((instance) =>
        json(`${instance.url}/health`).then(
          (health) => health.long_polls,
          () => 0,
        ),
      ),
    )
    maxLongPolls = Math.max(
      maxLongPolls,
      held.reduce((a, b) => a + b, 0),
    )
  }, 500)

  await Promise.all(
    agents.map(async (token, i) => {
      const submitTo = instances[i % INSTANCES].url
      const pollOn = instances[(i + 1) % INSTANCES].url
      // Spread the agents' starts over one interval, so a steady rate is steady.
      let next = startedAt + (interval * i) / AGENTS
      for (let k = 0; ; k++) {
        if (interval) await sleep(Math.max(0, next - performance.now()))
        if (performance.now() >= endAt) return
        next += interval
        const t0 = performance.now()
        try {
          const accepted = await json(`${submitTo}/execute`, { code: CODE, args: { k } }, token)
          const done = await json(
            `${pollOn}${new URL(accepted.status_url).pathname}?wait=true`,
            undefined,
            token,
          )
          if (done.status !== 'completed') throw Object.assign(new Error(), { body: done })
          latencies.push(performance.now() - t0)
          completed++
        } catch (error) {
          const code = error.body?.code ?? error.body?.status ?? error.code ?? 'ERROR'
          errors[code] = (errors[code] ?? 0) + 1
          await sleep(100)
        }
      }
    }),
  )
  clearInterval(sampler)
  const elapsed = (performance.now() - startedAt) / 1000
  await sleep(500)
  const after = {
    rss: instances.map((instance) => residentMb(instance.child.pid)),
    redisBytes: await redisUsedBytes(),
    store: await storeData(instances[0].url),
  }
  const { p50, p99 } = summarize(latencies)
  const storedBytesPerExecution =
    INSTANCES > 1
      ? (after.redisBytes - before.redisBytes) / completed
      : (after.store.live_bytes - before.store.live_bytes) / completed
  const figures = {
    instances: INSTANCES,
    store: INSTANCES > 1 ? 'redis' : 'embedded',
    agents: AGENTS,
    seconds: round(elapsed),
    target_rate: RATE || null,
    executions_per_s: round(completed / elapsed),
    completed,
    p50_ms: round(p50, 2),
    p99_ms: round(p99, 2),
    errors,
    max_long_polls: maxLongPolls,
    rss_mb_before: before.rss,
    rss_mb_after: after.rss,
    stored_bytes_per_execution: Math.round(storedBytesPerExecution),
    cores: Number(execFileSync('nproc').toString().trim()),
  }
  console.log(
    `\n${INSTANCES} instance(s), ${AGENTS} agents, ${round(elapsed)} s${RATE ? ` at ${RATE}/s` : ''}: ` +
      `${figures.executions_per_s} executions/s, p50 ${figures.p50_ms} ms, p99 ${figures.p99_ms} ms, ` +
      `errors ${JSON.stringify(errors)}, long-polls held up to ${maxLongPolls}`,
  )
  for (const [i, rss] of after.rss.entries()) {
    console.log(
      `  instance ${i}: server ${before.rss[i].server} → ${rss.server} MB, guests ${before.rss[i].guests} → ${rss.guests} MB`,
    )
  }
  console.log(
    `  stored per execution: ${figures.stored_bytes_per_execution} bytes (${figures.store})`,
  )
  console.log(JSON.stringify(figures))
} finally {
  for (const instance of instances) instance.child.kill('SIGTERM')
  await sleep(1500)
  if (redis) {
    let cursor = '0'
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000)
      if (keys.length) await redis.unlink(...keys)
      cursor = next
    } while (cursor !== '0')
    redis.disconnect()
  }
  servers.cleanup()
}

async function storeData(url) {
  const ready = await json(`${url}/ready`).catch((error) => error.body)
  return ready?.store_data ?? { live_bytes: 0, keys: 0 }
}
