/**
 * Retained history and the heap. The journal keeps every record in the heap: it refuses writes
 * (503) before its heap runs out, and a folder too big for the heap it is opened with is one clear
 * line at startup — never "JavaScript heap out of memory" at every restart. SQLite keeps records on
 * disk: the same history, and twice it, in the same small heap; and a journal folder opens on it
 * by being imported, with a heap the journal could not load in.
 *
 * The history is written by bench/store.ts (the server's own writes per execution, as fast as the
 * store takes them) in a child process with a small heap.
 */
import { execFileSync } from 'node:child_process'
import { cpSync, existsSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { client } from './helpers/http'
import { EMBEDDED_ENGINES, makeDataDir, runUntilExit, startServer } from './helpers/server'
import { oldGenerationLimit } from '../server/store/heap-limit'

const root = fileURLToPath(new URL('..', import.meta.url))
const WRITER_HEAP_MB = 128
const HAS_SQLITE = EMBEDDED_ENGINES.includes('sqlite')

/** Write up to `executions` executions into `dir` with a small heap; the worker's last line. */
function writeHistory(engine: 'sqlite' | 'journal', dir: string, executions: number) {
  const output = execFileSync(
    process.execPath,
    [
      `--max-old-space-size=${WRITER_HEAP_MB}`,
      '--expose-gc',
      'scripts/run-ts.mjs',
      'bench/store.ts',
      'worker',
      engine,
      dir,
      String(executions),
    ],
    { cwd: root, encoding: 'utf8' },
  )
  return JSON.parse(output.trim().split('\n').at(-1)!)
}

describe('retained history and the heap', () => {
  const journalDir = makeDataDir()
  afterAll(() => rmSync(journalDir, { recursive: true, force: true }))
  let accepted = 0

  it('the journal refuses writes before its heap runs out, and the process stays up', () => {
    const last = writeHistory('journal', journalDir, 10_000_000)
    expect(last.error).toMatch(/store is unavailable/)
    accepted = last.stopped
    expect(accepted).toBeGreaterThan(1_000)
  }, 180_000)

  it('a journal too big for the heap is one line at startup, naming the folder and the way out', async () => {
    const small = await runUntilExit({
      NITRO_DATA_DIR: journalDir,
      NITRO_STORE_ENGINE: 'journal',
      NODE_OPTIONS: '--max-old-space-size=64',
    })
    expect(small.code).toBe(1)
    expect(small.output).toMatch(
      /could not start: NITRO_DATA_DIR .*: its journal \(\d+ MB\) needs about \d+ MB of heap .*Node 22\.13\+ or 24/,
    )
    expect(small.output).not.toMatch(/heap out of memory|\n\s+at /)
    // With a bigger heap (the way out it names), it opens, with everything acknowledged.
    const bigger = await startServer({
      dataDir: journalDir,
      env: { NITRO_STORE_ENGINE: 'journal', NODE_OPTIONS: '--max-old-space-size=512' },
    })
    const data = (await client(bigger.url).get('/ready')).body.store_data
    expect(data).toMatchObject({ engine: 'journal' })
    expect(data.keys).toBeGreaterThan(accepted)
    await bigger.stop()
  }, 120_000)

  it.skipIf(!HAS_SQLITE)(
    'on SQLite the same folder opens with that small heap: the journal is imported once',
    async () => {
      const copy = makeDataDir()
      cpSync(journalDir, copy, { recursive: true })
      rmSync(join(copy, 'LOCK'), { force: true })
      const server = await startServer({
        dataDir: copy,
        env: { NODE_OPTIONS: '--max-old-space-size=64' },
      })
      try {
        const data = (await client(server.url).get('/ready')).body.store_data
        expect(data).toMatchObject({ engine: 'sqlite' })
        expect(data.keys).toBeGreaterThan(accepted)
        expect(existsSync(join(copy, 'store', 'journal.log'))).toBe(false)
        expect(existsSync(join(copy, 'store', 'journal.log.imported'))).toBe(true)
      } finally {
        await server.stop()
        rmSync(copy, { recursive: true, force: true })
      }
    },
    120_000,
  )

  it.skipIf(!HAS_SQLITE)(
    'on SQLite, twice the history the journal refused is written in the same heap, and memory stays flat',
    () => {
      const dir = makeDataDir()
      try {
        const last = writeHistory('sqlite', dir, 2 * accepted)
        expect(last.error).toBeUndefined()
        expect(last.written).toBe(2 * accepted)
        // The heap holds no history: after a collection it is where a small process starts
        // (the journal held ≈ 2 bytes of heap per byte of history at this point).
        expect(last.heap_mb).toBeLessThan(48)
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    },
    300_000,
  )
})

describe("the heap the journal is sized on: the old generation, not V8's whole heap limit", () => {
  const MB = 1024 * 1024
  /** V8's heap_size_limit in a node started with `flags`: the old generation plus the young. */
  const heapSizeLimitWith = (flags: string[]) =>
    Number(
      execFileSync(
        process.execPath,
        [...flags, '-p', 'require("node:v8").getHeapStatistics().heap_size_limit'],
        { encoding: 'utf8' },
      ),
    )

  it('with --max-old-space-size, that size, whatever the young generation adds on this Node', () => {
    for (const semi of [[], ['--max-semi-space-size=64']]) {
      const flags = ['--max-old-space-size=128', ...semi]
      const reported = heapSizeLimitWith(flags)
      // What the guard was sized on: 176 MB on Node 20, 320 MB on Node 24 (or with 64 MB semi-spaces).
      expect(reported).toBeGreaterThan(128 * MB)
      expect(oldGenerationLimit(flags, reported)).toBe(128 * MB)
    }
  })

  it("without it, the limit less three semi-spaces: the flag's, or the largest default", () => {
    const plain = heapSizeLimitWith([])
    expect(oldGenerationLimit([], plain)).toBe(plain - 3 * 64 * MB)
    const flags = ['--max-semi-space-size=16']
    const withSemi = heapSizeLimitWith(flags)
    expect(oldGenerationLimit(flags, withSemi)).toBe(withSemi - 3 * 16 * MB)
    // A small total heap keeps at least a quarter of it.
    expect(oldGenerationLimit([], 128 * MB)).toBe(32 * MB)
  })

  it('the last setting wins (NODE_OPTIONS, then the command line), written with - or _', () => {
    const limit = 4096 * MB
    expect(oldGenerationLimit(['--max-old-space-size=64', '--max_old_space_size=512'], limit)).toBe(
      512 * MB,
    )
    expect(oldGenerationLimit(['--max-old-space-size=64', '--inspect'], limit)).toBe(64 * MB)
    expect(oldGenerationLimit(['--max-old-space-size=9000'], limit)).toBe(limit)
  })
})
