/**
 * Scaled out: two server processes sharing one Redis. Decisions stay atomic across processes,
 * and a long-poll on one process wakes when the other decides (pub/sub).
 */
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { client, type Client } from './helpers/http'
import { decide, pathOf, requestPermit, signup } from './helpers/flow'
import { dropRedisPrefix } from './helpers/redis'
import { makeDataDir, startServer, type RunningServer } from './helpers/server'

const REDIS_URL = process.env.REDIS_URL
const skip = REDIS_URL ? undefined : 'REDIS_URL is not set (bash .ci/run sets it)'

describe.skipIf(skip)(`two servers on one Redis${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let one: RunningServer
  let two: RunningServer
  let apiOne: Client
  let apiTwo: Client
  const prefix = `test-${randomBytes(6).toString('hex')}`

  beforeAll(async () => {
    const keyDir = makeDataDir()
    const env = {
      NITRO_REDIS_URL: REDIS_URL!,
      NITRO_REDIS_PREFIX: prefix,
      NITRO_KEY_FILE: `${keyDir}/vault.key`,
    }
    ;[one, two] = await Promise.all([startServer({ env }), startServer({ env })])
    apiOne = client(one.url)
    apiTwo = client(two.url)
  })
  afterAll(async () => {
    await Promise.all([one?.stop(), two?.stop()])
    await dropRedisPrefix(REDIS_URL!, prefix)
  })

  it('reports the redis store', async () => {
    expect((await apiOne.get('/health')).body.store).toBe('redis')
  })

  it('state written on one is read on the other', async () => {
    const agent = await signup(apiOne)
    expect((await apiTwo.get('/me', { token: agent.token })).body.tenant_id).toBe(agent.tenant_id)
    const owner = await signup(apiTwo, 'owner')
    await apiOne.post('/secrets', { name: 'GH_TOKEN', value: 'ghp_shared' }, { token: owner.token })
    expect((await apiTwo.get('/secrets', { token: owner.token })).body.secrets).toEqual([
      'GH_TOKEN',
    ])
  })

  it('50 concurrent approve/deny calls split across both processes: exactly one decision', async () => {
    const agent = await signup(apiOne)
    const owner = await signup(apiTwo, 'owner')
    const permit = await requestPermit(apiOne, agent.token)
    const replies = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        decide(i % 2 ? apiOne : apiTwo, owner.token, permit, i % 3 ? 'approve' : 'deny'),
      ),
    )
    expect(replies.filter((reply) => reply.status === 200)).toHaveLength(1)
    expect(replies.filter((reply) => reply.status === 409)).toHaveLength(49)
  })

  it('a long-poll on one process wakes within 100 ms of a decision on the other', async () => {
    const agent = await signup(apiOne)
    const owner = await signup(apiOne, 'owner')
    const permit = await requestPermit(apiOne, agent.token)
    const poll = apiOne
      .get(pathOf(permit.status_url), { token: agent.token })
      .then((reply) => ({ reply, at: performance.now() }))
    for (let i = 0; i < 100 && (await apiOne.get('/health')).body.long_polls < 1; i++)
      await new Promise((resolve) => setTimeout(resolve, 20))
    const decidedAt = performance.now()
    expect((await decide(apiTwo, owner.token, permit)).status).toBe(200)
    const { reply, at } = await poll
    expect(reply.body.status).toBe('completed')
    console.log(`cross-process long-poll wake latency: ${(at - decidedAt).toFixed(1)} ms`)
    expect(at - decidedAt).toBeLessThan(100)
  })
})
