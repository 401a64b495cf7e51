/**
 * The embedded store's journal: what a crash can leave behind is recovered, compaction keeps
 * exactly the live data, nothing but acknowledged writes is ever visible, and the appends of one
 * event-loop turn go out in one write.
 */
import { execFileSync } from 'node:child_process'
import { appendFileSync, readFileSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { describe, expect, it } from 'vitest'
import { createStorage } from 'unstorage'
import { journalDriver } from '../server/store/journal-driver'
import { listSegments, openWriteLog } from '../server/store/write-log'
import { makeDataDir } from './helpers/server'

describe('journal driver', () => {
  it('replays the journal, and drops a torn last line left by a killed writer', async () => {
    const dir = makeDataDir()
    try {
      const first = createStorage({ driver: journalDriver({ dir }) })
      await first.setItem('a', { n: 1 })
      await first.setItem('b', { n: 2 })
      await first.removeItem('a')
      await first.dispose()
      appendFileSync(join(dir, 'journal.log'), '{"k":"c","v":"{\\"n\\":')
      const second = createStorage({ driver: journalDriver({ dir }) })
      expect(await second.getItem('a')).toBeNull()
      expect(await second.getItem('b')).toEqual({ n: 2 })
      expect(await second.getItem('c')).toBeNull()
      await second.setItem('d', 4)
      await second.dispose()
      const third = createStorage({ driver: journalDriver({ dir }) })
      expect(await third.getKeys()).toEqual(['b', 'd'])
      await third.dispose()
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('a transaction is one line: replayed whole, or dropped whole when its write was torn', async () => {
    const dir = makeDataDir()
    try {
      const first = createStorage({ driver: journalDriver({ dir }) })
      await first.setItems([
        { key: 'x', value: 1 },
        { key: 'y', value: 2 },
      ])
      await first.dispose()
      const whole = readFileSync(join(dir, 'journal.log'), 'utf8')
      expect(whole.trim().split('\n')).toHaveLength(1)
      const second = createStorage({ driver: journalDriver({ dir }) })
      expect([await second.getItem('x'), await second.getItem('y')]).toEqual([1, 2])
      await second.dispose()
      // The same transaction cut short by a crash, after another one that made it.
      appendFileSync(
        join(dir, 'journal.log'),
        whole.replace('"x"', '"p"').replace('"y"', '"q"').slice(0, -12),
      )
      const third = createStorage({ driver: journalDriver({ dir }) })
      expect([await third.getItem('p'), await third.getItem('q')]).toEqual([null, null])
      expect(await third.getItem('x')).toBe(1)
      await third.dispose()
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('a write cut short (a file size limit, a full disk) is undone: later writes and replay are whole', async () => {
    const dir = makeDataDir()
    try {
      // The driver runs in a child process whose files may not grow past 8 KiB (`ulimit -f 16`).
      const bundle = join(dir, 'journal-child.mjs')
      await build({
        stdin: {
          contents: `import { createStorage } from 'unstorage'
            import { journalDriver } from ${JSON.stringify(fileURLToPath(new URL('../server/store/journal-driver.ts', import.meta.url)))}
            const storage = createStorage({ driver: journalDriver({ dir: process.argv[2] }) })
            await storage.setItem('before', 'x'.repeat(4000))
            const big = await storage.setItem('big', 'y'.repeat(6000)).then(() => 'written', () => 'refused')
            const after = await storage.setItem('after', 'z'.repeat(1000)).then(() => 'written', () => 'refused')
            await storage.dispose()
            console.log(JSON.stringify({ big, after }))`,
          resolveDir: fileURLToPath(new URL('..', import.meta.url)),
          loader: 'ts',
        },
        bundle: true,
        platform: 'node',
        format: 'esm',
        outfile: bundle,
        logLevel: 'silent',
      })
      const output = execFileSync(
        '/bin/sh',
        ['-c', 'ulimit -f 16 && exec "$0" "$1" "$2"', process.execPath, bundle, dir],
        {
          encoding: 'utf8',
        },
      )
      expect(JSON.parse(output)).toEqual({ big: 'refused', after: 'written' })
      const storage = createStorage({ driver: journalDriver({ dir }) })
      expect(await storage.getKeys()).toEqual(['before', 'after'])
      await storage.dispose()
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('refuses to open a journal corrupted in the middle rather than losing data silently', async () => {
    const dir = makeDataDir()
    try {
      appendFileSync(join(dir, 'journal.log'), '{"k":"a","v":"1"}\nnot json\n{"k":"b","v":"2"}\n')
      expect(() => createStorage({ driver: journalDriver({ dir }) })).toThrow(/corrupt/)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('compacts to exactly the live data once the journal outgrows it', async () => {
    const dir = makeDataDir()
    try {
      const storage = createStorage({ driver: journalDriver({ dir, compactAtBytes: 64 * 1024 }) })
      for (let round = 0; round < 50; round++) {
        await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            storage.setItem(`k:${i}`, { round, pad: 'x'.repeat(100) }),
          ),
        )
      }
      await storage.removeItem('k:0')
      await storage.setItem('k:1', { round: 'last' })
      expect(statSync(join(dir, 'journal.log')).size).toBeLessThan(64 * 1024 + 4096)
      await storage.dispose()
      const reopened = createStorage({ driver: journalDriver({ dir }) })
      expect((await reopened.getKeys('k')).length).toBe(19)
      expect(await reopened.getItem('k:1')).toEqual({ round: 'last' })
      expect(await reopened.getItem('k:7')).toEqual({ round: 49, pad: 'x'.repeat(100) })
      await reopened.dispose()
      expect(
        readFileSync(join(dir, 'journal.log'), 'utf8').split('\n').filter(Boolean).length,
      ).toBeLessThan(200)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('expired values leave memory at a sweep, are skipped at replay, and compaction drops them', async () => {
    const dir = makeDataDir()
    try {
      const driver = journalDriver({ dir }) as ReturnType<typeof journalDriver> & {
        sweepExpired(now?: number): number
        sizes(): { journalBytes: number; liveBytes: number; keys: number }
      }
      const storage = createStorage({ driver })
      // Far enough ahead that none expires while the 400 are written, even on a loaded machine.
      const soon = Date.now() + 1_000
      for (let i = 0; i < 400; i++) {
        await storage.setItem(`old:${i}`, { pad: 'x'.repeat(200) }, { expiresAt: soon })
      }
      await storage.setItem('kept:1', { v: 1 })
      await storage.setItem('kept:2', { v: 2 }, { expiresAt: Date.now() + 60_000 })
      expect(driver.sizes().keys).toBe(402)
      while (Date.now() <= soon)
        await new Promise((resolve) => setTimeout(resolve, soon + 5 - Date.now()))
      // Replay of the journal as it stands skips what expired.
      const replayed = createStorage({ driver: journalDriver({ dir }) })
      expect(await replayed.getKeys('')).toEqual(['kept:1', 'kept:2'])
      await replayed.dispose()
      expect(driver.sweepExpired()).toBe(400)
      expect(driver.sizes().keys).toBe(2)
      // The journal outgrew twice the live data: the sweep compacted it to the two lines left.
      const lines = readFileSync(join(dir, 'journal.log'), 'utf8').split('\n').filter(Boolean)
      expect(lines.map((line) => JSON.parse(line).k)).toEqual(['kept:1', 'kept:2'])
      expect(JSON.parse(lines[1]).e).toBeGreaterThan(Date.now())
      await storage.dispose()
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('json mode writes values as JSON, and replays journals written either way', async () => {
    const dir = makeDataDir()
    try {
      // A journal from before json mode: values as strings of JSON.
      appendFileSync(join(dir, 'journal.log'), JSON.stringify({ k: 'old:1', v: '{"v":1}' }) + '\n')
      const driver = journalDriver({ dir, json: true }) as unknown as {
        getItem(key: string): string | null
        setItem(key: string, value: string, options?: object): Promise<void>
        setItems(items: Array<{ key: string; value: string }>): Promise<void>
        dispose(): void
      }
      expect(driver.getItem('old:1')).toBe('{"v":1}')
      await driver.setItem('new:1', '{"v":{"text":"quote \\" and \\u2028"}}')
      await driver.setItems([{ key: 'new:2', value: '[1,2]' }])
      driver.dispose()
      const lines = readFileSync(join(dir, 'journal.log'), 'utf8').trim().split('\n')
      expect(JSON.parse(lines[1])).toEqual({ k: 'new:1', j: { v: { text: 'quote " and \u2028' } } })
      expect(JSON.parse(lines[2])).toEqual({ t: [{ k: 'new:2', j: [1, 2] }] })
      const reopened = journalDriver({ dir, json: true }) as unknown as typeof driver
      expect(JSON.parse(reopened.getItem('new:1')!)).toEqual({ v: { text: 'quote " and \u2028' } })
      expect(reopened.getItem('new:2')).toBe('[1,2]')
      expect(reopened.getItem('old:1')).toBe('{"v":1}')
      reopened.dispose()
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('groups concurrent appends and acknowledges each only once it is written', async () => {
    const dir = makeDataDir()
    try {
      const storage = createStorage({ driver: journalDriver({ dir, fsync: true }) })
      await Promise.all(Array.from({ length: 500 }, (_, i) => storage.setItem(`g:${i}`, i)))
      const lines = readFileSync(join(dir, 'journal.log'), 'utf8').split('\n').filter(Boolean)
      expect(lines).toHaveLength(500)
      expect((await storage.getKeys('g')).length).toBe(500)
      await storage.dispose()
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  // Node drains the microtasks after every I/O callback: a flush queued as a microtask wrote each
  // callback's appends on their own. Held to the end of the turn, they share one write.
  it('an append waits for the end of its event-loop turn, not the next microtask', async () => {
    const dir = makeDataDir()
    try {
      const storage = createStorage({ driver: journalDriver({ dir }) })
      await storage.setItem('first', 0)
      const file = join(dir, 'journal.log')
      const size = statSync(file).size
      const a = storage.setItem('a', 1)
      for (let i = 0; i < 20; i++) await null
      const meanwhile = statSync(file).size
      const b = storage.setItem('b', 2)
      await Promise.all([a, b])
      expect(meanwhile).toBe(size)
      expect(readFileSync(file, 'utf8').split('\n').filter(Boolean)).toHaveLength(3)
      expect([await storage.getItem('a'), await storage.getItem('b')]).toEqual([1, 2])
      await storage.dispose()
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it("the SQLite engine's write log holds its appends to the end of the turn the same way", async () => {
    const dir = makeDataDir()
    try {
      const log = openWriteLog(dir, { firstSegment: 1 })
      const a = log.append('{"k":"a"}')
      for (let i = 0; i < 20; i++) await null
      expect(log.pending).toBe(1)
      const b = log.append('{"k":"b"}')
      await Promise.all([a, b])
      expect(log.pending).toBe(0)
      const [segment] = listSegments(dir)
      expect(readFileSync(segment!.path, 'utf8')).toBe('{"k":"a"}\n{"k":"b"}\n')
      log.close()
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
