/**
 * npm run bench:store — the embedded store under retained history, engine by engine: executions
 * written as the server writes them (the record with its index entries and running marker in one
 * write, then the terminal record, then the marker's removal), in a child process whose resident
 * memory is read from /proc as the history grows; then the same folder opened again (restart
 * time: open, and find the running markers, as startup recovery does).
 *
 *   node scripts/run-ts.mjs bench/store.ts [executions for sqlite] [executions for the journal]
 *
 * Defaults: 1 000 000 and 200 000 (the targets in docs/scaling.md were measured with 10 000 000).
 * Then, with a build, the real server is started on the SQLite folder: time to "Listening" and
 * its resident memory, idle and after 20 000 executions. The last line is one JSON object.
 */
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { json, start } from './lib.mjs'
import { createEmbeddedStore } from '../server/store'

/** Executions in flight at once, as the server has under load. */
const IN_FLIGHT = 64
const REPORT_EVERY = 100_000
const AGENTS = 1_000
const RETENTION_MS = 30 * 24 * 3600 * 1000
/** Executions the real server runs on the folder, once it holds the history. */
const SERVER_EXECUTIONS = 20_000
// Run from the project (npm run bench:store): this file runs bundled, elsewhere.
const root = process.cwd()

/** A record as the server stores it, ≈ 1.3 KB as JSON (a small log line, a returned number). */
function executionRecord(id: string, agent: string, now: number, terminal: boolean) {
  return {
    request_id: id,
    agent_id: agent,
    status: terminal ? 'completed' : 'approved',
    node: 'bench-node-0000',
    created_at: now,
    code_sha256: 'c'.repeat(64),
    args_sha256: 'a'.repeat(64),
    ...(terminal
      ? {
          started_at: now + 1,
          finished_at: now + 3,
          result: {
            success: true,
            stdout: 'x'.repeat(200) + '\n',
            stderr: '',
            exitCode: 0,
            duration: 2,
            calls: [],
            value: 42,
            receipt: {
              version: 1,
              alg: 'ed25519',
              key: 'k'.repeat(64),
              signature: 's'.repeat(128),
              request_id: id,
              result_sha256: 'r'.repeat(64),
              code_sha256: 'c'.repeat(64),
              args_sha256: 'a'.repeat(64),
              started_at: now + 1,
              finished_at: now + 3,
            },
          },
        }
      : {}),
  }
}

async function worker(engine: 'sqlite' | 'journal', dir: string, total: number) {
  const store = await createEmbeddedStore({ dir, engine, sweepEveryMs: 3_600_000 })
  const report = (written: number, seconds: number) =>
    process.stdout.write(
      JSON.stringify({
        written,
        seconds,
        rss_mb: residentMb(process.pid),
        heap_mb: Math.round(process.memoryUsage().heapUsed / 1024 / 1024),
        heap_total_mb: Math.round(process.memoryUsage().heapTotal / 1024 / 1024),
        disk_mb: Math.round(store.sizes!().journalBytes / 1024 / 1024),
      }) + '\n',
    )
  const started = performance.now()
  let next = 0
  const one = async () => {
    const i = next++
    const id = `exec_${i.toString(16).padStart(12, '0')}${Math.random().toString(16).slice(2, 12)}`
    const agent = `tenant_${(i % AGENTS).toString().padStart(24, '0')}`
    const now = Date.now()
    const entry = { created_at: now }
    await store.setMany([
      { key: `running:bench-node-0000:${id}`, value: entry },
      { key: `agent-execs:${agent}:${id}`, value: entry, ttlMs: RETENTION_MS },
      { key: `exec:${id}`, value: executionRecord(id, agent, now, false), ttlMs: RETENTION_MS },
    ])
    await store.update(`exec:${id}`, () => executionRecord(id, agent, now, true))
    await store.removeMany([`running:bench-node-0000:${id}`])
  }
  try {
    while (next < total) {
      const batch = Math.min(IN_FLIGHT, total - next)
      await Promise.all(Array.from({ length: batch }, one))
      if (next % REPORT_EVERY === 0 || next === total) {
        // With --expose-gc, the heap is read without the loop's garbage: what the store holds.
        ;(globalThis as { gc?: () => void }).gc?.()
        report(next, (performance.now() - started) / 1000)
      }
    }
  } catch (error) {
    process.stdout.write(JSON.stringify({ stopped: next, error: (error as Error).message }) + '\n')
  }
  await store.close()
}

async function reopen(engine: 'sqlite' | 'journal', dir: string) {
  const started = performance.now()
  const store = await createEmbeddedStore({ dir, engine, sweepEveryMs: 3_600_000 })
  const running = await store.keys('running')
  const probe = await store.get('exec:missing')
  const seconds = (performance.now() - started) / 1000
  process.stdout.write(
    JSON.stringify({
      reopen_seconds: seconds,
      running: running.length,
      probe,
      rss_mb: residentMb(process.pid),
    }) + '\n',
  )
  await store.close()
}

function residentMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024)
}

/** Run this file as a child (`worker` or `reopen`), each progress line as it comes. */
function child(args: string[], onLine: (line: Record<string, unknown>) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const process_ = spawn(process.execPath, [process.argv[1], ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let buffered = ''
    process_.stdout.on('data', (chunk) => {
      buffered += chunk
      let newline
      while ((newline = buffered.indexOf('\n')) >= 0) {
        onLine(JSON.parse(buffered.slice(0, newline)))
        buffered = buffered.slice(newline + 1)
      }
    })
    process_.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`exit ${code}`))))
  })
}

/**
 * The real server on a folder that holds the history: time from its start to "Listening" (its
 * store opened, startup recovery done), its resident memory idle, and after executions run.
 */
async function serveOn(dir: string, executions: number) {
  const entry = join(root, '.output', 'server', 'index.mjs')
  if (!existsSync(entry)) return { skipped: 'no build (npm run build)' }
  const started = performance.now()
  const server = await start(process.execPath, [entry], {
    PORT: '0',
    HOST: '127.0.0.1',
    NITRO_DATA_DIR: dir,
    NITRO_SIGNUPS_PER_MINUTE: '100000',
    NITRO_EXEC_PER_TENANT: '64',
  })
  const startMs = performance.now() - started
  try {
    const idle = residentMb(server.child.pid!)
    const token = (await json(`${server.url}/signup`, {})).token
    let next = 0
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < executions) {
          next++
          await json(`${server.url}/execute`, { code: 'return 1' }, token, { prefer: 'wait=30' })
        }
      }),
    )
    return {
      start_ms: Math.round(startMs),
      rss_idle_mb: idle,
      rss_after_mb: residentMb(server.child.pid!),
      executions,
    }
  } finally {
    server.child.kill('SIGTERM')
    await new Promise((resolve) => server.child.once('exit', resolve))
  }
}

async function main() {
  const [role, ...rest] = process.argv.slice(2)
  if (role === 'worker') return worker(rest[0] as 'sqlite' | 'journal', rest[1], Number(rest[2]))
  if (role === 'reopen') return reopen(rest[0] as 'sqlite' | 'journal', rest[1])
  const counts = { sqlite: Number(role ?? 1_000_000), journal: Number(rest[0] ?? 200_000) }
  const results: Record<string, unknown> = {}
  for (const engine of ['journal', 'sqlite'] as const) {
    const dir = mkdtempSync(join(tmpdir(), `oauth3-store-bench-${engine}-`))
    const progress: Array<Record<string, unknown>> = []
    try {
      await child(['worker', engine, dir, String(counts[engine])], (line) => {
        progress.push(line)
        console.log(engine, JSON.stringify(line))
      })
      let reopened: Record<string, unknown> = {}
      await child(['reopen', engine, dir], (line) => (reopened = line))
      console.log(engine, 'reopened', JSON.stringify(reopened))
      const server = engine === 'sqlite' ? await serveOn(dir, SERVER_EXECUTIONS) : undefined
      if (server) console.log(engine, 'server', JSON.stringify(server))
      results[engine] = { progress, reopened, server }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }
  console.log(JSON.stringify(results))
}

await main()
