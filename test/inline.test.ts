/**
 * Inline results: `POST /execute` with `Prefer: wait=N` (RFC 7240) answers 200 with the terminal
 * status — the same body a status read gives, plus status_url — when the execution ends within N
 * seconds, and 202 exactly as without it otherwise. Malformed preferences are ignored; N is capped
 * at 60; a retry with the same idempotency key gets the same execution.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { approvedAgent } from './helpers/exec'
import { pathOf, signup } from './helpers/flow'
import { client } from './helpers/http'
import { useTestServer } from './helpers/server'
import { sendJson, startUpstream, type Upstream } from './helpers/upstream'

const ORIGIN = 'https://api.inline.example.com'
const SLOW = { name: 'inline.slow', endpoint: `${ORIGIN}/slow`, method: 'GET' }
let upstream: Upstream

beforeAll(async () => {
  upstream = await startUpstream(async (_, response) => {
    await new Promise((resolve) => setTimeout(resolve, 2_500))
    sendJson(response, 200, { ok: true })
  })
})
afterAll(() => upstream?.close())

describe('POST /execute with Prefer: wait=N', () => {
  const server = useTestServer(() => ({
    env: { NITRO_UPSTREAM_MAP: JSON.stringify({ [ORIGIN]: upstream.origin }) },
  }))
  const api = client(() => server.url)
  const prefer = (value: string) => ({ headers: { prefer: value } })

  it('answers 200 with the terminal status and status_url when it ends in time', async () => {
    const agent = await signup(api)
    const reply = await api.post(
      '/execute',
      { code: 'console.log("hi"); return 42' },
      { token: agent.token, ...prefer('wait=10') },
    )
    expect(reply.status).toBe(200)
    expect(reply.headers.get('preference-applied')).toBe('wait=10')
    expect(reply.body).toMatchObject({
      status: 'completed',
      result: { success: true, stdout: 'hi\n', value: 42, receipt: expect.any(Object) },
    })
    // The same body as the status read, plus status_url.
    const read = await api.get(pathOf(reply.body.status_url), { token: agent.token })
    expect({ ...read.body, status_url: reply.body.status_url }).toEqual(reply.body)
  })

  it('a failed execution is a terminal state too: 200, status failed', async () => {
    const agent = await signup(api)
    const reply = await api.post(
      '/execute',
      { code: 'throw new Error("nope")' },
      { token: agent.token, ...prefer('respond-async, wait=5') },
    )
    expect(reply.status).toBe(200)
    expect(reply.body).toMatchObject({ status: 'failed', error: expect.stringMatching(/nope/) })
  })

  it('answers 202 as without the header when it does not end within N seconds', async () => {
    const { agent, permit } = await approvedAgent(api, [SLOW])
    const started = performance.now()
    const reply = await api.post(
      '/execute',
      { permit_id: permit.permit_id, code: 'await slow(); return 1' },
      { token: agent.token, ...prefer('wait=1') },
    )
    const waited = performance.now() - started
    expect(reply.status).toBe(202)
    expect(reply.headers.get('preference-applied')).toBeNull()
    expect(reply.body).toEqual({
      request_id: expect.stringMatching(/^exec_/),
      status: 'approved',
      permit_id: permit.permit_id,
      status_url: expect.any(String),
    })
    expect(waited).toBeGreaterThanOrEqual(900)
    const done = await api.get(pathOf(reply.body.status_url), { token: agent.token })
    expect(done.body.status).toBe('completed')
  })

  it('ignores malformed preferences, caps N at 60, and keeps idempotency', async () => {
    const agent = await signup(api)
    for (const value of ['wait=abc', 'wait=-1', 'wait', 'wait=0', 'nonsense;x=1']) {
      const reply = await api.post(
        '/execute',
        { code: 'return 1' },
        {
          token: agent.token,
          ...prefer(value),
        },
      )
      expect(reply.status, value).toBe(202)
    }
    const capped = await api.post(
      '/execute',
      { code: 'return 1' },
      {
        token: agent.token,
        ...prefer('wait=999'),
      },
    )
    expect(capped.status).toBe(200)
    expect(capped.headers.get('preference-applied')).toBe('wait=60')

    const keyed = { token: agent.token, headers: { prefer: 'wait=10', 'idempotency-key': 'k-1' } }
    const first = await api.post('/execute', { code: 'return 7' }, keyed)
    const again = await api.post('/execute', { code: 'return 7' }, keyed)
    expect([first.status, again.status]).toEqual([200, 200])
    expect(again.body.request_id).toBe(first.body.request_id)
    expect(again.body.result.value).toBe(7)
  })
})
