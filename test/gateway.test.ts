/**
 * Gateway abuse (docs/security.md C) at call time, against local upstreams the test starts: URLs built
 * only from the template, headers that cannot be injected, secrets that go only to their origin
 * and come back redacted, redirects not followed, caps on size and time, connect-time refusal of
 * private addresses, revocation reaching running executions, the human's rate limit.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { client } from './helpers/http'
import { approvedAgent, execute } from './helpers/exec'
import { decide, requestPermit, signup } from './helpers/flow'
import { startServer, useTestServer, type RunningServer } from './helpers/server'
import { isPublicAddress } from '../server/gateway/address-policy'
import { unsafeHostFetch } from '../server/gateway/upstream-fetch'
import { ENCODERS, revealsSecret } from './helpers/encodings'
import { sendJson, startUpstream, type Upstream } from './helpers/upstream'

/**
 * The gzip bomb the upstream serves: 50 MB of zeros, compressed once, before any test — made per
 * request, it took longer than the gateway's timeout on a loaded machine, and the test then saw a
 * timeout instead of the cap.
 */
const BOMB = gzipSync(Buffer.alloc(50 * 1024 * 1024))

const SECRET = 'sk_live_gateway_secret_0123456789'
let upstream: Upstream
let attacker: Upstream
beforeAll(async () => {
  attacker = await startUpstream((_, response) => sendJson(response, 200, { stolen: true }))
  upstream = await startUpstream(async (request, response) => {
    const path = request.url.split('?')[0]
    if (path === '/echo')
      return sendJson(response, 200, {
        url: request.url,
        headers: request.headers,
        body: request.body,
      })
    if (path === '/redirect')
      return sendJson(response, 302, {}, { location: `${attacker.origin}/steal` })
    if (path === '/bomb') {
      response.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' })
      return response.end(BOMB)
    }
    if (path === '/drip') {
      response.writeHead(200, { 'content-type': 'text/plain' })
      const timer = setInterval(() => response.write('x'), 300)
      response.on('close', () => clearInterval(timer))
      return
    }
    if (path === '/fail')
      return sendJson(response, 403, { message: `bad credentials ${request.headers['x-api-key']}` })
    if (path === '/text') {
      response.writeHead(200, { 'content-type': 'text/plain' })
      return response.end(`your key is ${request.headers['x-api-key']}`)
    }
    // Echoes of the received key in the encodings an upstream may use (see the rule 9 tests).
    const key = String(request.headers['x-api-key'] ?? '')
    const escaped = [...key]
      .map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
      .join('')
    if (path === '/echo-escaped') {
      response.writeHead(200, { 'content-type': 'application/json' })
      return response.end(`{"escaped":"${escaped}","plain":${JSON.stringify(key)},"${escaped}":1}`)
    }
    if (path === '/echo-error-escaped') {
      response.writeHead(401, { 'content-type': 'application/json' })
      return response.end(`{"error":"bad key ${escaped}"}`)
    }
    if (path === '/echo-encoded' || path === '/fail-encoded') {
      // The key in one encoding (or two composed), written in uneven chunks.
      const query = new URL(request.url, 'http://x').searchParams
      const inner = query.get('inner')
      const once = inner ? ENCODERS[inner](key, 3) : key
      const body = Buffer.from(`echo: ${ENCODERS[query.get('how')!](once, 5)} .`)
      response.writeHead(path === '/fail-encoded' ? 400 : 200, { 'content-type': 'text/plain' })
      for (let at = 0; at < body.length; at += 7 + (at % 5)) {
        response.write(body.subarray(at, at + 7 + (at % 5)))
      }
      return response.end()
    }
    if (path === '/redirect-encoded') {
      response.writeHead(302, { location: `https://elsewhere.example/cb?k=${encodeURI(key)}` })
      return response.end()
    }
    if (path === '/echo-bytes') {
      const pad = Number(new URL(request.url, 'http://x').searchParams.get('pad'))
      const bytes = [
        Buffer.alloc(pad, 0x2a),
        Buffer.from(key, 'utf8'),
        Buffer.from('|'),
        Buffer.from(key, 'latin1'),
      ]
      response.writeHead(200, { 'content-type': 'application/octet-stream' })
      return response.end(Buffer.concat(bytes))
    }
    sendJson(response, 200, { path: request.url })
  })
})
afterAll(async () => {
  await upstream?.close()
  await attacker?.close()
})

const ORIGIN = 'https://api.gateway.example.com'
const server = useTestServer(() => ({
  env: {
    NITRO_UPSTREAM_MAP: JSON.stringify({ [ORIGIN]: upstream.origin }),
    NITRO_GATEWAY_TIMEOUT_MS: '1500',
    NITRO_GATEWAY_MAX_RESPONSE_BYTES: '1048576',
  },
}))
const api = client(() => server.url)
const auth = { header: 'X-Api-Key', value: '{GW_KEY}' }
const cap = (
  name: string,
  path: string,
  params: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
) => ({ name: `api.${name}`, endpoint: `${ORIGIN}${path}`, method: 'GET', auth, params, ...extra })

let agentToken: string
let permitId: string
beforeAll(async () => {
  const { agent, permit } = await approvedAgent(
    api,
    [
      cap('echo', '/echo', { q: { in: 'query' }, tag: { in: 'header' } }),
      cap('item', '/items/{id}', { id: { in: 'path' } }),
      cap(
        'post',
        '/echo',
        { title: { in: 'body' }, count: { in: 'body', type: 'integer' } },
        { method: 'POST' },
      ),
      cap('redirect', '/redirect'),
      cap('bomb', '/bomb'),
      cap('drip', '/drip', {}, { response: 'text' }),
      cap('fail', '/fail'),
      cap('text', '/text', {}, { response: 'text' }),
      cap('raw', '/text', {}, { response: 'binary' }),
      cap('owner', '/items/{owner}', {
        owner: {
          in: 'path',
          constraint: { type: 'regex', pattern: 'amiller', rationale: 'only amiller' },
        },
      }),
      cap('pick', '/items/{kind}', {
        kind: { in: 'path', constraint: { type: 'enum', values: ['a', 'b'], rationale: 'a or b' } },
      }),
      cap('page', '/echo', {
        per_page: {
          in: 'query',
          type: 'integer',
          constraint: { type: 'predicate', op: '<=', value: 50, rationale: 'small pages' },
        },
      }),
    ],
    { GW_KEY: SECRET },
  )
  agentToken = agent.token
  permitId = permit.permit_id
})

const exec = (code: string) => execute(api, agentToken, { permit_id: permitId, code })
const outcome = (call: string) =>
  `try { return { ok: await ${call} } } catch (e) { return { error: e.message } }`

describe('URLs come from the template only', () => {
  it('GW-01–GW-04: traversal, separators, absolute and scheme-relative values in a path param are refused before any connect', async () => {
    const before = upstream.seen.length
    for (const value of [
      '../../user/keys',
      '..',
      '.',
      '%2e%2e',
      '%2E%2E/%2e',
      '..\\\\..',
      'a%2fb',
      'a/b',
      '\\\\evil.example\\\\steal',
      '/\\\\evil',
      ' //evil',
      'https://evil.example/x',
      '//evil.example/x',
      'b?per_page=100&x=',
      'b#',
      '',
    ]) {
      const done = await exec(outcome(`item(${JSON.stringify(value)})`))
      expect(done.result.value.error, value).toMatch(/single path segment/)
    }
    expect(upstream.seen.length).toBe(before)
  })

  it('percent-encodes a safe value so it stays one segment', async () => {
    const done = await exec(outcome('item("a:b@c,d")'))
    expect(done.result.value.ok.path).toBe('/items/a%3Ab%40c%2Cd')
  })

  it('places query, header and body params where the spec says, with the secret header last', async () => {
    const done = await exec(outcome('echo("x y&z=1", "t1")'))
    const echoed = done.result.value.ok
    expect(echoed.url).toBe('/echo?q=x+y%26z%3D1')
    expect(echoed.headers.tag).toBe('t1')
    expect(echoed.headers['x-api-key']).toBe('[REDACTED]')
    const posted = await exec(outcome('post("Hi", 3)'))
    expect(JSON.parse(posted.result.value.ok.body)).toEqual({ title: 'Hi', count: 3 })
    expect(posted.result.value.ok.headers['content-type']).toBe('application/json')
  })

  it('checks types and constraints (regex on RE2, enum, predicate) before connecting', async () => {
    const before = upstream.seen.length
    for (const [call, message] of [
      ['owner("bmiller")', /violates its approved constraint: only amiller/],
      ['owner("amillerx")', /violates/],
      ['pick("c")', /violates/],
      ['page(51)', /violates/],
      ['page("10")', /must be an integer/],
      // toJSON runs in the guest; the host only ever sees the JSON it produced ("x"), then checks it.
      ['post({ toJSON() { return "x" } }, 1.5)', /count must be an integer/],
      ['post({ title: 1 }, 1)', /title must be a string/],
      ['item()', /is required/],
      ['item("a", "extra")', /takes 1 arguments/],
    ] as const) {
      const done = await exec(outcome(call))
      expect(done.result.value.error, call).toMatch(message)
    }
    expect(upstream.seen.length).toBe(before)
    // 8,000 characters: a backtracking engine would not finish this in years (0.9 s at 28), so
    // an answer at all proves the linear-time engine.
    const redos = await exec(outcome(`owner(${JSON.stringify('a'.repeat(8000) + '!')})`))
    expect(redos.result.value.error).toMatch(/violates/)
  })

  it('GW-21 at call time: a catastrophic pattern on a long non-matching value answers at once', async () => {
    const { agent, permit } = await approvedAgent(
      api,
      [
        cap('nested', '/items/{id}', {
          id: { in: 'path', constraint: { type: 'regex', pattern: '(a+)+', rationale: 'nested' } },
        }),
        cap('alternating', '/echo', {
          q: { in: 'query', constraint: { type: 'regex', pattern: '(a|aa)*c', rationale: 'alt' } },
        }),
      ],
      { GW_KEY: SECRET },
    )
    const before = upstream.seen.length
    // As above: with backtracking, these would never answer.
    const long = JSON.stringify('a'.repeat(8000) + '!')
    const done = await execute(api, agent.token, {
      permit_id: permit.permit_id,
      code: `const out = []
        for (const call of [() => nested(${long}), () => alternating(${long})]) {
          try { await call() } catch (e) { out.push(e.code) }
        }
        return out`,
    })
    expect(done.result.value).toEqual(['invalid_argument', 'invalid_argument'])
    expect(upstream.seen.length).toBe(before)
  })

  it('GW-10: CR/LF in a header value is refused with a fixed message that does not echo the value', async () => {
    const done = await exec(outcome('echo("q", "a\\r\\nX-Injected: 1")'))
    expect(done.result.value.error).toBe(
      'argument tag contains a character not allowed in a header',
    )
  })

  it('rule 3: getters and toJSON in arguments cannot smuggle anything: arguments cross as JSON data', async () => {
    const done = await exec(outcome('echo({ get q() { return "x" } }, "t")'))
    expect(done.result.value.error).toMatch(/must be a string/)
  })
})

describe('secrets', () => {
  it('GW-08: a redirect is returned as data and never followed; the attacker sees nothing', async () => {
    const done = await exec(outcome('redirect()'))
    expect(done.result.value.ok).toEqual({ status: 302, location: `${attacker.origin}/steal` })
    expect(attacker.seen).toHaveLength(0)
  })

  it('rule 9: an upstream that echoes the secret (json, text, base64, error body) is redacted everywhere the agent reads', async () => {
    const done = await exec(`
      const out = []
      out.push(JSON.stringify(await echo("q", "t")))
      out.push(await text())
      out.push(await raw())
      try { await fail() } catch (e) { out.push(e.message) }
      console.log(out.join("\\n"))
      console.error("${'$'}{SECRET}")
      return out`)
    const text = JSON.stringify(done)
    expect(text).not.toContain(SECRET)
    expect(text).not.toContain(Buffer.from(SECRET).toString('base64'))
    expect(text).not.toContain(Buffer.from(`your key is ${SECRET}`).toString('base64'))
    expect(done.result.stdout).toContain('HTTP 403: {"message":"bad credentials [REDACTED]"}')
    expect(done.result.stdout).toContain('your key is [REDACTED]')
    expect(server.logs()).not.toContain(SECRET)
  })

  it('rule 9: secrets with JSON-special and non-ASCII characters never reach the agent, at any alignment', async () => {
    for (const secret of ['sk"quote\\back/slash-0123456', 'pässwörd-ÿ-latin1-0123456']) {
      const { agent, permit } = await approvedAgent(
        api,
        [
          cap('escaped', '/echo-escaped'),
          cap('failing', '/echo-error-escaped'),
          cap(
            'bytes',
            '/echo-bytes',
            { pad: { in: 'query', type: 'integer' } },
            { response: 'binary' },
          ),
        ],
        { GW_KEY: secret },
      )
      const done = await execute(api, agent.token, {
        permit_id: permit.permit_id,
        code: `const out = { escaped: await escaped(), bytes: [] }
          for (const pad of [0, 1, 2, 3]) out.bytes.push(await bytes(pad))
          try { await failing() } catch (e) { out.error = e.message }
          return out`,
      })
      expect(done.status, JSON.stringify(done)).toBe('completed')
      const { escaped, bytes, error } = done.result.value
      // Parsed: every string and key; the agent reads only the mark.
      expect(escaped).toEqual({ escaped: '[REDACTED]', plain: '[REDACTED]', '[REDACTED]': 1 })
      // Bytes: whatever the alignment, the decoded base64 holds neither encoding of the secret.
      for (const base64 of bytes) {
        const decoded = Buffer.from(base64, 'base64')
        expect(decoded.includes(Buffer.from(secret, 'utf8'))).toBe(false)
        expect(decoded.includes(Buffer.from(secret, 'latin1'))).toBe(false)
        expect(decoded.toString('latin1')).toContain('[REDACTED]')
      }
      // An error body the agent parses itself holds no secret either.
      const body = JSON.parse(error.replace(/^HTTP 401: /, ''))
      expect(body.error).toBe('bad key [REDACTED]')
      expect(JSON.stringify(done)).not.toContain(secret)
    }
  })

  it('rule 9: echoes in every standard encoding, composed or not, reach no reader: status, stdout, events, activity', async () => {
    const secret = 'AKIA+/wJal=rXUtn~FEMI "K7MDENG\\bPxRfiCY'
    const { agent, owner, permit } = await approvedAgent(
      api,
      [
        cap(
          'encoded',
          '/echo-encoded',
          { how: { in: 'query' }, inner: { in: 'query' } },
          { response: 'text' },
        ),
        cap('failing', '/fail-encoded', { how: { in: 'query' }, inner: { in: 'query' } }),
        cap('moved', '/redirect-encoded'),
      ],
      { GW_KEY: secret },
    )
    const names = Object.keys(ENCODERS)
    const pairs = [
      ...names.map((how) => ({ how })),
      ...['base64', 'hexLower', 'jsonUnicode', 'htmlDecimal'].map((how) => ({
        how,
        inner: 'percentLower',
      })),
      { how: 'percentEveryByte', inner: 'base64' },
      { how: 'json', inner: 'htmlHex' },
    ]
    const done = await execute(api, agent.token, {
      permit_id: permit.permit_id,
      code: `const out = []
        for (const { how, inner } of args.pairs) {
          const pair = inner ? [how, inner] : [how]
          const text = await encoded(...pair)
          console.log(text)
          out.push(text)
          try { await failing(...pair) } catch (e) { console.error(e.message); out.push(e.message) }
        }
        out.push(await moved())
        return out`,
      args: { pairs },
    })
    expect(done.status, JSON.stringify(done)).toBe('completed')
    expect(done.result.value).toHaveLength(pairs.length * 2 + 1)
    const events = await fetch(`${server.url}/execute/${done.request_id}/events`, {
      headers: { authorization: `Bearer ${agent.token}` },
    }).then((response) => response.text())
    expect(events).toContain('event: end')
    const activity = await api.get(`/session/${permit.permit_id}/actions`, { token: owner.token })
    expect(activity.status).toBe(200)
    for (const [reader, text] of [
      ['status', JSON.stringify(done)],
      ['events', events],
      ['activity', JSON.stringify(activity.body)],
    ]) {
      expect(revealsSecret(text, secret), `${reader}: ${text}`).toBe(false)
    }
    // Redacted, not lost: every echo is still there around its mark.
    expect(done.result.stdout.match(/echo: .*\[REDACTED\]/g)).toHaveLength(pairs.length)
  })

  it('GW-13 at call time: a secret bound to another origin is not sent', async () => {
    const agent = await signup(api)
    const owner = await signup(api, 'owner')
    const permit = await requestPermit(api, agent.token, {
      description: 'x',
      capabilities: [cap('echo', '/echo')],
    })
    expect(
      (await decide(api, owner.token, permit, 'approve', { secrets: { GW_KEY: SECRET } })).status,
    ).toBe(200)
    // The owner rebinds the secret elsewhere after approving.
    expect(
      (
        await api.post(
          '/secrets',
          { name: 'GW_KEY', value: SECRET, origin: 'https://api.elsewhere.example.org' },
          { token: owner.token },
        )
      ).status,
    ).toBe(200)
    const before = upstream.seen.length
    const done = await execute(api, agent.token, {
      permit_id: permit.permit_id,
      code: outcome('echo()'),
    })
    expect(done.result.value.error).toMatch(/^secret_origin_mismatch/)
    expect(upstream.seen.length).toBe(before)
  })

  it('a failed call rejects with its code as data: upstream_status carries the status', async () => {
    const done = await exec(
      'try { await fail() } catch (e) { return { code: e.code, status: e.status, message: e.message } }',
    )
    expect(done.result.value).toEqual({
      code: 'upstream_status',
      status: 403,
      message: 'HTTP 403: {"message":"bad credentials [REDACTED]"}',
    })
  })

  it('MT-06: two owners holding the same secret name each send exactly their own value', async () => {
    const owners = [
      { value: 'gw_owner_one_value_AAAAAAAA', owner: await signup(api, 'owner') },
      { value: 'gw_owner_two_value_BBBBBBBB', owner: await signup(api, 'owner') },
    ]
    const agents = await Promise.all(
      owners.map(async ({ owner, value }) => {
        const stored = await api.post(
          '/secrets',
          { name: 'GW_KEY', value, origin: ORIGIN },
          { token: owner.token },
        )
        expect(stored.status).toBe(200)
        const agent = await signup(api)
        const permit = await requestPermit(api, agent.token, {
          description: 'x',
          capabilities: [cap('echo', '/echo', { q: { in: 'query' } })],
        })
        expect((await decide(api, owner.token, permit)).status).toBe(200)
        return { agent, permit, value }
      }),
    )
    for (let round = 0; round < 3; round++) {
      const tags = await Promise.all(
        agents.map(async ({ agent, permit }, i) => {
          const tag = `mt06-${round}-${i}`
          const done = await execute(api, agent.token, {
            permit_id: permit.permit_id,
            code: `return await echo(${JSON.stringify(tag)})`,
          })
          expect(done.status).toBe('completed')
          return tag
        }),
      )
      tags.forEach((tag, i) => {
        const seen = upstream.seen.find((request) => request.url === `/echo?q=${tag}`)
        expect(seen?.headers['x-api-key']).toBe(agents[i].value)
      })
    }
  })

  it('a secret the owner never stored fails the call, naming only the secret', async () => {
    const { agent, permit } = await approvedAgent(api, [cap('echo', '/echo')])
    const done = await execute(api, agent.token, {
      permit_id: permit.permit_id,
      code: outcome('echo()'),
    })
    expect(done.result.value.error).toBe('missing_secret: the permit owner has not stored GW_KEY')
  })
})

describe('caps on size and time', () => {
  it('GW-17: a gzip bomb is cancelled at the decoded cap', async () => {
    const done = await exec(outcome('bomb()'))
    expect(done.result.value.error).toMatch(/^response_too_large/)
  })

  it('GW-18: a response dripping one byte at a time is aborted at the total deadline', async () => {
    const done = await exec(outcome('drip()'))
    expect(done.result.value.error).toMatch(/^upstream_timeout/)
  })

  it('GW-20: a 10 MB request body is refused before any connect', async () => {
    const before = upstream.seen.length
    const done = await exec(outcome('post("x".repeat(10 * 1024 * 1024), 1)'))
    expect(done.result.value.error).toMatch(/request_too_large/)
    expect(upstream.seen.length).toBe(before)
  })
})

describe('permit state at call time', () => {
  it('AP-12: revoking stops the next call of a running execution; new executions get 403', async () => {
    const { agent, owner, permit } = await approvedAgent(
      api,
      [cap('drip', '/drip', {}, { response: 'text' }), cap('echo', '/echo')],
      { GW_KEY: SECRET },
    )
    const running = execute(api, agent.token, {
      permit_id: permit.permit_id,
      code: `try { await drip() } catch {} ; ${outcome('echo()')}`,
    })
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect((await api.delete(`/sessions/${permit.permit_id}`, { token: owner.token })).status).toBe(
      200,
    )
    const done = await running
    expect(done.result.value.error).toMatch(/^permit_inactive/)
    expect(
      (
        await api.post(
          '/execute',
          { permit_id: permit.permit_id, code: 'return 1' },
          { token: agent.token },
        )
      ).body.code,
    ).toBe('PERMIT_REVOKED')
  })

  it("GW-24: the human's per-minute limit holds across executions and restarts", async () => {
    const isolated: RunningServer = await startServer({
      keepData: true,
      env: { NITRO_UPSTREAM_MAP: JSON.stringify({ [ORIGIN]: upstream.origin }) },
    })
    let restarted: RunningServer | undefined
    try {
      const local = client(isolated.url)
      const { agent, permit } = await approvedAgent(
        local,
        [cap('echo', '/echo')],
        { GW_KEY: SECRET },
        { calls_per_minute: 5 },
      )
      const five =
        'const r = []; for (let i = 0; i < 5; i++) { try { await echo(); r.push("ok") } catch (e) { r.push(e.message.split(":")[0]) } } return r'
      const first = await execute(local, agent.token, { permit_id: permit.permit_id, code: five })
      expect(first.result.value).toEqual(['ok', 'ok', 'ok', 'ok', 'ok'])
      await isolated.stop()
      restarted = await startServer({
        dataDir: isolated.dataDir,
        env: { NITRO_UPSTREAM_MAP: JSON.stringify({ [ORIGIN]: upstream.origin }) },
      })
      const second = await execute(client(restarted.url), agent.token, {
        permit_id: permit.permit_id,
        code: five,
      })
      expect(second.result.value).toEqual([
        'rate_limited',
        'rate_limited',
        'rate_limited',
        'rate_limited',
        'rate_limited',
      ])
    } finally {
      await restarted?.stop()
      await isolated.stop()
    }
  })
})

describe('GW-06 at connect time', () => {
  let local: Server
  let port: number
  let reached = 0
  beforeAll(async () => {
    local = createServer((_, response) => {
      reached++
      response.end('reached')
    })
    await new Promise<void>((resolve) => local.listen(0, '127.0.0.1', resolve))
    port = (local.address() as AddressInfo).port
  })
  afterAll(() => new Promise<void>((resolve) => local.close(() => resolve())))

  it('a name that resolves to loopback is refused after DNS, and nothing is reached', async () => {
    const request = { url: new URL(`http://localhost:${port}/x`), method: 'GET', headers: {} }
    const attempt = unsafeHostFetch(
      request,
      { origin: `http://localhost:${port}`, mapped: false },
      { timeoutMs: 2000, maxResponseBytes: 1024 },
      new AbortController().signal,
    )
    await expect(attempt).rejects.toThrow(/blocked_address/)
    expect(reached).toBe(0)
  })

  it('only the operator map may point at a local server', async () => {
    const request = { url: new URL(`http://localhost:${port}/x`), method: 'GET', headers: {} }
    const response = await unsafeHostFetch(
      request,
      { origin: `http://127.0.0.1:${port}`, mapped: true },
      { timeoutMs: 2000, maxResponseBytes: 1024 },
      new AbortController().signal,
    )
    expect(response.body.toString()).toBe('reached')
  })

  it('classifies every spelling of a non-public address as blocked, after normalisation', () => {
    for (const address of [
      '127.0.0.1',
      '127.1.2.3',
      '0.0.0.0',
      '10.0.0.1',
      '172.16.5.4',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '224.0.0.1',
      '255.255.255.255',
      '::1',
      '::',
      '::ffff:127.0.0.1',
      '::ffff:7f00:1',
      '::ffff:10.0.0.1',
      '0:0:0:0:0:ffff:7f00:1',
      '64:ff9b::7f00:1',
      'fc00::1',
      'fd12::1',
      'fe80::1',
      'ff02::1',
      'not an ip',
    ]) {
      expect(isPublicAddress(address), address).toBe(false)
    }
    for (const address of [
      '8.8.8.8',
      '1.1.1.1',
      '140.82.112.6',
      '2606:4700:4700::1111',
      '2001:4860:4860::8888',
      '::ffff:8.8.8.8',
    ])
      expect(isPublicAddress(address), address).toBe(true)
  })
})
