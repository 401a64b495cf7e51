/**
 * RL-07: a store that fails answers 503 STORE_UNAVAILABLE with Retry-After — never a 500, a hang
 * or a crash — and no execution starts without its record. Two real failures: the embedded
 * store's journal can no longer grow (a file size limit, as a full disk would), and a Redis server
 * (started by this test on its own port) is killed. And a store that refuses only the record's
 * write: nothing of the execution runs, not even in a guest.
 */
import { existsSync, readFileSync } from 'node:fs'
import Redis from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { approvedAgent } from './helpers/exec'
import { pathOf, signup } from './helpers/flow'
import { client } from './helpers/http'
import { REDIS_SERVER_BINARY, startRedisServer, type RedisServer } from './helpers/redis'
import {
  childPids,
  EMBEDDED_ENGINES,
  makeDataDir,
  runUntilExit,
  startServer,
  type RunningServer,
} from './helpers/server'
import { createGate, sendJson, startUpstream, type Upstream } from './helpers/upstream'

const ORIGIN = 'https://api.outage.example.com'
let upstream: Upstream
beforeAll(async () => {
  upstream = await startUpstream((_, response) => sendJson(response, 200, { ok: true }))
})
afterAll(() => upstream?.close())

function expectUnavailable(reply: { status: number; headers: Headers; body: any }, what: string) {
  expect(reply.status, what).toBe(503)
  expect(reply.body.code, what).toBe('STORE_UNAVAILABLE')
  expect(Number(reply.headers.get('retry-after')), what).toBeGreaterThan(0)
}

// Each engine's files may not grow past this: the journal's first lines fit in 96 KiB; SQLite's
// write-ahead log grows by whole pages, a few per write.
const FILE_LIMITS = { journal: 96 * 1024, sqlite: 1024 * 1024 }

describe.each(EMBEDDED_ENGINES)('the embedded store (%s), when its files cannot grow', (engine) => {
  let server: RunningServer
  afterAll(() => server?.stop())

  it('answers 503 with Retry-After, starts no execution, and keeps what it acknowledged', async () => {
    server = await startServer({
      keepData: true,
      fileSizeLimitBytes: FILE_LIMITS[engine],
      env: {
        NITRO_STORE_ENGINE: engine,
        NITRO_UPSTREAM_MAP: JSON.stringify({ [ORIGIN]: upstream.origin }),
      },
    })
    const api = client(server.url)
    const capability = { name: 'outage.ping', endpoint: `${ORIGIN}/ping`, method: 'GET' }
    const { agent, permit } = await approvedAgent(api, [capability])
    const acknowledged: string[] = []
    let refused
    for (let i = 0; i < 2000 && !refused; i++) {
      const reply = await api.post('/signup', { name: `filler-${i}` })
      if (reply.status === 201) acknowledged.push(reply.body.token)
      else refused = reply
    }
    expect(refused, 'the store never filled').toBeDefined()
    expectUnavailable(refused!, 'signup')
    const before = upstream.seen.length
    const execution = await api.post(
      '/execute',
      { permit_id: permit.permit_id, code: 'return await ping()' },
      { token: agent.token },
    )
    expectUnavailable(execution, 'execute')
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(upstream.seen.length).toBe(before)
    // Reads still work, and every acknowledged write is there.
    expect((await api.get('/health')).status).toBe(200)
    for (const token of acknowledged.slice(-5)) {
      expect((await api.get('/me', { token })).status).toBe(200)
    }
    expect(server.logs()).not.toMatch(/uncaught|unhandled|\[oauth3\] (POST|GET) .* failed/i)

    // The writes cut short left nothing torn: restarted without the limit, the store opens and
    // every acknowledged write is there.
    await server.stop()
    server = await startServer({ dataDir: server.dataDir, env: { NITRO_STORE_ENGINE: engine } })
    const restarted = client(server.url)
    for (const token of acknowledged)
      expect((await restarted.get('/me', { token })).status).toBe(200)
    expect((await restarted.post('/signup', {})).status).toBe(201)
  })
})

describe.skipIf(!existsSync(REDIS_SERVER_BINARY))('a Redis store that stops', () => {
  let redis: RedisServer | undefined
  let server: RunningServer | undefined

  afterAll(async () => {
    await server?.stop()
    redis?.kill()
  })

  it('answers 503 with Retry-After within seconds while Redis is down, and resumes when it is back', async () => {
    redis = await startRedisServer()
    server = await startServer({ env: { NITRO_REDIS_URL: redis.url } })
    const api = client(server.url)
    const agent = await signup(api)
    redis.kill()
    await new Promise((resolve) => setTimeout(resolve, 100))
    // Each is answered while Redis is still down: one that waited for Redis would never be.
    for (const attempt of [
      () => api.post('/signup', {}),
      () => api.get('/me', { token: agent.token }),
      () => api.post('/execute', { code: 'return 1' }, { token: agent.token }),
    ]) {
      expectUnavailable(await attempt(), 'while Redis is down')
    }
    expect((await api.get('/health')).status).toBe(200)
    await redis.restart()
    let resumed = 0
    for (let i = 0; i < 50 && resumed !== 201; i++) {
      resumed = (await api.post('/signup', {})).status
      if (resumed !== 201) await new Promise((resolve) => setTimeout(resolve, 100))
    }
    expect(resumed).toBe(201)
    expect(server.logs()).not.toMatch(/uncaught|unhandled/i)
  })
})

/**
 * Full access to every key under `prefix` but the running markers (read-only), as Redis ACL key
 * patterns, which have no negation: the record's write — one transaction with its marker — is
 * refused, and nothing else is.
 */
function allButRunningMarkers(prefix: string): string[] {
  return ['%R~*', ...keysNotStartingWith(prefix, 'running:')]
}

/** ACL key patterns for every key under `prefix` but those starting with `word`. */
function keysNotStartingWith(prefix: string, word: string): string[] {
  return Array.from(word, (_, i) => `~${prefix}:${word.slice(0, i)}[^${word[i]}]*`)
}

describe.skipIf(!existsSync(REDIS_SERVER_BINARY))('a Redis store that refuses the record', () => {
  let redis: RedisServer | undefined
  let server: RunningServer | undefined

  afterAll(async () => {
    await server?.stop()
    redis?.kill()
  })

  it('answers 503 and runs nothing: no guest starts the code, no call, no record (RL-07)', async () => {
    redis = await startRedisServer()
    const admin = new Redis(redis.url)
    await admin.call(
      'ACL',
      'SETUSER',
      'server',
      'on',
      '>server-password',
      '+@all',
      '&*',
      ...allButRunningMarkers('oauth3'),
    )
    server = await startServer({
      env: {
        NITRO_REDIS_URL: `redis://server:server-password@127.0.0.1:${redis.port}`,
        NITRO_UPSTREAM_MAP: JSON.stringify({ [ORIGIN]: upstream.origin }),
      },
    })
    const api = client(server.url)
    const capability = { name: 'outage.ping', endpoint: `${ORIGIN}/ping`, method: 'GET' }
    const { agent, permit } = await approvedAgent(api, [capability])
    const before = upstream.seen.length
    const cpuBefore = guestCpuTicks(server)
    for (const body of [
      { permit_id: permit.permit_id, code: 'await ping(); return 1' },
      { code: 'for (;;) {}' },
    ]) {
      expectUnavailable(await api.post('/execute', body, { token: agent.token }), 'execute')
    }
    await new Promise((resolve) => setTimeout(resolve, 500))
    expect(upstream.seen.length).toBe(before)
    // A loop that had started would have taken a guest's core for these 500 ms (≈ 50 ticks).
    expect(guestCpuTicks(server) - cpuBefore).toBeLessThan(15)
    expect(await admin.keys('oauth3:exec:*')).toEqual([])
    expect((await api.get('/health')).status).toBe(200)
    expect(server.logs()).not.toMatch(/uncaught|unhandled/i)
    admin.disconnect()
  })
})

describe.skipIf(!existsSync(REDIS_SERVER_BINARY))(
  'a store that fails during a capability call',
  () => {
    let redis: RedisServer | undefined
    let server: RunningServer | undefined
    let gated: Upstream | undefined

    afterAll(async () => {
      await server?.stop()
      await gated?.close()
      redis?.kill()
    })

    it('the call fails as store_unavailable, not upstream_error, and never reaches the upstream', async () => {
      const gate = createGate()
      gated = await startUpstream(async (request, response) => {
        if (request.url === '/slow') await gate.pass()
        sendJson(response, 200, { ok: true })
      })
      redis = await startRedisServer()
      const admin = new Redis(redis.url)
      const grant = (...keys: string[]) =>
        admin.call(
          'ACL',
          'SETUSER',
          'server',
          'on',
          '>server-password',
          '+@all',
          '&*',
          'resetkeys',
          ...keys,
        )
      await grant('~*')
      server = await startServer({
        env: {
          NITRO_REDIS_URL: `redis://server:server-password@127.0.0.1:${redis.port}`,
          NITRO_UPSTREAM_MAP: JSON.stringify({ [ORIGIN]: gated.origin }),
        },
      })
      const api = client(server.url)
      const { agent, permit } = await approvedAgent(api, [
        { name: 'outage.slow', endpoint: `${ORIGIN}/slow`, method: 'GET' },
        { name: 'outage.ping', endpoint: `${ORIGIN}/ping`, method: 'GET' },
      ])
      const submitted = await api.post(
        '/execute',
        {
          permit_id: permit.permit_id,
          code: 'await slow(); try { await ping(); return "sent" } catch (e) { return e.code }',
        },
        { token: agent.token },
      )
      expect(submitted.status).toBe(202)
      while (!gated.seen.some((request) => request.url === '/slow')) await sleep(20)
      // The permit can no longer be read, as in an outage; everything else still works.
      await grant(...keysNotStartingWith('oauth3', 'permit:'))
      gate.release()
      const done = await api.get(pathOf(submitted.body.status_url), { token: agent.token })
      expect(done.body).toMatchObject({
        status: 'completed',
        result: { value: 'store_unavailable' },
      })
      expect(done.body.result.calls.at(-1)).toMatchObject({ error: 'store_unavailable', status: 0 })
      expect(gated.seen.filter((request) => request.url === '/ping')).toEqual([])
      admin.disconnect()
    })
  },
)

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** CPU time (clock ticks, user + system) of the server's guest processes. */
function guestCpuTicks(server: RunningServer): number {
  return childPids(server.child.pid).reduce((sum, pid) => {
    // Fields after the command name (which is in parentheses): utime and stime are 14th and 15th.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
    return sum + Number(fields[11]) + Number(fields[12])
  }, 0)
}

describe.skipIf(!existsSync(REDIS_SERVER_BINARY))('a Redis that would lose data on a crash', () => {
  let redis: RedisServer | undefined
  let server: RunningServer | undefined
  afterAll(async () => {
    await server?.stop()
    redis?.kill()
  })

  it('is refused at startup, naming what loses data and the setting that accepts it', async () => {
    redis = await startRedisServer()
    const refused = await runUntilExit({
      NITRO_REDIS_URL: redis.url,
      NITRO_REDIS_ACCEPT_DATA_LOSS: 'false',
    })
    expect(refused.code).toBe(1)
    expect(refused.output).toMatch(
      /NITRO_REDIS_URL .*appendonly is no.*NITRO_REDIS_ACCEPT_DATA_LOSS=true/,
    )
    expect(refused.output).not.toContain('Listening on')
    redis.kill()
  })

  it('with an append-only file it starts, and /ready and the startup line say so', async () => {
    const dir = makeDataDir()
    redis = await startRedisServer({ dir })
    server = await startServer({
      env: { NITRO_REDIS_URL: redis.url, NITRO_REDIS_ACCEPT_DATA_LOSS: 'false' },
    })
    const ready = await client(server.url).get('/ready')
    expect(ready.status).toBe(200)
    expect(ready.body.store_durability).toMatchObject({
      checked: true,
      appendonly: 'yes',
      maxmemory_policy: 'noeviction',
      risks: [],
    })
    expect(server.logs()).toMatch(
      /store: redis \(prefix oauth3; append-only file \(appendfsync always\), noeviction\)/,
    )
    await server.stop()
    server = undefined
    redis.kill()
  })

  it('accepted, it starts; when the store is emptied under it, /ready says the store lost its data', async () => {
    redis = await startRedisServer()
    server = await startServer({
      env: { NITRO_REDIS_URL: redis.url, NITRO_LEASE_SECONDS: '2' },
    })
    const api = client(server.url)
    const ready = await api.get('/ready')
    expect(ready.status).toBe(200)
    expect(ready.body.store_durability).toMatchObject({ accepted: true })
    expect(ready.body.store_durability.risks[0]).toMatch(/appendonly is no/)
    const agent = await signup(api)
    // A crash: Redis comes back with nothing.
    redis.kill()
    await redis.restart()
    let answer = await api.get('/ready')
    while (answer.body.store !== 'lost') {
      await sleep(100)
      answer = await api.get('/ready')
    }
    expect(answer.status).toBe(503)
    expect(answer.body.status).toBe('unready')
    expect((await api.get('/me', { token: agent.token })).status).toBe(401)
    // Logged too (log lines go out in batches: waited for, not timed).
    while (!/the store lost its data/.test(server.logs())) await sleep(50)
  })
})
