/**
 * The Redis store: unstorage's redis driver for plain reads and writes, and small Lua scripts on
 * the same connection for the atomic operations, so several server processes can share state.
 * Records carry their expiry (checked on read, like the embedded store) and Redis also drops them
 * at that time.
 */
import type Redis from 'ioredis'
import { createStorage } from 'unstorage'
import redisDriver from 'unstorage/drivers/redis'
import { watchRedisConnection } from './redis-connection'
import { readRedisDurability } from './redis-durability'
import {
  applySteps,
  assertStoreKey,
  isLive,
  storeIo,
  wrap,
  type Envelope,
  type Store,
  type TransactionStep,
  type WriteOptions,
} from './types'

export interface RedisStoreOptions {
  url: string
  prefix: string
  /** Start on a Redis that loses data on a crash (no append-only file, an evicting policy). */
  acceptDataLoss?: boolean
}

// KEYS[1] key · ARGV[1] envelope json · ARGV[2] ttl ms (0 = none) · ARGV[3] now ms
const CREATE_IF_ABSENT = `
local raw = redis.call('GET', KEYS[1])
if raw then
  local env = cjson.decode(raw)
  if env.e == nil or env.e > tonumber(ARGV[3]) then return 0 end
end
if tonumber(ARGV[2]) > 0 then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) else redis.call('SET', KEYS[1], ARGV[1]) end
return 1`

// KEYS[1] key · ARGV[1] expected raw ('' = absent) · ARGV[2] next raw · ARGV[3] expiry epoch ms (0 = none)
const COMPARE_AND_SET = `
local raw = redis.call('GET', KEYS[1]) or ''
if raw ~= ARGV[1] then return 0 end
if tonumber(ARGV[3]) > 0 then redis.call('SET', KEYS[1], ARGV[2], 'PXAT', ARGV[3]) else redis.call('SET', KEYS[1], ARGV[2]) end
return 1`

// KEYS[1] key · ARGV[1] by · ARGV[2] ttl ms (0 = none) · ARGV[3] now ms
const INCREMENT = `
local now = tonumber(ARGV[3])
local raw = redis.call('GET', KEYS[1])
local env = nil
if raw then
  env = cjson.decode(raw)
  if env.e ~= nil and env.e <= now then env = nil end
end
if env == nil then
  env = { v = 0 }
  if tonumber(ARGV[2]) > 0 then env.e = now + tonumber(ARGV[2]) end
end
env.v = env.v + tonumber(ARGV[1])
if env.e ~= nil then redis.call('SET', KEYS[1], cjson.encode(env), 'PXAT', env.e) else redis.call('SET', KEYS[1], cjson.encode(env)) end
return env.v`

// KEYS n keys · ARGV[1..n] expected raw ('' = absent) · ARGV[n+1..2n] next raw ('' = leave it)
// · ARGV[2n+1..3n] expiry epoch ms (0 = none)
const TRANSACT = `
local n = #KEYS
for i = 1, n do
  if (redis.call('GET', KEYS[i]) or '') ~= ARGV[i] then return 0 end
end
for i = 1, n do
  local nextRaw = ARGV[n + i]
  if nextRaw ~= '' then
    local expiry = tonumber(ARGV[2 * n + i])
    if expiry > 0 then redis.call('SET', KEYS[i], nextRaw, 'PXAT', expiry) else redis.call('SET', KEYS[i], nextRaw) end
  end
end
return 1`

const MAX_CAS_ATTEMPTS = 100
const COMMAND_TIMEOUT_MS = 2_000

export async function createRedisStore(options: RedisStoreOptions): Promise<Store> {
  const driver = redisDriver({
    url: options.url,
    base: options.prefix,
    lazyConnect: false,
    // A store that does not answer fails the request fast (503) instead of holding it.
    maxRetriesPerRequest: 2,
    commandTimeout: COMMAND_TIMEOUT_MS,
    // Listing a prefix is a SCAN of the keyspace: fewer, larger steps.
    scanCount: 1000,
  })
  const storage = createStorage({ driver })
  const client = driver.getInstance!() as Redis
  watchRedisConnection(client, 'store')
  await client.ping()
  const durability = await readRedisDurability(client, options.acceptDataLoss === true)
  if (durability.risks.length && !durability.accepted) {
    client.disconnect()
    throw new Error(
      `it loses data on a crash: ${durability.risks.join('; ')}; or set NITRO_REDIS_ACCEPT_DATA_LOSS=true to accept that`,
    )
  }
  const full = (key: string) => `${options.prefix}:${assertStoreKey(key)}`

  const readRaw = async (key: string) => {
    const stored = full(key)
    const raw = await storeIo(() => client.get(stored))
    const envelope = raw ? (JSON.parse(raw) as Envelope) : null
    return { raw, envelope: isLive(envelope) ? envelope : null }
  }

  return {
    kind: 'redis',
    durability,
    async get<T>(key: string) {
      return ((await readRaw(key)).envelope?.v as T) ?? null
    },
    async set<T>(key: string, value: T, opts: WriteOptions = {}) {
      assertStoreKey(key)
      const ttl = opts.ttlMs ? { ttl: Math.ceil(opts.ttlMs / 1000) } : {}
      await storeIo(() => storage.setItem(key, wrap(value, opts.ttlMs) as never, ttl))
    },
    async remove(key: string) {
      assertStoreKey(key)
      await storeIo(() => storage.removeItem(key))
    },
    async setMany(entries) {
      const transaction = client.multi()
      for (const { key, value, ttlMs } of entries) {
        const envelope = JSON.stringify(wrap(value, ttlMs))
        if (ttlMs) transaction.set(full(key), envelope, 'PX', ttlMs)
        else transaction.set(full(key), envelope)
      }
      await storeIo(() => transaction.exec())
    },
    async removeMany(keys: string[]) {
      if (keys.length) await storeIo(() => client.del(...keys.map(full)))
    },
    async keys(prefix: string) {
      assertStoreKey(prefix)
      const keys = await storeIo(() => storage.getKeys(prefix))
      return keys.filter((key) => key.startsWith(`${prefix}:`))
    },
    async createIfAbsent<T>(key: string, value: T, opts: WriteOptions = {}) {
      const ttl = opts.ttlMs ?? 0
      const stored = full(key)
      const envelope = JSON.stringify(wrap(value, opts.ttlMs))
      const written = await storeIo(() =>
        client.eval(CREATE_IF_ABSENT, 1, stored, envelope, ttl, Date.now()),
      )
      return written === 1
    },
    async update<T>(key: string, mutate: (current: T | null) => T, opts: WriteOptions = {}) {
      const stored = full(key)
      for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
        const { raw, envelope } = await readRaw(key)
        const next = mutate((envelope?.v as T) ?? null)
        const nextEnvelope = wrap(next, opts.ttlMs, envelope?.e)
        const nextRaw = JSON.stringify(nextEnvelope)
        const swapped = await storeIo(() =>
          client.eval(COMPARE_AND_SET, 1, stored, raw ?? '', nextRaw, nextEnvelope.e ?? 0),
        )
        if (swapped === 1) return next
      }
      throw new Error('store update kept conflicting')
    },
    async increment(key: string, by = 1, opts: WriteOptions = {}) {
      const stored = full(key)
      const ttl = opts.ttlMs ?? 0
      return Number(await storeIo(() => client.eval(INCREMENT, 1, stored, by, ttl, Date.now())))
    },
    async transact(steps: TransactionStep[]) {
      const keys = [...new Set(steps.map((step) => assertStoreKey(step.key)))]
      for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
        const raws = await storeIo(() =>
          client.mget(...keys.map((key) => `${options.prefix}:${key}`)),
        )
        const live = raws.map((raw) => {
          const envelope = raw ? (JSON.parse(raw) as Envelope) : null
          return isLive(envelope) ? envelope : null
        })
        const current = new Map(keys.map((key, i) => [key, live[i]?.v ?? null]))
        const { next, results, ttls } = applySteps(steps, current)
        if (next.size === 0) return results
        const envelopes = keys.map((key, i) =>
          next.has(key) ? wrap(next.get(key), ttls.get(key), live[i]?.e) : null,
        )
        const nextRaws = envelopes.map((envelope) => (envelope ? JSON.stringify(envelope) : ''))
        const expiries = keys.map((_, i) => envelopes[i]?.e ?? live[i]?.e ?? 0)
        const args = [...raws.map((raw) => raw ?? ''), ...nextRaws, ...expiries]
        const stored = keys.map(full)
        const swapped = await storeIo(() => client.eval(TRANSACT, keys.length, ...stored, ...args))
        if (swapped === 1) return results
      }
      throw new Error('store transaction kept conflicting')
    },
    async ping() {
      await storeIo(() => client.ping())
    },
    async close() {
      await storage.dispose()
    },
  }
}
