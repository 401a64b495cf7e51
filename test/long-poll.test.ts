/**
 * GET /execute/:id/status?wait=true over real sockets: wake latency, timeouts, waiter clean-up on
 * disconnect (RL-06) and the per-tenant cap on polls held open (RS-12).
 */
import { describe, expect, it } from 'vitest'
import { client } from './helpers/http'
import { decide, pathOf, requestPermit, signup } from './helpers/flow'
import { useTestServer } from './helpers/server'

const server = useTestServer()
const api = client(() => server.url)

const longPolls = async () => (await api.get('/health')).body.long_polls as number

async function waitUntil(check: () => Promise<boolean>, ms = 5000) {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (await check()) return
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  throw new Error('condition not reached')
}

describe('long-poll', () => {
  it('a waiting poll is woken by the decision', async () => {
    const agent = await signup(api)
    const owner = await signup(api, 'owner')
    const permit = await requestPermit(api, agent.token)
    const latencies: number[] = []
    for (let round = 0; round < 5; round++) {
      const next = round === 0 ? permit : await requestPermit(api, agent.token)
      const poll = api
        .get(pathOf(next.status_url), { token: agent.token })
        .then((reply) => ({ reply, at: performance.now() }))
      await waitUntil(async () => (await longPolls()) >= 1)
      const decidedAt = performance.now()
      expect((await decide(api, owner.token, next)).status).toBe(200)
      const { reply, at } = await poll
      expect(reply.body).toMatchObject({
        request_id: next.request_id,
        status: 'completed',
        permit_id: next.permit_id,
      })
      latencies.push(at - decidedAt)
    }
    // Woken by the decision: its own timeout is 120 s, twice this test's. How fast is a
    // benchmark figure, not a test bound.
    console.log(
      `long-poll wake latency (ms, decision sent → poll answered): ${latencies.map((ms) => ms.toFixed(1)).join(', ')}`,
    )
  })

  it('timeout=500 returns the pending state, not before 500 ms', async () => {
    const agent = await signup(api)
    const permit = await requestPermit(api, agent.token)
    const started = performance.now()
    const reply = await api.get(`/execute/${permit.request_id}/status?wait=true&timeout=500`, {
      token: agent.token,
    })
    const elapsed = performance.now() - started
    expect(reply.body.status).toBe('pending')
    expect(elapsed).toBeGreaterThanOrEqual(490)
  })

  it('without wait it answers at once; a terminal state answers at once even with wait', async () => {
    const agent = await signup(api)
    const owner = await signup(api, 'owner')
    const permit = await requestPermit(api, agent.token)
    const now = await api.get(`/execute/${permit.request_id}/status`, { token: agent.token })
    expect(now.body).toEqual({
      request_id: permit.request_id,
      status: 'pending',
      permit_id: permit.permit_id,
      created_at: expect.any(Number),
    })
    await decide(api, owner.token, permit, 'deny')
    // status_url waits up to 120 s, twice this test's own limit: only an answer at once passes.
    const done = await api.get(pathOf(permit.status_url), { token: agent.token })
    expect(done.body.status).toBe('denied')
    expect(done.body.finished_at).toEqual(expect.any(Number))
    // The owner who decided may poll too.
    expect((await api.get(pathOf(permit.status_url), { token: owner.token })).body.status).toBe(
      'denied',
    )
  })

  it('refuses bad wait and timeout values', async () => {
    const agent = await signup(api)
    const permit = await requestPermit(api, agent.token)
    for (const query of [
      'wait=maybe',
      'wait=true&timeout=-1',
      'wait=true&timeout=abc',
      'wait=true&wait=false',
    ]) {
      expect(
        (await api.get(`/execute/${permit.request_id}/status?${query}`, { token: agent.token }))
          .status,
        query,
      ).toBe(400)
    }
    expect(
      (await api.get('/execute/exec_000000000000000000000000/status', { token: agent.token }))
        .status,
    ).toBe(404)
    expect((await api.get('/execute/nonsense/status', { token: agent.token })).status).toBe(404)
  })

  it('RL-06: after 1,000 polls that disconnect early, no waiter is left', async () => {
    const agents = await Promise.all(Array.from({ length: 4 }, () => signup(api)))
    const permits = await Promise.all(agents.map((agent) => requestPermit(api, agent.token)))
    let done = 0
    while (done < 1000) {
      const batch = Array.from({ length: 50 }, (_, i) => {
        const agent = agents[i % agents.length]
        const permit = permits[i % permits.length]
        const abort = new AbortController()
        setTimeout(() => abort.abort(), 30 + (i % 10))
        return api
          .get(pathOf(permit.status_url), { token: agent.token, signal: abort.signal })
          .catch((error) => error)
      })
      const results = await Promise.all(batch)
      expect(
        results.every((result) => result instanceof Error && result.name === 'AbortError'),
      ).toBe(true)
      done += batch.length
    }
    await waitUntil(async () => (await longPolls()) === 0)
    expect(await longPolls()).toBe(0)
  })

  it('RS-12: one tenant holding too many polls gets 429 with Retry-After; others are unaffected', async () => {
    const agent = await signup(api)
    const other = await signup(api)
    const permit = await requestPermit(api, agent.token)
    const otherPermit = await requestPermit(api, other.token)
    const abort = new AbortController()
    const held = Array.from({ length: 100 }, () =>
      api
        .get(pathOf(permit.status_url), { token: agent.token, signal: abort.signal })
        .catch(() => null),
    )
    await waitUntil(async () => (await longPolls()) >= 100)
    const refused = await api.get(pathOf(permit.status_url), { token: agent.token })
    expect(refused.status).toBe(429)
    expect(refused.body.code).toBe('TOO_MANY_LONG_POLLS')
    expect(refused.headers.get('retry-after')).toBe('1')
    const fine = await api.get(`/execute/${otherPermit.request_id}/status?wait=true&timeout=50`, {
      token: other.token,
    })
    expect(fine.status).toBe(200)
    abort.abort()
    await Promise.all(held)
    await waitUntil(async () => (await longPolls()) === 0)
  })

  it('rule 24: inline waits, idempotent replays included, count against the same per-token cap', async () => {
    const agent = await signup(api)
    const abort = new AbortController()
    const answers: Array<{ status: number; body: any; headers: Headers }> = []
    // One execution that does not end; 150 waits on it through one Idempotency-Key.
    const requests = Array.from({ length: 150 }, () =>
      api
        .post(
          '/execute',
          { code: 'for (;;) {}' },
          {
            token: agent.token,
            headers: { prefer: 'wait=60', 'idempotency-key': 'one-key' },
            signal: abort.signal,
          },
        )
        .then((reply) => answers.push(reply))
        .catch((error: Error) => {
          if (error.name !== 'AbortError') throw error
        }),
    )
    await waitUntil(async () => answers.length >= 50, 30_000)
    await waitUntil(async () => (await longPolls()) >= 100, 30_000)
    // Past the cap a wait is not held: the accepted answer at once, the preference not applied.
    expect(answers).toHaveLength(50)
    for (const answer of answers) {
      expect(answer.status).toBe(202)
      expect(answer.headers.get('preference-applied')).toBeNull()
    }
    expect(new Set(answers.map((answer) => answer.body.request_id)).size).toBe(1)
    // Every slot is taken by inline waits: a long-poll of the same token is refused.
    const id = answers[0].body.request_id
    const refused = await api.get(`/execute/${id}/status?wait=true`, { token: agent.token })
    expect(refused.status).toBe(429)
    expect(refused.body.code).toBe('TOO_MANY_LONG_POLLS')
    abort.abort()
    await Promise.all(requests)
    await waitUntil(async () => (await longPolls()) === 0, 30_000)
  })
})
