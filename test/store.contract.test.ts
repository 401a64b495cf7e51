/**
 * One contract suite for every store backend: the embedded store and Redis (when REDIS_URL is
 * set; .ci/run sets it). The atomic operations are raced on purpose.
 */
import { randomBytes } from 'node:crypto'
import { rmSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createEmbeddedStore, createRedisStore, type Store } from '../server/store'
import { loadSqlite } from '../server/store/sqlite-driver'
import { dropRedisPrefix } from './helpers/redis'
import { makeDataDir } from './helpers/server'

const REDIS_URL = process.env.REDIS_URL
/** Long enough that a record written is still there when read back at once on a loaded machine. */
const TTL_MS = 1_000
const pastTtl = () => new Promise((resolve) => setTimeout(resolve, TTL_MS + 50))

interface Backend {
  name: string
  open(): Promise<{ store: Store; dispose(): Promise<void> }>
  skip?: string
}

const SQLITE = (await loadSqlite()) !== null

const embedded = (engine: 'sqlite' | 'journal'): Backend => ({
  name: `embedded (${engine})`,
  skip:
    engine === 'sqlite' && !SQLITE
      ? `node:sqlite is not in Node ${process.version} (22.13+ has it; CI runs Node 24 too)`
      : undefined,
  async open() {
    const dir = makeDataDir()
    const store = await createEmbeddedStore({ dir, engine })
    return {
      store,
      dispose: async () => (await store.close(), rmSync(dir, { recursive: true, force: true })),
    }
  },
})

const backends: Backend[] = [
  embedded('sqlite'),
  embedded('journal'),
  {
    name: 'redis',
    skip: REDIS_URL ? undefined : 'REDIS_URL is not set (bash .ci/run sets it)',
    async open() {
      const prefix = `test-${randomBytes(6).toString('hex')}`
      // The machine's Redis keeps nothing on disk: a test store accepts that.
      const store = await createRedisStore({ url: REDIS_URL!, prefix, acceptDataLoss: true })
      return {
        store,
        dispose: async () => (await store.close(), await dropRedisPrefix(REDIS_URL!, prefix)),
      }
    },
  },
]

for (const backend of backends) {
  describe.skipIf(backend.skip)(
    `store contract: ${backend.name}${backend.skip ? ` (skipped: ${backend.skip})` : ''}`,
    () => {
      let store: Store
      let dispose: () => Promise<void>
      beforeAll(async () => ({ store, dispose } = await backend.open()))
      afterAll(() => dispose?.())

      it('reads back what it wrote, and null for absent keys', async () => {
        await store.set('thing:a', { n: 1, nested: { list: [1, 'two'] } })
        expect(await store.get('thing:a')).toEqual({ n: 1, nested: { list: [1, 'two'] } })
        expect(await store.get('thing:missing')).toBeNull()
        await store.remove('thing:a')
        expect(await store.get('thing:a')).toBeNull()
      })

      it('a read after an acknowledged write sees it, while other reads race the writes', async () => {
        let stop = false
        const readers = Array.from({ length: 8 }, async () => {
          while (!stop) await store.get('race:key')
        })
        for (let i = 0; i < 200; i++) {
          await store.update<number>('race:key', () => i)
          expect(await store.get('race:key')).toBe(i)
        }
        stop = true
        await Promise.all(readers)
        expect(await store.get('race:key')).toBe(199)
      })

      it('lists keys under a prefix only', async () => {
        await store.set('list:x:1', 1)
        await store.set('list:x:2', 2)
        await store.set('list:xy:3', 3)
        await store.set('list:x', 0)
        expect((await store.keys('list:x')).sort()).toEqual(['list:x:1', 'list:x:2'])
      })

      it('expires records on read', async () => {
        await store.set('ttl:a', 'soon gone', { ttlMs: TTL_MS })
        expect(await store.get('ttl:a')).toBe('soon gone')
        await pastTtl()
        expect(await store.get('ttl:a')).toBeNull()
        expect(await store.createIfAbsent('ttl:a', 'again')).toBe(true)
      })

      it('createIfAbsent: exactly one of 50 concurrent writers wins', async () => {
        const results = await Promise.all(
          Array.from({ length: 50 }, (_, i) => store.createIfAbsent('once:a', { writer: i })),
        )
        expect(results.filter(Boolean)).toHaveLength(1)
        const winner = results.indexOf(true)
        expect(await store.get('once:a')).toEqual({ writer: winner })
      })

      it('update: 50 concurrent read-modify-writes lose nothing', async () => {
        await store.set('cas:list', [] as number[])
        await Promise.all(
          Array.from({ length: 50 }, (_, i) =>
            store.update<number[]>('cas:list', (current) => [...(current ?? []), i]),
          ),
        )
        expect((await store.get<number[]>('cas:list'))!.sort((a, b) => a - b)).toEqual(
          Array.from({ length: 50 }, (_, i) => i),
        )
      })

      it('update: an error thrown by mutate aborts the write and reaches the caller', async () => {
        await store.set('cas:guard', { state: 'pending' })
        const decide = (who: number) =>
          store.update<{ state: string; by?: number }>('cas:guard', (current) => {
            if (current?.state !== 'pending') throw new Error('already decided')
            return { state: 'decided', by: who }
          })
        const results = await Promise.allSettled(Array.from({ length: 50 }, (_, i) => decide(i)))
        expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1)
        expect(
          results
            .filter((result) => result.status === 'rejected')
            .every(
              (result) => (result as PromiseRejectedResult).reason.message === 'already decided',
            ),
        ).toBe(true)
      })

      it('transact: 50 concurrent transfers between two keys keep their sum; each writes both or neither', async () => {
        await store.set('tx:a', 100)
        await store.set('tx:b', 0)
        const transfer = (amount: number) =>
          store.transact([
            {
              key: 'tx:a',
              apply: (a: number | null) => {
                if ((a ?? 0) < amount) throw new Error('insufficient')
                return (a ?? 0) - amount
              },
            },
            { key: 'tx:b', apply: (b: number | null) => (b ?? 0) + amount },
          ])
        const results = await Promise.allSettled(Array.from({ length: 50 }, () => transfer(3)))
        const done = results.filter((result) => result.status === 'fulfilled').length
        expect(done).toBe(33)
        expect(await store.get('tx:a')).toBe(100 - 3 * done)
        expect(await store.get('tx:b')).toBe(3 * done)
      })

      it('transact: a step that throws writes nothing, not even the steps before it', async () => {
        await store.set('tx:first', 'before')
        const attempt = store.transact([
          { key: 'tx:first', apply: () => 'after' },
          { key: 'tx:new', apply: () => 'created' },
          {
            key: 'tx:guard',
            apply: () => {
              throw new Error('refused')
            },
          },
        ])
        await expect(attempt).rejects.toThrow('refused')
        expect(await store.get('tx:first')).toBe('before')
        expect(await store.get('tx:new')).toBeNull()
      })

      it('transact: later steps see earlier ones; undefined leaves a key; results are the final values', async () => {
        await store.set('tx:keep', { v: 1 }, { ttlMs: 60_000 })
        const results = await store.transact([
          { key: 'tx:count', apply: (n: number | null) => (n ?? 0) + 1 },
          { key: 'tx:count', apply: (n: number | null) => (n ?? 0) * 10 },
          { key: 'tx:keep', apply: () => undefined },
        ])
        expect(results).toEqual([1, 10, { v: 1 }])
        expect(await store.get('tx:count')).toBe(10)
      })

      it('transact: a step can give its key a new time to live, from the value it writes', async () => {
        await store.set('ttl:a', 1)
        await store.set('ttl:b', 'kept', { ttlMs: 60_000 })
        await store.transact([
          {
            key: 'ttl:a',
            apply: (n) => (n as number) + 1,
            keptFor: (n) => ((n as number) * TTL_MS) / 2,
          },
          { key: 'ttl:b', apply: (v) => v ?? undefined, keptFor: () => TTL_MS },
        ])
        expect(await store.get('ttl:a')).toBe(2)
        expect(await store.get('ttl:b')).toBe('kept')
        await pastTtl()
        expect(await store.get('ttl:a')).toBeNull()
        expect(await store.get('ttl:b')).toBeNull()
      })

      it('setMany writes every entry with its own time to live; removeMany removes them all', async () => {
        await store.setMany([
          { key: 'many:a', value: { n: 1 } },
          { key: 'many:b', value: 'two', ttlMs: TTL_MS },
          { key: 'many:c', value: [3] },
        ])
        expect(await store.get('many:a')).toEqual({ n: 1 })
        expect(await store.get('many:b')).toBe('two')
        await pastTtl()
        expect(await store.get('many:b')).toBeNull()
        await store.removeMany(['many:a', 'many:c', 'many:absent'])
        expect(await store.get('many:a')).toBeNull()
        expect(await store.get('many:c')).toBeNull()
      })

      it('answers a ping while it is up', async () => {
        await expect(store.ping()).resolves.toBeUndefined()
      })

      it('update keeps the expiry of the record it replaces', async () => {
        await store.set('cas:ttl', 1, { ttlMs: TTL_MS })
        await store.update<number>('cas:ttl', (n) => (n ?? 0) + 1)
        expect(await store.get('cas:ttl')).toBe(2)
        await pastTtl()
        expect(await store.get('cas:ttl')).toBeNull()
      })

      it('increment: 100 concurrent increments count to 100, and a counter window expires', async () => {
        await Promise.all(Array.from({ length: 100 }, () => store.increment('count:a')))
        expect(await store.get('count:a')).toBe(100)
        expect(await store.increment('count:w', 1, { ttlMs: TTL_MS })).toBe(1)
        expect(await store.increment('count:w', 1, { ttlMs: TTL_MS })).toBe(2)
        await pastTtl()
        expect(await store.increment('count:w', 1, { ttlMs: TTL_MS })).toBe(1)
      })

      it('refuses key shapes that could leave the namespace', async () => {
        for (const key of ['../etc/passwd', 'a/b', 'a:..:b', '', 'a b', 'a:*']) {
          await expect(store.set(key, 1)).rejects.toThrow(/invalid store key/)
        }
      })
    },
  )
}
