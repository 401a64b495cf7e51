/**
 * Fair turns: two tenants flooding the queue with infinite loops do not stop a third tenant's
 * short execution. With two guests busy, it starts as soon as one guest frees, not after the
 * flooders' backlog (first come, first served made it wait for all of it).
 */
import { describe, expect, it } from 'vitest'
import { signup } from './helpers/flow'
import { client } from './helpers/http'
import { pathOf } from './helpers/flow'
import { useTestServer } from './helpers/server'

const TIME_LIMIT_MS = 1_500
const LOOPS_PER_FLOODER = 6

describe('fair scheduling across tenants', () => {
  const server = useTestServer({
    env: {
      NITRO_SANDBOX_POOL_SIZE: '2',
      NITRO_EXEC_PER_TENANT: '1',
      NITRO_EXEC_TIMEOUT_MS: String(TIME_LIMIT_MS),
    },
  })

  it("a third tenant's short execution runs as soon as a guest frees, ahead of the flooders' backlog", async () => {
    const api = client(() => server.url)
    const flooders = await Promise.all([signup(api), signup(api)])
    const quiet = await signup(api)
    const loops: Array<{ path: string; token: string }> = []
    for (let i = 0; i < LOOPS_PER_FLOODER; i++) {
      for (const flooder of flooders) {
        const reply = await api.post('/execute', { code: 'for (;;) {}' }, { token: flooder.token })
        expect(reply.status).toBe(202)
        loops.push({ path: pathOf(reply.body.status_url), token: flooder.token })
      }
    }
    const statusOf = async ({ path, token }: { path: string; token: string }) =>
      (await api.get(path.replace('wait=true', 'wait=false'), { token })).body
    // Both guests are busy with loops, ten more wait.
    while ((await statusOf(loops[0])).status !== 'executing') await pause(20)
    while ((await statusOf(loops[1])).status !== 'executing') await pause(20)

    const submitted = await api.post('/execute', { code: 'return 42' }, { token: quiet.token })
    expect(submitted.status).toBe(202)
    const done = await api.get(`${pathOf(submitted.body.status_url)}&timeout=60000`, {
      token: quiet.token,
    })
    expect(done.body).toMatchObject({ status: 'completed', result: { value: 42 } })
    // Loops end only at their time limit. Fair turns: the short one took the first guest freed,
    // so at most the two loops running when it came ended before it (first come, first served
    // made it wait for all twelve).
    const loopsEndedBefore = (await Promise.all(loops.map(statusOf))).filter(
      (loop) => loop.finished_at !== undefined && loop.finished_at <= done.body.finished_at,
    )
    expect(loopsEndedBefore.length).toBeLessThanOrEqual(2)
  }, 60_000)
})

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('queue shares', () => {
  const QUEUE = 12
  const server = useTestServer({
    env: {
      NITRO_SANDBOX_POOL_SIZE: '2',
      NITRO_EXEC_PER_TENANT: '1',
      NITRO_EXEC_QUEUE_MAX: String(QUEUE),
      NITRO_EXEC_TIMEOUT_MS: '1000',
    },
  })

  it('two tenants flooding the queue cannot lock a third out: it is accepted at once, and they get the 429', async () => {
    const api = client(() => server.url)
    const flooders = await Promise.all([signup(api), signup(api)])
    const quiet = await signup(api)
    let flooding = true
    const refusals: Array<{ reason: string; retryAfter: number }> = []
    const accepted = [0, 0]
    // Each flooder resubmits an endless loop 20 ms after each refusal, and at once after a success.
    const floods = flooders.map(async (flooder, i) => {
      while (flooding) {
        const reply = await api.post('/execute', { code: 'for (;;) {}' }, { token: flooder.token })
        if (reply.status === 202) {
          accepted[i]++
          continue
        }
        expect(reply.status).toBe(429)
        expect(reply.body.code).toBe('OVERLOADED')
        refusals.push({
          reason: reply.body.details.reason,
          retryAfter: Number(reply.headers.get('retry-after')),
        })
        await pause(20)
      }
    })
    // Both are refused: each holds all it may.
    while (refusals.length < 10) await pause(20)
    const submitted = await api.post('/execute', { code: 'return 42' }, { token: quiet.token })
    flooding = false
    await Promise.all(floods)
    expect(submitted.status, submitted.text).toBe(202)
    // The flooders were refused for their share, never the queue as a whole; with Retry-After
    // from their own backlog (a tenant's guest works through it one loop at a time).
    expect(new Set(refusals.map((refusal) => refusal.reason))).toEqual(new Set(['tenant_share']))
    for (const refusal of refusals) expect(refusal.retryAfter).toBeGreaterThanOrEqual(1)
    for (const count of accepted) expect(count).toBeGreaterThan(0)
    const done = await api.get(`${pathOf(submitted.body.status_url)}&timeout=60000`, {
      token: quiet.token,
    })
    expect(done.body).toMatchObject({ status: 'completed', result: { value: 42 } })
  }, 90_000)
})
