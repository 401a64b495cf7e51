/**
 * GET /execute/:id/events over real HTTP: output arrives while the execution is still running
 * (the upstream its call waits on is held open by the test until the first line was seen), then
 * the call (redacted), the rest of the output and `end` with the receipt; a late subscriber gets
 * the whole story; the status link's token works; another tenant gets 404; reconnects racing the
 * end each get the rest in order.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { approvedAgent } from './helpers/exec'
import { signup } from './helpers/flow'
import { client } from './helpers/http'
import { useTestServer } from './helpers/server'
import { sendJson, startUpstream, type Upstream, createGate } from './helpers/upstream'

interface ServerEvent {
  event: string
  data: unknown
  id?: string
}

/**
 * Read a text/event-stream until it ends — or until `onEvent` answers 'stop', when the connection
 * is dropped as a network failure would — handing each event to `onEvent` as it arrives.
 */
async function readEvents(
  url: string,
  headers: Record<string, string>,
  onEvent: (event: ServerEvent) => void | 'stop' = () => {},
): Promise<ServerEvent[]> {
  const abort = new AbortController()
  const response = await fetch(url, {
    headers: { accept: 'text/event-stream', ...headers },
    signal: abort.signal,
  })
  expect(response.status).toBe(200)
  expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/)
  const events: ServerEvent[] = []
  let stopped = false
  const decoder = new TextDecoder()
  let buffer = ''
  for await (const chunk of response.body!) {
    buffer += decoder.decode(chunk, { stream: true })
    let end: number
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end)
      buffer = buffer.slice(end + 2)
      const name = /^event: (.*)$/m.exec(block)?.[1] ?? 'message'
      const data = /^data: (.*)$/m.exec(block)?.[1]
      const id = /^id: (.*)$/m.exec(block)?.[1]
      if (data === undefined || name === 'ping') continue
      const event = { event: name, data: JSON.parse(data), ...(id ? { id } : {}) }
      events.push(event)
      if (onEvent(event) === 'stop') {
        // Leaving the loop cancels the body; the abort then drops the connection itself.
        stopped = true
        break
      }
    }
    if (stopped) break
  }
  if (stopped) abort.abort()
  return events
}

/** One gate per item the upstream serves: each execution's call waits on its own. */
const gates = new Map<string, ReturnType<typeof createGate>>()
function gateOf(item: string) {
  let gate = gates.get(item)
  if (!gate) gates.set(item, (gate = createGate()))
  return gate
}
let upstream: Upstream
beforeAll(async () => {
  upstream = await startUpstream(async (request, response) => {
    // Held until the test has seen the first line on the event stream.
    await gateOf(request.url!.split('/').at(-1)!).pass()
    sendJson(response, 200, { echoed: request.url, token: request.headers.authorization })
  })
})
afterAll(() => upstream?.close())
const server = useTestServer(() => ({
  env: { NITRO_UPSTREAM_MAP: JSON.stringify({ 'https://slow.example.com': upstream.origin }) },
}))
const api = client(() => server.url)

const SLOW = {
  name: 'slow.fetch',
  endpoint: 'https://slow.example.com/items/{id}',
  method: 'GET',
  auth: { header: 'Authorization', value: 'Bearer {SLOW_TOKEN}' },
  params: { id: { in: 'path' } },
}

describe('GET /execute/:id/events', () => {
  it('streams output while the execution runs, then the call, then the end with its receipt', async () => {
    const { agent, permit } = await approvedAgent(api, [SLOW], { SLOW_TOKEN: 'tok_live_secret' })
    const submitted = await api.post(
      '/execute',
      {
        permit_id: permit.permit_id,
        code: 'console.log("before"); const r = await fetch("7"); console.log("after", r.echoed); return r.token',
      },
      { token: agent.token },
    )
    expect(submitted.status).toBe(202)
    const id = submitted.body.request_id
    const seenBeforeRelease: string[] = []
    let released = false
    const events = await readEvents(
      `${server.url}/execute/${id}/events`,
      { authorization: `Bearer ${agent.token}` },
      (event) => {
        if (!released) seenBeforeRelease.push(event.event)
        if (event.event === 'stdout' && event.data === 'before\n') {
          released = true
          gateOf('7').release()
        }
      },
    )
    // The first line came while the call was still waiting on the upstream.
    expect(seenBeforeRelease).toEqual(['stdout'])
    expect(events.map((event) => event.event)).toEqual(['stdout', 'call', 'stdout', 'end'])
    expect(events[1].data).toMatchObject({
      capability: 'slow.fetch',
      method: 'GET',
      url: 'slow.example.com/items/7',
      status: 200,
    })
    expect(events[2].data).toBe('after /items/7\n')
    const end = events[3].data as Record<string, any>
    expect(end.status).toBe('completed')
    expect(end.result.value).toBe('[REDACTED]')
    expect(end.result.receipt.request_id).toBe(id)
    expect(JSON.stringify(events)).not.toContain('tok_live_secret')

    // A late subscriber gets the whole story at once.
    const late = await readEvents(`${server.url}/execute/${id}/events`, {
      authorization: `Bearer ${agent.token}`,
    })
    expect(late.map((event) => event.event)).toEqual(['stdout', 'call', 'stdout', 'end'])
  })

  it("works with the status link's token, and is 404 for another tenant", async () => {
    const agent = await signup(api)
    const submitted = await api.post(
      '/execute',
      { code: 'console.log("hi")' },
      { token: agent.token },
    )
    const statusUrl = new URL(submitted.body.status_url)
    const token = statusUrl.searchParams.get('token')!
    const events = await readEvents(
      `${server.url}/execute/${submitted.body.request_id}/events?token=${token}`,
      {},
    )
    expect(events.at(-1)?.event).toBe('end')
    const stranger = await signup(api)
    const refused = await api.get(`/execute/${submitted.body.request_id}/events`, {
      token: stranger.token,
    })
    expect(refused.status).toBe(404)
    expect((await api.get(`/execute/${submitted.body.request_id}/events`)).status).toBe(401)
  })

  it('a client that reconnects with Last-Event-ID gets only the rest, live or from the record', async () => {
    const { agent, permit } = await approvedAgent(api, [SLOW], { SLOW_TOKEN: 'tok_resume' })
    const submitted = await api.post(
      '/execute',
      {
        permit_id: permit.permit_id,
        code: 'console.log("before"); const r = await fetch("8"); console.log("after"); return 1',
      },
      { token: agent.token },
    )
    const id = submitted.body.request_id
    const url = `${server.url}/execute/${id}/events`
    const auth = { authorization: `Bearer ${agent.token}` }
    // Dropped after the first line, while the call still waits on the upstream.
    const first = await readEvents(url, auth, (event) =>
      event.event === 'stdout' ? 'stop' : undefined,
    )
    expect(first).toEqual([{ event: 'stdout', data: 'before\n', id: '7.0.0' }])
    gateOf('8').release()
    const resumed = await readEvents(url, { ...auth, 'last-event-id': '7.0.0' })
    expect(resumed.map((event) => event.event)).toEqual(['call', 'stdout', 'end'])
    expect(resumed.map((event) => event.id)).toEqual(['7.0.1', '13.0.1', '13.0.1'])
    expect(resumed[1].data).toBe('after\n')

    // Once the live feed is gone (5 s after the end), the record answers: from the same ids,
    // cut inside a chunk too.
    await new Promise((resolve) => setTimeout(resolve, 5_500))
    const fromRecord = await readEvents(url, { ...auth, 'last-event-id': '9.0.1' })
    // The record replays stdout before calls: the seen call is skipped after it.
    expect(fromRecord.map((event) => [event.event, event.id])).toEqual([
      ['stdout', '13.0.0'],
      ['end', '13.0.1'],
    ])
    expect(fromRecord[0].data).toBe('ter\n')
    const whole = await readEvents(url, { ...auth, 'last-event-id': 'not-an-id' })
    expect(whole.map((event) => event.event)).toEqual(['stdout', 'call', 'end'])
    expect(whole[0].data).toBe('before\nafter\n')
  }, 30_000)

  it('reconnects racing the end: each gets the rest in order, none the end alone', async () => {
    // The end is stored before it reaches the live feed: a reconnect in between once got the
    // end without the events before it. Many at once, each released as it reconnects.
    const { agent, permit } = await approvedAgent(api, [SLOW], { SLOW_TOKEN: 'tok_race' })
    const auth = { authorization: `Bearer ${agent.token}` }
    const race = async (item: number) => {
      const submitted = await api.post(
        '/execute',
        {
          permit_id: permit.permit_id,
          code: `console.log("before"); await fetch("${item}"); console.log("after")`,
        },
        { token: agent.token },
      )
      const url = `${server.url}/execute/${submitted.body.request_id}/events`
      await readEvents(url, auth, (event) => (event.event === 'stdout' ? 'stop' : undefined))
      gateOf(String(item)).release()
      const rest = await readEvents(url, { ...auth, 'last-event-id': '7.0.0' })
      return rest.map((event) => `${event.event} ${event.id}`).join(', ')
    }
    const answers = await Promise.all(Array.from({ length: 64 }, (_, i) => race(100 + i)))
    expect([...new Set(answers)]).toEqual(['call 7.0.1, stdout 13.0.1, end 13.0.1'])
  }, 60_000)

  it('a permit request id is not an execution: 404', async () => {
    const agent = await signup(api)
    const permit = await api.post(
      '/permit',
      { description: 'x', capabilities: [SLOW] },
      { token: agent.token },
    )
    const reply = await api.get(`/execute/${permit.body.request_id}/events`, { token: agent.token })
    expect(reply.status).toBe(404)
  })
})
