/**
 * A Redis outage under load, two instances: while Redis is stopped every request that needs it
 * answers 503 with a code and Retry-After, fast; GET /ready says the store is unavailable; no
 * instance crashes or logs an unhandled rejection; and every execution acknowledged before or
 * during the outage ends with a stored terminal state once Redis is back (results that could not
 * be stored are retried, not dropped). Redis is the test's own, stopped with SIGTERM and
 * restarted on the same append-only file, as an operator's restart would.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { approvedAgent } from './helpers/exec'
import { pathOf } from './helpers/flow'
import { client, type Client } from './helpers/http'
import { REDIS_SERVER_BINARY, startRedisServer, type RedisServer } from './helpers/redis'
import { makeDataDir, startServer, type RunningServer } from './helpers/server'
import { sendJson, startUpstream, type Upstream } from './helpers/upstream'

const ORIGIN = 'https://api.slow.example.com'
const SLOW = { name: 'slow.ping', endpoint: `${ORIGIN}/ping`, method: 'GET' }
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe.skipIf(!existsSync(REDIS_SERVER_BINARY))('Redis stopped during load', () => {
  let redis: RedisServer | undefined
  let upstream: Upstream | undefined
  const servers: RunningServer[] = []
  const redisDir = mkdtempSync(join(tmpdir(), 'oauth3-redis-'))

  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop()))
    redis?.kill()
    await upstream?.close()
    rmSync(redisDir, { recursive: true, force: true })
  })

  it('503s with a code meanwhile, /ready says so, and every acknowledged execution ends stored', async () => {
    redis = await startRedisServer({ dir: redisDir })
    upstream = await startUpstream(async (_, response) => {
      await sleep(300)
      sendJson(response, 200, { ok: true })
    })
    const env = {
      NITRO_REDIS_URL: redis.url,
      NITRO_KEY_FILE: join(makeDataDir(), 'vault.key'),
      NITRO_UPSTREAM_MAP: JSON.stringify({ [ORIGIN]: upstream.origin }),
    }
    servers.push(...(await Promise.all([startServer({ env }), startServer({ env })])))
    const apis = servers.map((server) => client(server.url))
    const { agent, permit } = await approvedAgent(apis[0], [SLOW])

    const acknowledged: Array<{ id: string; statusUrl: string }> = []
    const refusals: Array<{ status: number; code: string; retryAfter: string | null }> = []
    let loading = true
    const load = async (api: Client) => {
      // A request that hung would stop its loop, and the test with it: each must be answered.
      while (loading) {
        const reply = await api.post(
          '/execute',
          { permit_id: permit.permit_id, code: 'await ping(); return 1' },
          { token: agent.token },
        )
        if (reply.status === 202) {
          acknowledged.push({ id: reply.body.request_id, statusUrl: reply.body.status_url })
        } else {
          refusals.push({
            status: reply.status,
            code: reply.body.code,
            retryAfter: reply.headers.get('retry-after'),
          })
        }
        await sleep(40)
      }
    }
    const loops = apis.map(load)
    await sleep(800)
    const beforeOutage = acknowledged.length

    await redis.stop()
    await sleep(300)
    for (const api of apis) {
      const ready = await api.get('/ready')
      expect(ready.status).toBe(503)
      expect(ready.body).toMatchObject({ status: 'unready', store: 'unavailable' })
      expect((await api.get('/health')).status).toBe(200)
    }
    await sleep(2_500)
    await redis.restart()
    await sleep(1_000)
    loading = false
    await Promise.all(loops)

    expect(beforeOutage).toBeGreaterThan(0)
    expect(refusals.length, 'the outage refused nothing: it was not an outage').toBeGreaterThan(0)
    for (const refusal of refusals) {
      expect(refusal).toMatchObject({ status: 503, code: 'STORE_UNAVAILABLE' })
      expect(Number(refusal.retryAfter)).toBeGreaterThan(0)
    }

    // Every acknowledged execution reaches a stored terminal state, read from either instance.
    const ends = await Promise.all(
      acknowledged.map(async ({ statusUrl }, i) => {
        const reply = await apis[i % 2].get(`${pathOf(statusUrl)}&timeout=30000`, {
          token: agent.token,
        })
        expect(reply.status, reply.text).toBe(200)
        return reply.body.status as string
      }),
    )
    expect(ends.filter((status) => status !== 'completed' && status !== 'failed')).toEqual([])
    console.log(
      `outage under load: ${acknowledged.length} acknowledged (${beforeOutage} before the outage), ` +
        `${ends.filter((status) => status === 'completed').length} completed, ${refusals.length} refused with 503`,
    )
    for (const api of apis) expect((await api.get('/ready')).status).toBe(200)
    for (const server of servers) {
      expect(server.child.exitCode).toBeNull()
      expect(server.logs()).not.toMatch(/uncaught|unhandled|\[oauth3\] (POST|GET) .* failed/i)
    }
  })
})
