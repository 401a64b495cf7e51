/**
 * The embedded store's journal: what a crash can leave behind is recovered, compaction keeps
 * exactly the live data, and nothing but acknowledged writes is ever visible.
 */
import { appendFileSync, readFileSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createStorage } from 'unstorage'
import { journalDriver } from '../server/store/journal-driver'
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
})
