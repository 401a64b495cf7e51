/**
 * SIGTERM: the server stops taking work, answers every open long-poll at once with the current
 * state (the client polls again elsewhere), lets the running execution finish within the grace
 * period, fails the queued one as `shutdown`, and exits as soon as it ended — not after the
 * long-polls' own timeouts nor the grace. The running execution's call is held by a gate, so
 * "at once" is an order: the polls are answered while the call is still held.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { approvedAgent } from './helpers/exec'
import { pathOf, requestPermit, signup } from './helpers/flow'
import { client } from './helpers/http'
import { makeDataDir, startServer, type RunningServer } from './helpers/server'
import { createGate, sendJson, startUpstream, type Upstream } from './helpers/upstream'

const ORIGIN = 'https://api.stopping.example.com'
const SLOW = { name: 'stop.slow', endpoint: `${ORIGIN}/slow`, method: 'GET' }
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('SIGTERM', () => {
  let upstream: Upstream
  let server: RunningServer | undefined
  const dataDir = makeDataDir()
  const env = () => ({
    NITRO_UPSTREAM_MAP: JSON.stringify({ [ORIGIN]: upstream.origin }),
    NITRO_SANDBOX_POOL_SIZE: '1',
    // Longer than this test may run: exiting at the end of the grace would fail it.
    NITRO_SHUTDOWN_GRACE_SECONDS: '90',
  })
  const gate = createGate()

  beforeAll(async () => {
    upstream = await startUpstream(async (_, response) => {
      await gate.pass()
      sendJson(response, 200, { ok: true })
    })
  })
  afterAll(async () => {
    await server?.stop()
    await upstream?.close()
  })

  it('answers open long-polls at once, finishes the running execution, fails the queued one, exits', async () => {
    server = await startServer({ dataDir, env: env() })
    const api = client(server.url)
    const { agent, permit } = await approvedAgent(api, [SLOW])
    const waiting = await signup(api)
    const pending = await requestPermit(api, waiting.token)

    const code = 'await slow(); return "done"'
    const running = await api.post(
      '/execute',
      { permit_id: permit.permit_id, code },
      {
        token: agent.token,
      },
    )
    const queued = await api.post(
      '/execute',
      { permit_id: permit.permit_id, code },
      {
        token: agent.token,
      },
    )
    expect([running.status, queued.status]).toEqual([202, 202])
    while (upstream.seen.length === 0) await sleep(20)

    const polls = [
      api.get(`${pathOf(pending.status_url)}&timeout=60000`, { token: waiting.token }),
      api.get(`${pathOf(running.body.status_url)}&timeout=60000`, { token: agent.token }),
    ]
    while ((await api.get('/health')).body.long_polls < 2) await sleep(20)
    let exitedAt = 0
    const exited = new Promise((resolve) => server!.child.once('exit', resolve)).then(
      () => (exitedAt = performance.now()),
    )
    server.child.kill('SIGTERM')
    const [permitPoll, executionPoll] = await Promise.all(polls)

    // Answered at once with the state as it was (still pending, still running), while the
    // running execution's call is still held and the process still runs.
    expect(permitPoll.status).toBe(200)
    expect(permitPoll.body.status).toBe('pending')
    expect(executionPoll.body.status).toMatch(/^(approved|executing)$/)
    expect(exitedAt).toBe(0)
    // The process waits for the running execution (its grace is 90 s), then leaves once it ended.
    await sleep(300)
    expect(exitedAt).toBe(0)
    const releasedAt = performance.now()
    gate.release()
    await exited
    expect(exitedAt).toBeGreaterThan(releasedAt)
    expect(server.logs()).not.toMatch(/uncaught|unhandled|force exiting/i)

    // Restarted on the same data: the running one completed, the queued one failed as shutdown.
    server = await startServer({ dataDir, env: env() })
    const restarted = client(server.url)
    const first = await restarted.get(pathOf(running.body.status_url), { token: agent.token })
    expect(first.body).toMatchObject({ status: 'completed', result: { value: 'done' } })
    const second = await restarted.get(pathOf(queued.body.status_url), { token: agent.token })
    expect(second.body).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/^shutdown/),
    })
    expect(upstream.seen.length).toBe(1)
  }, 60_000)
})
