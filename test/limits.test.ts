/**
 * Resource limits and reliability (docs/security.md B and G): every limit is enforced from outside
 * the guest, a misbehaving guest never hurts the host or another tenant, and the pool recovers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { client } from './helpers/http'
import { approvedAgent, execute, run } from './helpers/exec'
import { pathOf, signup } from './helpers/flow'
import { childPids, useTestServer } from './helpers/server'
import { sendJson, startUpstream, type Upstream } from './helpers/upstream'

const TIMEOUT_MS = 2000
const SECRET = 'sk_limits_secret_value_1234567'
let upstream: Upstream
let inFlight = 0
let maxInFlight = 0
/**
 * Each /hang request's connection as it closed: `answered` is false when the gateway closed it
 * before the upstream answered (the upstream answers after 10 s).
 */
const hangClosed: Array<{ answered: boolean }> = []
beforeAll(async () => {
  upstream = await startUpstream(async (request, response) => {
    if (request.url === '/hang')
      response.once('close', () => hangClosed.push({ answered: response.writableEnded }))
    inFlight++
    maxInFlight = Math.max(maxInFlight, inFlight)
    if (request.url.startsWith('/slow')) await new Promise((resolve) => setTimeout(resolve, 100))
    if (request.url.startsWith('/hang')) await new Promise((resolve) => setTimeout(resolve, 10_000))
    inFlight--
    sendJson(response, 200, { ok: true })
  })
})
afterAll(() => upstream?.close())
const serverEnv = (timeoutMs: number) => ({
  env: {
    NITRO_UPSTREAM_MAP: JSON.stringify({ 'https://api.limits.example.com': upstream.origin }),
    NITRO_EXEC_TIMEOUT_MS: String(timeoutMs),
    NITRO_SANDBOX_POOL_SIZE: '3',
    NITRO_EXEC_PER_TENANT: '2',
    NITRO_EXEC_QUEUE_MAX: '40',
    NITRO_EXEC_OUTPUT_BYTES: '65536',
    NITRO_EXEC_MAX_CALLS: '20',
    NITRO_EXEC_MAX_CALLS_IN_FLIGHT: '4',
  },
})
// The tests of the deadline itself run on a server whose deadline is short; every other limit is
// tested where the deadline (a minute) can never be what stops the code, however loaded the machine.
const server = useTestServer(() => serverEnv(60_000))
const api = client(() => server.url)
const deadlineServer = useTestServer(() => serverEnv(TIMEOUT_MS))
const dapi = client(() => deadlineServer.url)
const SLOW = {
  name: 'api.slow',
  endpoint: 'https://api.limits.example.com/slow/{n}',
  method: 'GET',
  auth: { header: 'X-Api-Key', value: '{LIMITS_KEY}' },
  params: { n: { in: 'path' } },
}
const HANG = {
  name: 'api.hang',
  endpoint: 'https://api.limits.example.com/hang',
  method: 'GET',
  auth: { header: 'X-Api-Key', value: '{LIMITS_KEY}' },
}

/** Submit without waiting; the status path, for polling. */
async function submit(token: string, code: string): Promise<string> {
  const reply = await dapi.post('/execute', { code }, { token })
  expect(reply.status, reply.text).toBe(202)
  return pathOf(reply.body.status_url)
}

/** The status word of an execution now (no wait). */
async function statusNow(path: string, token: string): Promise<string> {
  return (await dapi.get(path.replace('wait=true', 'wait=false'), { token })).body.status
}

async function untilExecuting(path: string, token: string) {
  await waitForAsync(async () => (await statusNow(path, token)) === 'executing')
}

/** `code` fails with `memory` (137), not at its deadline, and its agent's next execution runs. */
async function expectKilledForMemory(code: string) {
  const agent = await signup(api)
  const done = await run(api, agent.token, code)
  expect(done).toMatchObject({ status: 'failed', result: { exitCode: 137 } })
  expect(done.error).toMatch(/^memory: /)
  expect((await run(api, agent.token, 'return 42')).result.value).toBe(42)
}

describe('B. resource exhaustion', () => {
  it('RS-01: for(;;){} is killed at the deadline with 124; /health answers and another tenant runs meanwhile', async () => {
    const spinner = await signup(dapi)
    const other = await signup(dapi)
    const started = performance.now()
    const spinning = await submit(spinner.token, 'for(;;){}')
    await untilExecuting(spinning, spinner.token)
    // While the guest spins: the server answers, and another tenant's execution runs to its end.
    for (let i = 0; i < 10; i++) expect((await dapi.get('/health')).status).toBe(200)
    const neighbour = await run(dapi, other.token, 'return 1 + 1')
    expect(neighbour.result.value).toBe(2)
    expect(await statusNow(spinning, spinner.token)).toBe('executing')
    const done = (await dapi.get(spinning, { token: spinner.token })).body
    expect(done).toMatchObject({ status: 'failed', result: { exitCode: 124, success: false } })
    expect(done.error).toMatch(/^timed_out: /)
    // Killed by the deadline, not before it.
    expect(performance.now() - started).toBeGreaterThanOrEqual(TIMEOUT_MS)
    expect(neighbour.finished_at).toBeLessThan(done.finished_at)
  })

  it('RS-02: an endless microtask chain is killed', async () => {
    const agent = await signup(dapi)
    const done = await run(
      dapi,
      agent.token,
      'const f = () => Promise.resolve().then(f); f(); await new Promise(() => {})',
    )
    expect(done.status).toBe('failed')
    expect([124, 137]).toContain(done.result.exitCode)
  })

  it('RS-03: a memory bomb fails with memory / 137, not at its deadline; the host is fine', async () => {
    // The deadline here is a minute: only the memory limit can stop the bomb.
    await expectKilledForMemory('const a = []; for (;;) a.push(new Array(1e6).fill(1))')
  })

  it('RS-03: off-heap memory, through the typed array a TextEncoder returns, is held by the resident limit too', async () => {
    // Typed arrays are withheld as globals (SB-14), but TextEncoder's result is a Uint8Array:
    // its constructor allocates outside the V8 heap, which no heap cap sees.
    await expectKilledForMemory(
      "const Bytes = new TextEncoder().encode('').constructor; const kept = []; for (;;) kept.push(new Bytes(16 * 1024 * 1024).fill(1))",
    )
  })

  it('RS-05: string doubling ends in a RangeError, as a failed execution', async () => {
    const agent = await signup(api)
    const done = await run(api, agent.token, "let s = 'x'; for (;;) s += s")
    expect(done.status).toBe('failed')
    expect(done.error).toMatch(/^(RangeError|memory)/)
  })

  it('RS-06: unbounded recursion is a RangeError; the next execution works', async () => {
    const agent = await signup(api)
    const done = await run(api, agent.token, 'const f = () => f(); f()')
    expect(done).toMatchObject({ status: 'failed', result: { exitCode: 1 } })
    expect(done.error).toMatch(/^RangeError: Maximum call stack/)
    expect((await run(api, agent.token, 'return [1, 2].map((x) => x * 2)')).result.value).toEqual([
      2, 4,
    ])
  })

  it('RS-07/RS-08: output floods are truncated at the cap with a marker; status output_limit', async () => {
    const agent = await signup(api)
    for (const code of [
      "for (;;) console.log('y'.repeat(1e6))",
      "console.log(JSON.stringify(new Array(1e6).fill('a')))",
      "for (;;) console.error('e'.repeat(1000))",
    ]) {
      const done = await run(api, agent.token, code)
      expect(done.status, code).toBe('failed')
      expect(done.error).toMatch(/^output_limit: /)
      const output = done.result.stdout + done.result.stderr
      expect(output).toContain('[output truncated: limit reached]')
      expect(Buffer.byteLength(output)).toBeLessThan(65536 + 200)
    }
  })

  it('RS-09: 100k unawaited calls: bounded concurrency and total, extras fail fast with subrequest_limit', async () => {
    const { agent, permit } = await approvedAgent(api, [SLOW], { LIMITS_KEY: SECRET })
    const before = upstream.seen.length
    maxInFlight = 0
    const done = await execute(api, agent.token, {
      permit_id: permit.permit_id,
      code: `
        const calls = []
        for (let i = 0; i < 1e5; i++) calls.push(slow(String(i)).then(() => 'ok', (e) => e.message.split(':')[0]))
        const outcomes = await Promise.all(calls)
        const counts = {}
        for (const outcome of outcomes) counts[outcome] = (counts[outcome] || 0) + 1
        return counts`,
    })
    const sent = upstream.seen.length - before
    expect(sent).toBeLessThanOrEqual(20)
    expect(maxInFlight).toBeLessThanOrEqual(4)
    expect(done.result.value.ok).toBe(sent)
    expect(done.result.value.subrequest_limit).toBe(1e5 - sent)
  })

  it('RS-11: a 200 MB result is refused as result_too_large; nothing huge is stored', async () => {
    const agent = await signup(api)
    const done = await run(api, agent.token, "return 'x'.repeat(2e8)")
    expect(done.status).toBe('failed')
    expect(done.error).toMatch(/^(result_too_large|memory)/)
    expect(JSON.stringify(done).length).toBeLessThan(10_000)
    const object = await run(api, agent.token, "return new Array(3e5).fill('abcdefgh')")
    expect(object.error).toMatch(/^result_too_large: /)
  })

  it('MT-08/RL-08: a tenant filling its share with loops leaves room for others; the pool recovers', async () => {
    const hog = await signup(dapi)
    const other = await signup(dapi)
    const loops = Array.from({ length: 6 }, () =>
      dapi.post('/execute', { code: 'for(;;){}' }, { token: hog.token }),
    )
    const accepted = (await Promise.all(loops)).filter((reply) => reply.status === 202)
    expect(accepted.length).toBeGreaterThan(0)
    const hogPaths = accepted.map((reply) => pathOf(reply.body.status_url))
    await untilExecuting(hogPaths[0], hog.token)
    // The other tenant is served while the hog's loops still hold their guests.
    const neighbour = await run(dapi, other.token, 'return "served"')
    expect(neighbour.result.value).toBe('served')
    expect(await statusNow(hogPaths[0], hog.token)).toBe('executing')
    expect((await dapi.get('/health')).status).toBe(200)
    for (const path of hogPaths) {
      const done = await dapi.get(path, { token: hog.token })
      expect(done.body.result.exitCode).toBe(124)
      expect(neighbour.finished_at).toBeLessThan(done.body.finished_at)
    }
    expect((await run(dapi, hog.token, 'return "recovered"')).result.value).toBe('recovered')
  })
})

describe('rule 4a: a guest is reused only once it proved itself idle', () => {
  // Returns at once but leaves a promise loop spinning in its guest.
  const POISON = 'const f = () => { Promise.resolve().then(f) }; f(); return 1'

  it('code that returns but leaves a promise loop fails as left_running, and its guest is replaced', async () => {
    const agent = await signup(api)
    const before = (await api.get('/health')).body
    const done = await run(api, agent.token, POISON)
    expect(done.status).toBe('failed')
    expect(done.error).toMatch(/^left_running: /)
    expect(done.result.exitCode).toBe(1)
    expect(before.status).toBe('ok')
  })

  it("several tenants poisoning guests never make another tenant's short job wait for a deadline", async () => {
    const poisoners = await Promise.all([signup(api), signup(api), signup(api)])
    const victims = await Promise.all([signup(api), signup(api), signup(api)])
    for (let round = 0; round < 3; round++) {
      const poisoned = poisoners.map((tenant) => run(api, tenant.token, POISON))
      const short = await Promise.all(
        victims.map((tenant, i) => run(api, tenant.token, `return ${round * 10 + i}`)),
      )
      // A short job given to a guest still spinning would never run: it would end `timed_out`.
      for (const [i, done] of short.entries()) {
        expect(done.status, JSON.stringify(done)).toBe('completed')
        expect(done.result.value).toBe(round * 10 + i)
      }
      for (const done of await Promise.all(poisoned)) expect(done.error).toMatch(/^left_running: /)
    }
  })
})

describe('rule 2: the deadline revokes capabilities first', () => {
  it('an upstream call in flight at the deadline is aborted with the execution, not left to finish', async () => {
    const { agent, permit } = await approvedAgent(dapi, [HANG], { LIMITS_KEY: SECRET })
    const before = hangClosed.length
    const done = await execute(dapi, agent.token, {
      permit_id: permit.permit_id,
      code: 'await hang(); return "unreachable"',
    })
    expect(done.status).toBe('failed')
    expect(done.error).toMatch(/^timed_out: /)
    await waitFor(() => hangClosed.length > before)
    // The upstream answers after 10 s; the gateway closed the connection before that answer.
    expect(hangClosed.slice(before)).toEqual([{ answered: false }])
  })

  it('a call the code never awaited is aborted when the code returns', async () => {
    const { agent, permit } = await approvedAgent(api, [HANG], { LIMITS_KEY: SECRET })
    const before = hangClosed.length
    const done = await execute(api, agent.token, {
      permit_id: permit.permit_id,
      // The loop gives the call time to reach the upstream before the code returns.
      code: 'hang().catch(() => {}); let n = 0; for (let i = 0; i < 3e7; i++) n += i; return "early"',
    })
    expect(done).toMatchObject({ status: 'completed', result: { value: 'early' } })
    await waitFor(() => hangClosed.length > before)
    // The upstream answers after 10 s: the connection closed with the execution, unanswered.
    expect(hangClosed.slice(before)).toEqual([{ answered: false }])
  })
})

describe('G. reliability', () => {
  it('RL-03: a guest killed with SIGKILL mid-call fails as killed; the pool replaces it', async () => {
    const { agent, permit } = await approvedAgent(api, [HANG], { LIMITS_KEY: SECRET })
    const before = new Set(guestPids())
    const submitted = await api.post(
      '/execute',
      { permit_id: permit.permit_id, code: 'await hang(); return "unreachable"' },
      { token: agent.token },
    )
    await waitFor(() => upstream.seen.some((request) => request.url === '/hang'))
    // The busy guest is the one whose CPU time grew; kill every guest to be sure to hit it.
    for (const pid of guestPids()) process.kill(pid, 'SIGKILL')
    const done = await api.get(pathOf(submitted.body.status_url), { token: agent.token })
    expect(done.body).toMatchObject({ status: 'failed', result: { exitCode: 137 } })
    expect(done.body.error).toMatch(/^killed: /)
    expect(done.body.result.calls).toHaveLength(1)
    await waitFor(() => guestPids().length === 3)
    expect(guestPids().some((pid) => before.has(pid))).toBe(false)
    expect((await run(api, agent.token, 'return "fresh"')).result.value).toBe('fresh')
  })

  it(
    'RL-05: 500 concurrent executions across 50 tenants: bounded queue, 429 with Retry-After, every accepted one ends',
    { timeout: 60_000 },
    async () => {
      const tenants = await Promise.all(Array.from({ length: 50 }, () => signup(api)))
      const healthStatuses: number[] = []
      let stop = false
      const prober = (async () => {
        while (!stop) {
          healthStatuses.push((await api.get('/health')).status)
          await new Promise((resolve) => setTimeout(resolve, 20))
        }
      })()
      let accepted: any[] = []
      let refused: any[] = []
      let finals: string[] = []
      try {
        // ~100–200 ms of work each: 3 processes finish at most ~30 a second, so 500 arrivals fill
        // the queue (40) whatever else the machine is doing.
        const code = 'let n = 0; for (let i = 0; i < 1e8; i++) n += i; return n'
        const replies = await Promise.all(
          Array.from({ length: 500 }, (_, i) =>
            api.post('/execute', { code }, { token: tenants[i % 50].token }),
          ),
        )
        accepted = replies.filter((reply) => reply.status === 202)
        refused = replies.filter((reply) => reply.status === 429)
        expect(accepted.length + refused.length).toBe(500)
        expect(refused.length).toBeGreaterThan(0)
        for (const reply of refused) {
          expect(reply.body.code).toBe('OVERLOADED')
          expect(Number(reply.headers.get('retry-after'))).toBeGreaterThan(0)
        }
        finals = await Promise.all(
          accepted.map((reply) =>
            api
              .get(pathOf(reply.body.status_url), {
                token: tenants[replies.indexOf(reply) % 50].token,
              })
              .then((r) => `${r.body.status} ${r.body.error ?? ''}`.trim()),
          ),
        )
      } finally {
        stop = true
        await prober
      }
      expect(finals.filter((status) => status !== 'completed')).toEqual([])
      // /health answered all along (how fast is bench/'s business, not a functional test's).
      expect(healthStatuses.length).toBeGreaterThan(0)
      expect(healthStatuses.filter((status) => status !== 200)).toEqual([])
    },
  )

  it('RL-10: the server log holds no secret, bearer token or approval token', async () => {
    const { agent, owner, approvalToken } = await approvedAgent(api, [SLOW], { LIMITS_KEY: SECRET })
    const logs = server.logs()
    for (const needle of [SECRET, agent.token, owner.token, approvalToken])
      expect(logs).not.toContain(needle)
  })
})

const guestPids = () => childPids(server.child.pid)

/** Poll until `check` holds; the test's own timeout bounds the wait. */
async function waitForAsync(check: () => boolean | Promise<boolean>) {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 20))
}
const waitFor = (check: () => boolean) => waitForAsync(check)
