/**
 * What an operator works with: a start that fails says why in one line and exits 1 (and never
 * says "Listening"); one log line per request and per execution, with the request id and never a
 * secret, token or code; request ids echoed in answers and error bodies; Prometheus metrics on a
 * port of their own; client addresses believed from trusted proxies only.
 */
import { createServer, type Server } from 'node:net'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { approvedAgent } from './helpers/exec'
import { GITHUB_CAPABILITY, pathOf, signup } from './helpers/flow'
import { insideOneClockMinute } from './helpers/clock-minute'
import { client } from './helpers/http'
import {
  freePort,
  logLines,
  makeDataDir,
  runUntilExit,
  startServer,
  useTestServer,
} from './helpers/server'
import { fakeGithub, startUpstream, type Upstream } from './helpers/upstream'

const REDIS_URL = process.env.REDIS_URL

/** Exit 1, one fatal line naming `setting`, no stack trace, never "Listening". */
function expectFailedStart(
  result: { code: number | null; output: string },
  setting: string,
  cause: RegExp,
) {
  expect(result.code, result.output).toBe(1)
  const fatal = logLines(result.output).filter((line) => line.level === 'fatal')
  expect(fatal, result.output).toHaveLength(1)
  expect(fatal[0].msg).toContain(setting)
  expect(fatal[0].msg).toMatch(cause)
  expect(fatal[0].msg).not.toContain('\n')
  expect(result.output).not.toMatch(/\n\s+at /)
  expect(result.output).not.toContain('Listening on')
}

describe('a start that cannot succeed', () => {
  let taken: Server
  beforeAll(async () => {
    taken = createServer()
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve))
  })
  afterAll(() => taken.close())

  it('a taken port: exit 1, one line naming PORT and EADDRINUSE', async () => {
    const port = String((taken.address() as { port: number }).port)
    const result = await runUntilExit({ PORT: port, HOST: '127.0.0.1' })
    expectFailedStart(result, `PORT ${port}`, /EADDRINUSE/)
  })

  it('a port that is not one, a host that is not this machine, a host that does not resolve', async () => {
    expectFailedStart(await runUntilExit({ PORT: 'notaport' }), 'PORT', /port number/)
    expectFailedStart(await runUntilExit({ PORT: '70000' }), 'PORT', /port number/)
    // 192.0.2.1 is TEST-NET-1: documentation only, never an interface of this machine.
    expectFailedStart(await runUntilExit({ HOST: '192.0.2.1' }), 'HOST 192.0.2.1', /EADDRNOTAVAIL/)
    expectFailedStart(
      await runUntilExit({ HOST: 'no-such-host.invalid' }),
      'HOST no-such-host.invalid',
      /ENOTFOUND|EAI_AGAIN|EAI_FAIL/,
    )
    expectFailedStart(
      await runUntilExit({ HOST: 'bad host!' }),
      'HOST',
      /IP address or a host name/,
    )
  })

  it('a data folder that cannot be one, and a bad log setting', async () => {
    const file = join(makeDataDir(), 'a-file')
    writeFileSync(file, 'not a folder')
    expectFailedStart(
      await runUntilExit({ NITRO_DATA_DIR: join(file, 'data') }),
      `NITRO_DATA_DIR ${join(file, 'data')}`,
      /ENOTDIR|EEXIST/,
    )
    expectFailedStart(
      await runUntilExit({ NITRO_LOG_LEVEL: 'loud' }),
      'NITRO_LOG_LEVEL',
      /must be one of/,
    )
  })

  it('an unreachable Redis: its URL (without the password) and the cause', async () => {
    const result = await runUntilExit({ NITRO_REDIS_URL: 'redis://user:hunter2@127.0.0.1:1' })
    expectFailedStart(result, 'NITRO_REDIS_URL redis://user:***@127.0.0.1:1', /ECONNREFUSED/)
    expect(result.output).not.toContain('hunter2')
  })
})

describe('logs', () => {
  const SECRET = 'ghp_operations_secret_value_0042'
  let github: Upstream
  beforeAll(async () => {
    github = await startUpstream(fakeGithub())
  })
  afterAll(() => github?.close())
  const server = useTestServer(() => ({
    env: {
      NITRO_LOG_FORMAT: 'json',
      NITRO_UPSTREAM_MAP: JSON.stringify({ 'https://api.github.com': github.origin }),
    },
  }))
  const api = client(() => server.url)

  it('one JSON line per request and per execution: request id, tenant, route — no secret, token or code', async () => {
    const { agent, owner, permit, approvalToken } = await approvedAgent(api, [GITHUB_CAPABILITY], {
      GH_TOKEN: SECRET,
    })
    const code = `const marker = 'code-text-7f3a'; return await createIssue('ada', 'repo', 'T', 'B')`
    const submitted = await api.post(
      '/execute',
      { permit_id: permit.permit_id, code, args: { hidden: 'argument-text-91c2' } },
      { token: agent.token, headers: { 'x-request-id': 'client-chosen.id-42' } },
    )
    expect(submitted.status).toBe(202)
    expect(submitted.headers.get('x-request-id')).toBe('client-chosen.id-42')
    const done = await api.get(pathOf(submitted.body.status_url))
    expect(done.body.status).toBe('completed')
    const minted = done.headers.get('x-request-id')
    expect(minted).toMatch(/^[0-9a-f-]{36}$/)

    const lines = await waitForLines(
      server.logs,
      (all) =>
        all.some((line) => line.msg === 'execution' && line.exec_id === done.body.request_id) &&
        all.some((line) => line.req_id === minted),
    )
    const submit = lines.find((line) => line.req_id === 'client-chosen.id-42')
    expect(submit).toMatchObject({
      level: 'info',
      msg: 'request',
      method: 'POST',
      route: '/execute',
      status: 202,
      tenant: agent.tenant_id,
    })
    expect(submit!.ms).toEqual(expect.any(Number))
    // The status link's request: its route pattern, never its path (the query holds a token).
    expect(lines.find((line) => line.req_id === minted)).toMatchObject({
      route: '/execute/:id/status',
      status: 200,
    })
    expect(lines.find((line) => line.msg === 'execution')).toMatchObject({
      exec_id: done.body.request_id,
      tenant: agent.tenant_id,
      permit: permit.permit_id,
      outcome: 'completed',
      calls: 1,
    })
    const text = server.logs()
    for (const needle of [
      SECRET,
      agent.token,
      owner.token,
      approvalToken,
      'code-text-7f3a',
      'argument-text-91c2',
      new URL(submitted.body.status_url).searchParams.get('token')!,
    ])
      expect(text).not.toContain(needle)
    expect(text).toContain('"msg":"Listening on ')
  })

  it('error bodies carry the request id; an unsafe client id is replaced', async () => {
    const refused = await api.get('/me', { headers: { 'x-request-id': 'x'.repeat(129) } })
    expect(refused.status).toBe(401)
    const id = refused.headers.get('x-request-id')!
    expect(id).toMatch(/^[0-9a-f-]{36}$/)
    expect(refused.body).toMatchObject({ code: 'UNAUTHORIZED', request_id: id })
    const odd = await api.get('/nope', { headers: { 'x-request-id': 'a b\tc' } })
    expect(odd.status).toBe(404)
    expect(odd.body.request_id).toMatch(/^[0-9a-f-]{36}$/)
    const lines = await waitForLines(server.logs, (all) =>
      all.some((line) => line.req_id === odd.body.request_id),
    )
    expect(lines.find((line) => line.req_id === id)).toMatchObject({
      route: '/me',
      status: 401,
      code: 'UNAUTHORIZED',
    })
    expect(lines.find((line) => line.req_id === odd.body.request_id)).toMatchObject({
      route: 'unmatched',
      status: 404,
    })
  })

  it('NITRO_LOG_LEVEL=warn leaves out request lines; pretty text is for a person', async () => {
    const quiet = await startServer({
      port: await freePort(),
      env: { NITRO_LOG_LEVEL: 'warn', NITRO_LOG_FORMAT: 'json' },
    })
    try {
      await signup(client(quiet.url))
      await quiet.stop()
      expect(logLines(quiet.logs()).filter((line) => line.msg === 'request')).toEqual([])
    } finally {
      await quiet.stop()
    }
    const pretty = await startServer({ env: { NITRO_LOG_FORMAT: 'pretty' } })
    try {
      await signup(client(pretty.url))
      await pretty.stop()
      expect(logLines(pretty.logs())).toEqual([])
      expect(pretty.logs()).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO {2}Listening on http:\/\//m)
      expect(pretty.logs()).toMatch(/INFO {2}request .*method=POST route=\/signup status=201/)
    } finally {
      await pretty.stop()
    }
  })
})

describe('metrics', () => {
  let github: Upstream
  beforeAll(async () => {
    github = await startUpstream(fakeGithub())
  })
  afterAll(() => github?.close())
  const server = useTestServer(() => ({
    env: {
      NITRO_METRICS_PORT: '0',
      NITRO_SIGNUPS_PER_MINUTE: '3',
      NITRO_UPSTREAM_MAP: JSON.stringify({ 'https://api.github.com': github.origin }),
    },
  }))
  const api = client(() => server.url)

  it('GET /metrics on its own port: the counters move with the work done', async () => {
    const url = logLines(server.logs()).find((line) => line.metrics_url)?.metrics_url
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/)
    const scrape = async () => {
      const reply = await fetch(url)
      expect(reply.headers.get('content-type')).toMatch(/^text\/plain/)
      return parseMetrics(await reply.text())
    }
    const before = await scrape()
    expect(before['oauth3_build_info']).toBeDefined()
    expect(sample(before, 'oauth3_sandbox_guests', { state: 'idle' })).toBeGreaterThan(0)

    const { agent, permit } = await approvedAgent(api, [GITHUB_CAPABILITY], { GH_TOKEN: 'ghp_m' })
    const run = async (body: Record<string, unknown>) => {
      const reply = await api.post('/execute', body, { token: agent.token })
      return (await api.get(pathOf(reply.body.status_url))).body
    }
    expect((await run({ code: 'return 1' })).status).toBe('completed')
    expect((await run({ code: 'throw new Error("no")' })).status).toBe('failed')
    const call = await run({
      permit_id: permit.permit_id,
      code: "return await createIssue('a', 'b', 'c', 'd')",
    })
    expect(call.status).toBe('completed')
    // The signup limit (3 a minute from one address) refuses the fourth of a burst.
    await insideOneClockMinute()
    let refused = 0
    for (let i = 0; i < 4; i++) if ((await api.post('/signup', {})).status === 429) refused++
    expect(refused).toBeGreaterThan(0)

    const after = await scrape()
    const grew = (name: string, labels: Record<string, string> = {}) =>
      sample(after, name, labels) - sample(before, name, labels)
    expect(grew('oauth3_executions_total', { outcome: 'completed' })).toBe(2)
    expect(grew('oauth3_executions_total', { outcome: 'threw' })).toBe(1)
    expect(grew('oauth3_capability_calls_total', { status: '201' })).toBe(1)
    expect(grew('oauth3_upstream_duration_seconds_count')).toBe(1)
    expect(grew('oauth3_execution_duration_seconds_count')).toBe(3)
    expect(grew('oauth3_execution_queue_wait_seconds_count')).toBe(3)
    expect(grew('oauth3_rate_limited_total', { code: 'RATE_LIMITED' })).toBe(refused)
    expect(
      grew('oauth3_http_requests_total', { method: 'POST', route: '/execute', status: '202' }),
    ).toBe(3)
    expect(
      grew('oauth3_store_operation_duration_seconds_count', { operation: 'transact' }),
    ).toBeGreaterThan(0)
    expect(after['oauth3_held_requests']).toBeDefined()
    expect(after['oauth3_process_cpu_seconds_total']).toBeDefined()
    // Not on the API's port.
    expect((await api.get('/metrics')).status).toBe(404)
  })
})

describe('inline answers', () => {
  const server = useTestServer(() => ({ env: { NITRO_METRICS_PORT: '0' } }))
  const api = client(() => server.url)

  it('an inline answer comes from the end of the execution this process ran: its record is not read back', async () => {
    const url = logLines(server.logs()).find((line) => line.metrics_url)?.metrics_url
    const scrape = async () => parseMetrics(await (await fetch(url)).text())
    const completed = (samples: Samples) =>
      sample(samples, 'oauth3_executions_total', { outcome: 'completed' })
    const gets = (samples: Samples) =>
      sample(samples, 'oauth3_store_operation_duration_seconds_count', { operation: 'get' })
    const agent = await signup(api)
    const RUNS = 6
    // The same executions, answered 202 (ended later, not read by anyone) and then inline.
    const before = await scrape()
    for (let i = 0; i < RUNS; i++) {
      expect(
        (await api.post('/execute', { code: `return ${i}` }, { token: agent.token })).status,
      ).toBe(202)
    }
    let accepted = await scrape()
    while (completed(accepted) < completed(before) + RUNS) {
      await new Promise((resolve) => setTimeout(resolve, 20))
      accepted = await scrape()
    }
    for (let i = 0; i < RUNS; i++) {
      const reply = await api.post(
        '/execute',
        { code: `return ${i}` },
        { token: agent.token, headers: { prefer: 'wait=10' } },
      )
      expect(reply.status).toBe(200)
      expect(reply.body.result.value).toBe(i)
      expect(reply.body.result.receipt.request_id).toBe(reply.body.request_id)
    }
    const inline = await scrape()
    const readsAccepted = gets(accepted) - gets(before)
    const readsInline = gets(inline) - gets(accepted)
    // Reading each record back would be RUNS more; a background lease check may add one.
    expect(readsInline - readsAccepted).toBeLessThanOrEqual(1)
  })
})

describe('behind a proxy: NITRO_TRUSTED_PROXIES', () => {
  const signups = (api: ReturnType<typeof client>, forwardedFor: string) =>
    api.post('/signup', {}, { headers: { 'x-forwarded-for': forwardedFor } })

  it('from a trusted proxy, each forwarded client has its own signup limit', async () => {
    const server = await startServer({
      env: { NITRO_TRUSTED_PROXIES: '127.0.0.0/8, ::1', NITRO_SIGNUPS_PER_MINUTE: '2' },
    })
    try {
      const api = client(server.url)
      const statuses = async (forwardedFor: string) => {
        const out = []
        for (let i = 0; i < 3; i++) out.push((await signups(api, forwardedFor)).status)
        return out
      }
      await insideOneClockMinute()
      expect(await statuses('203.0.113.7')).toEqual([201, 201, 429])
      expect(await statuses('203.0.113.8')).toEqual([201, 201, 429])
      // What a client wrote to the left of what the proxy appended is not believed.
      expect(await statuses('198.51.100.1, 203.0.113.7')).toEqual([429, 429, 429])
    } finally {
      await server.stop()
    }
  })

  it('without it, X-Forwarded-For is ignored: every client shares the peer address', async () => {
    const server = await startServer({ env: { NITRO_SIGNUPS_PER_MINUTE: '2' } })
    try {
      const api = client(server.url)
      await insideOneClockMinute()
      expect((await signups(api, '203.0.113.7')).status).toBe(201)
      expect((await signups(api, '203.0.113.8')).status).toBe(201)
      expect((await signups(api, '203.0.113.9')).status).toBe(429)
    } finally {
      await server.stop()
    }
  })
})

describe.skipIf(!REDIS_URL)(
  `startup on Redis${REDIS_URL ? '' : ' (skipped: REDIS_URL is not set; bash .ci/run sets it)'}`,
  () => {
    it('logs the recovery before it says Listening', async () => {
      const server = await startServer({
        env: { NITRO_REDIS_URL: REDIS_URL!, NITRO_LOG_FORMAT: 'json' },
      })
      try {
        const lines = logLines(server.logs())
        const listening = lines.findIndex((line) => String(line.msg).startsWith('Listening on'))
        expect(listening).toBe(lines.length - 1)
        expect(lines[listening]).toMatchObject({ store: 'redis', port: server.port })
      } finally {
        await server.stop()
      }
    })
  },
)

/** The log lines, once `ready` holds for them (lines are written as answers end). */
async function waitForLines(
  logs: () => string,
  ready: (lines: Array<Record<string, any>>) => boolean,
): Promise<Array<Record<string, any>>> {
  for (;;) {
    const lines = logLines(logs())
    if (ready(lines)) return lines
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

type Samples = Record<string, Array<{ labels: Record<string, string>; value: number }>>

/** Prometheus text: every sample by metric name, with its labels. */
function parseMetrics(text: string): Samples {
  const samples: Samples = {}
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (!match) continue
    const labels: Record<string, string> = {}
    for (const pair of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g))
      labels[pair[1]] = pair[2]
    ;(samples[match[1]] ??= []).push({ labels, value: Number(match[3]) })
  }
  return samples
}

/** The sum of a metric's samples whose labels include `labels` (0 when there are none). */
function sample(samples: Samples, name: string, labels: Record<string, string> = {}): number {
  return (samples[name] ?? [])
    .filter((entry) => Object.entries(labels).every(([key, value]) => entry.labels[key] === value))
    .reduce((sum, entry) => sum + entry.value, 0)
}
