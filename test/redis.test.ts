/**
 * Scaled out: two server processes sharing one Redis. Decisions stay atomic across processes —
 * where requests really interleave, only the winning decision writes anything (rule 12) — and a
 * long-poll on one process wakes when the other decides (pub/sub).
 */
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { client, type Client } from './helpers/http'
import { execute } from './helpers/exec'
import { decide, pathOf, requestPermit, signup } from './helpers/flow'
import { dropRedisPrefix } from './helpers/redis'
import { makeDataDir, startServer, type RunningServer } from './helpers/server'
import { sendJson, startUpstream, type Upstream } from './helpers/upstream'

const REDIS_URL = process.env.REDIS_URL
const ORIGIN = 'https://api.race.example.com'
const ECHO = {
  name: 'race.echo',
  endpoint: `${ORIGIN}/echo`,
  method: 'GET',
  auth: { header: 'X-Api-Key', value: '{GW_KEY}' },
}
const skip = REDIS_URL ? undefined : 'REDIS_URL is not set (bash .ci/run sets it)'

describe.skipIf(skip)(`two servers on one Redis${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let one: RunningServer
  let two: RunningServer
  let apiOne: Client
  let apiTwo: Client
  const prefix = `test-${randomBytes(6).toString('hex')}`

  let upstream: Upstream

  beforeAll(async () => {
    upstream = await startUpstream((request, response) =>
      sendJson(response, 200, { key: request.headers['x-api-key'] ?? null }),
    )
    const keyDir = makeDataDir()
    const env = {
      NITRO_REDIS_URL: REDIS_URL!,
      NITRO_REDIS_PREFIX: prefix,
      NITRO_KEY_FILE: `${keyDir}/vault.key`,
      NITRO_UPSTREAM_MAP: JSON.stringify({ [ORIGIN]: upstream.origin }),
    }
    ;[one, two] = await Promise.all([startServer({ env }), startServer({ env })])
    apiOne = client(one.url)
    apiTwo = client(two.url)
  })
  afterAll(async () => {
    await Promise.all([one?.stop(), two?.stop()])
    await upstream?.close()
    await dropRedisPrefix(REDIS_URL!, prefix)
  })

  /** The value of GW_KEY the owner's vault holds now, as an approved permit sends it upstream. */
  async function keySent(owner: { token: string }, agentToken: string) {
    const permit = await requestPermit(apiOne, agentToken, {
      description: 'probe',
      capabilities: [ECHO],
    })
    expect((await decide(apiTwo, owner.token, permit)).status).toBe(200)
    const done = await execute(apiOne, agentToken, {
      permit_id: permit.permit_id,
      code: 'return await echo()',
    })
    expect(done.status, JSON.stringify(done)).toBe('completed')
    return upstream.seen.at(-1)!.headers['x-api-key'] as string | undefined
  }

  it('rule 12: of two racing decisions across the processes, only the winner writes anything (20 rounds)', async () => {
    for (let round = 0; round < 20; round++) {
      // Two approvals giving different secrets: the vault holds the winner's.
      const agent = await signup(apiOne)
      const owner = await signup(apiTwo, 'owner')
      const permit = await requestPermit(apiOne, agent.token, {
        description: 'race',
        capabilities: [ECHO],
      })
      const values = [`v1-${round}-secret-value`, `v2-${round}-secret-value`]
      const replies = await Promise.all(
        values.map((value, i) =>
          decide(i ? apiTwo : apiOne, owner.token, permit, 'approve', {
            secrets: { GW_KEY: value },
          }),
        ),
      )
      expect(replies.map((reply) => reply.status).sort()).toEqual([200, 409])
      expect(await keySent(owner, agent.token)).toBe(
        values[replies.findIndex((r) => r.status === 200)],
      )

      // An approval giving a new secret against a deny: a winning deny leaves the old one.
      const before = await requestPermit(apiOne, agent.token, {
        description: 'race',
        capabilities: [ECHO],
      })
      const [approved, denied] = await Promise.all([
        decide(apiOne, owner.token, before, 'approve', {
          secrets: { GW_KEY: `new-${round}-secret` },
        }),
        decide(apiTwo, owner.token, before, 'deny'),
      ])
      expect([approved.status, denied.status].sort()).toEqual([200, 409])
      const winnerValue = values[replies.findIndex((r) => r.status === 200)]
      expect(await keySent(owner, agent.token)).toBe(
        approved.status === 200 ? `new-${round}-secret` : winnerValue,
      )

      // Two owners on an unbound agent's request, one approving, one denying: the binding follows
      // the winner, and a winning deny binds no one.
      const unbound = await signup(apiOne)
      const [ownerA, ownerB] = await Promise.all([signup(apiOne, 'owner'), signup(apiTwo, 'owner')])
      const contested = await requestPermit(apiOne, unbound.token)
      const [byA, byB] = await Promise.all([
        decide(apiOne, ownerA.token, contested, 'approve'),
        decide(apiTwo, ownerB.token, contested, 'deny'),
      ])
      // The loser reads ALREADY_DECIDED, or NOT_YOUR_AGENT once the winner's approval bound it.
      expect([byA.status, byB.status].filter((status) => status === 200)).toHaveLength(1)
      expect([byA.status, byB.status].every((status) => [200, 403, 409].includes(status))).toBe(
        true,
      )
      const boundTo = (await apiTwo.get('/me', { token: unbound.token })).body.owner_id
      expect(boundTo).toBe(byA.status === 200 ? ownerA.tenant_id : undefined)
    }
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

  it('a long-poll on one process is woken by a decision on the other', async () => {
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
    // Woken by the decision: the poll's own timeout is 120 s, twice this test's. How fast is
    // a benchmark figure, not a test bound.
    console.log(`cross-process long-poll wake latency: ${(at - decidedAt).toFixed(1)} ms`)
  })
})
