// npm run bench: end-to-end execution latency and throughput on this machine, against baselines
// measured in the same run. Needs a build (`npm run build`); starts everything it measures as
// child processes on loopback and stops them at the end.
import { mkdtempSync, rmSync } from 'node:fs'
import http, { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { agent, json, start, summarize } from './lib.mjs'

const SEQUENTIAL = Number(process.env.BENCH_RUNS ?? 400)
const PROCESS_RUNS = Number(process.env.BENCH_PROCESS_RUNS ?? 40)
const THROUGHPUT_SECONDS = Number(process.env.BENCH_SECONDS ?? 5)
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32)
const CODE = 'let n = 0; for (let i = 0; i < 1000; i++) n += i; return n + args.k'

function get(url) {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent }, (response) => {
        response.resume()
        response.on('end', resolve)
      })
      .on('error', reject)
  })
}

async function latency(task, runs, warmup = Math.min(50, runs)) {
  for (let i = 0; i < warmup; i++) await task(i)
  const samples = []
  for (let i = 0; i < runs; i++) {
    const started = performance.now()
    await task(i)
    samples.push(performance.now() - started)
  }
  return summarize(samples)
}

async function throughput(task, seconds, concurrency) {
  const end = performance.now() + seconds * 1000
  let done = 0
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      for (let i = 0; performance.now() < end; i++) {
        await task(worker * 1e6 + i)
        done++
      }
    }),
  )
  return done / seconds
}

const upstream = createServer((req, res) => {
  req.resume()
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end('{"ok":true}')
  })
})
await new Promise((resolve) => upstream.listen(0, '127.0.0.1', resolve))
const upstreamUrl = `http://127.0.0.1:${upstream.address().port}`

const dataDir = mkdtempSync(join(tmpdir(), 'oauth3-bench-'))
const oauth3 = await start(process.execPath, ['.output/server/index.mjs'], {
  PORT: '0',
  HOST: '127.0.0.1',
  NITRO_DATA_DIR: dataDir,
  NITRO_SIGNUPS_PER_MINUTE: '1000',
  NITRO_EXEC_QUEUE_MAX: '10000',
  NITRO_UPSTREAM_MAP: JSON.stringify({ 'https://api.bench.example.com': upstreamUrl }),
})
const floor = await start(process.execPath, ['bench/baselines.mjs', 'floor'])
const perProcess = await start(process.execPath, ['bench/baselines.mjs', 'process'])

try {
  const agent = await json(`${oauth3.url}/signup`, { name: 'bench' })
  const owner = await json(`${oauth3.url}/signup`, { role: 'owner' })
  const permit = await json(
    `${oauth3.url}/permit`,
    {
      description: 'bench',
      max_executions: 1_000_000,
      capabilities: [
        {
          name: 'bench.ping',
          endpoint: 'https://api.bench.example.com/ping',
          method: 'GET',
          auth: { header: 'X-Api-Key', value: '{BENCH_KEY}' },
        },
      ],
    },
    agent.token,
  )
  const token = new URL(permit.approval_url).searchParams.get('token')
  await json(
    `${oauth3.url}/approve/${permit.request_id}`,
    {
      token,
      action: 'approve',
      manifest_sha256: permit.manifest_sha256,
      secrets: { BENCH_KEY: 'bench-secret-value' },
    },
    owner.token,
  )

  const viaOAuth3 = (body) => async (i) => {
    const accepted = await json(`${oauth3.url}/execute`, { ...body, args: { k: i } }, agent.token)
    const done = await json(
      `${oauth3.url}${new URL(accepted.status_url).pathname}?wait=true`,
      undefined,
      agent.token,
    )
    if (done.status !== 'completed') throw new Error(JSON.stringify(done))
  }
  const noCapability = viaOAuth3({ code: CODE })
  const permitNoCall = viaOAuth3({ permit_id: permit.permit_id, code: CODE })
  const oneCall = viaOAuth3({ permit_id: permit.permit_id, code: `await ping(); ${CODE}` })
  const viaBaseline = (url) => async (i) => {
    const result = await json(url, { code: CODE, args: { k: i } })
    if (typeof result.value !== 'number') throw new Error(JSON.stringify(result))
  }

  const rows = {
    'oauth3, no capability': await latency(noCapability, SEQUENTIAL),
    'oauth3, permit, no call': await latency(permitNoCall, SEQUENTIAL),
    'oauth3, one capability call': await latency(oneCall, SEQUENTIAL),
    'direct request to the upstream': await latency(() => get(`${upstreamUrl}/ping`), SEQUENTIAL),
    'floor: node:http + new Function': await latency(viaBaseline(floor.url), SEQUENTIAL),
    'process per run': await latency(viaBaseline(perProcess.url), PROCESS_RUNS, 3),
  }
  const rates = {
    'oauth3, no capability': await throughput(noCapability, THROUGHPUT_SECONDS, CONCURRENCY),
    'oauth3, one capability call': await throughput(oneCall, THROUGHPUT_SECONDS, CONCURRENCY),
    'floor: node:http + new Function': await throughput(
      viaBaseline(floor.url),
      THROUGHPUT_SECONDS,
      CONCURRENCY,
    ),
  }

  const ms = (value) => value.toFixed(2).padStart(8)
  console.log(
    `\nEnd-to-end execution latency (${SEQUENTIAL} sequential runs; process-per-run ${PROCESS_RUNS}), ms`,
  )
  console.log(
    `${'what'.padEnd(34)}${'p50'.padStart(8)}${'p99'.padStart(8)}   throughput (${CONCURRENCY} clients, ${THROUGHPUT_SECONDS} s)`,
  )
  for (const [name, row] of Object.entries(rows)) {
    console.log(
      `${name.padEnd(34)}${ms(row.p50)}${ms(row.p99)}   ${rates[name] ? `${rates[name].toFixed(0)} /s` : ''}`,
    )
  }
  const base = rows['oauth3, no capability'].p50
  // The call's own cost: the same permit and code with and without the call, less the upstream's time.
  const callOverhead =
    rows['oauth3, one capability call'].p50 -
    rows['oauth3, permit, no call'].p50 -
    rows['direct request to the upstream'].p50
  console.log('\nRatios')
  console.log(
    `  oauth3 / floor (p50):                 ${(base / rows['floor: node:http + new Function'].p50).toFixed(2)}x   (target: within 5x)`,
  )
  console.log(
    `  process-per-run / oauth3 (p50):       ${(rows['process per run'].p50 / base).toFixed(1)}x   (target: at least 20x)`,
  )
  console.log(
    `  capability call cost over a direct request: ${callOverhead.toFixed(2)} ms   (target: under 1 ms)`,
  )
  console.log(
    `  throughput, no capability:            ${rates['oauth3, no capability'].toFixed(0)} executions/s   (target: at least 300/s)`,
  )
} finally {
  for (const child of [oauth3.child, floor.child, perProcess.child]) child.kill('SIGTERM')
  upstream.close()
  await new Promise((resolve) => setTimeout(resolve, 300))
  rmSync(dataDir, { recursive: true, force: true })
}
