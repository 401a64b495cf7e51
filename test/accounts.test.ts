/**
 * Accounts and the API's input rules, over HTTP against the built server:
 * signup, /me, /agents, the JSON error shape, and docs/security.md IN-01–IN-05, AP-14, AP-15, MT-07.
 */
import { request } from 'node:http'
import { describe, expect, it } from 'vitest'
import { insideOneClockMinute } from './helpers/clock-minute'
import { client } from './helpers/http'
import { signup } from './helpers/flow'
import { startServer, useTestServer } from './helpers/server'

const server = useTestServer()
const api = client(() => server.url)

describe('POST /signup', () => {
  it('creates an agent by default and shows the token once', async () => {
    const reply = await api.post('/signup', { name: 'my-agent' })
    expect(reply.status).toBe(201)
    expect(Object.keys(reply.body).sort()).toEqual([
      'api_key',
      'jwt',
      'message',
      'role',
      'tee_url',
      'tenant_id',
      'token',
    ])
    expect(reply.body.role).toBe('agent')
    expect(reply.body.tenant_id).toMatch(/^tenant_[a-f0-9]{24}$/)
    expect(reply.body.token).toMatch(/^oa3_agent_/)
    // Older clients read the token as jwt or api_key, and send executions to tee_url.
    expect(reply.body.jwt).toBe(reply.body.token)
    expect(reply.body.api_key).toBe(reply.body.token)
    expect(reply.body.tee_url).toBe(`http://localhost:${server.port}`)
    const me = await api.get('/me', { token: reply.body.token })
    expect(me.status).toBe(200)
    expect(me.body).toEqual({
      tenant_id: reply.body.tenant_id,
      role: 'agent',
      name: 'my-agent',
      created_at: expect.any(Number),
    })
  })

  it('stores an optional email with the account and shows it on /me', async () => {
    const reply = await api.post('/signup', { name: 'mailed', email: 'agent@example.com' })
    expect(reply.status).toBe(201)
    const me = await api.get('/me', { token: reply.body.token })
    expect(me.body.email).toBe('agent@example.com')
    for (const email of ['not-an-email', '', 'a@'.repeat(200), 42]) {
      expect((await api.post('/signup', { email })).body.code, String(email)).toBe('INVALID_BODY')
    }
  })

  it('creates an owner on request, and accepts an empty body', async () => {
    expect((await api.post('/signup', { role: 'owner' })).body.role).toBe('owner')
    const empty = await api.call('POST', '/signup')
    expect(empty.status).toBe(201)
    expect(empty.body.role).toBe('agent')
  })

  it('refuses unknown fields, wrong types and unknown roles with 400 and a code (IN-02)', async () => {
    for (const body of [
      { name: 'a', admin: true },
      { name: 123 },
      { role: 'admin' },
      { name: '' },
      [],
      'x',
      null,
    ]) {
      const reply = await api.post('/signup', body)
      expect(reply.status, JSON.stringify(body)).toBe(400)
      expect(reply.body.code).toBe('INVALID_BODY')
      expect(typeof reply.body.error).toBe('string')
    }
  })
})

describe('errors are JSON, for every client', () => {
  it('IN-01: malformed JSON is a 400 with a generic message and no stack', async () => {
    const reply = await api.call('POST', '/signup', { raw: '{"a":' })
    expect(reply.status).toBe(400)
    expect(reply.body).toEqual({
      error: 'The request body is not valid JSON.',
      code: 'INVALID_JSON',
      request_id: reply.headers.get('x-request-id'),
    })
  })

  it('answers an unknown route to a browser with JSON, not HTML', async () => {
    const reply = await api.get('/nope', { headers: { accept: 'text/html' } })
    expect(reply.status).toBe(404)
    expect(reply.headers.get('content-type')).toMatch(/application\/json/)
    expect(reply.body.code).toBe('ROUTE_NOT_FOUND')
  })

  it('refuses a body that is not application/json (a cross-site form post) with 415', async () => {
    const reply = await api.call('POST', '/signup', {
      raw: 'name=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    })
    expect(reply.status).toBe(415)
    expect(reply.body.code).toBe('UNSUPPORTED_MEDIA_TYPE')
  })

  it('IN-03: a 50 MB body is refused with 413 before it is read', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        `${server.url}/signup`,
        {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'content-length': String(50 * 1024 * 1024),
          },
        },
        (res) => {
          res.resume()
          resolve(res.statusCode!)
        },
      )
      req.on('error', reject)
      req.write('{"name":"' + 'x'.repeat(64 * 1024))
    })
    expect(status).toBe(413)
    // The server stays healthy.
    expect((await api.get('/health')).status).toBe(200)
  })

  it('IN-03: a chunked body that grows past the cap is refused with 413', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        `${server.url}/signup`,
        { method: 'POST', headers: { 'content-type': 'application/json' } },
        (res) => {
          res.resume()
          resolve(res.statusCode!)
        },
      )
      req.on('error', reject)
      const chunk = 'x'.repeat(64 * 1024)
      req.write('{"name":"')
      for (let i = 0; i < 8; i++) req.write(chunk)
    })
    expect(status).toBe(413)
  })

  it('IN-04/IN-05: 100k nested brackets are refused as too deep, without overflowing the stack', async () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000)
    const reply = await api.call('POST', '/signup', { raw: deep })
    expect(reply.status).toBe(400)
    expect(['TOO_DEEP', 'INVALID_BODY']).toContain(reply.body.code)
    const nested = await api.call('POST', '/signup', {
      raw: '{"name":' + '['.repeat(40) + ']'.repeat(40) + '}',
    })
    expect(nested.status).toBe(400)
    expect(nested.body.code).toBe('TOO_DEEP')
  })

  it('rule 17: __proto__ and constructor keys are refused and change nothing', async () => {
    for (const raw of [
      '{"__proto__":{"role":"owner"},"name":"x"}',
      '{"constructor":{"prototype":{"admin":true}}}',
    ]) {
      const reply = await api.call('POST', '/signup', { raw })
      expect(reply.status).toBe(400)
      expect(reply.body.code).toBe('FORBIDDEN_KEY')
    }
    const fresh = await api.post('/signup', {})
    expect(fresh.body.role).toBe('agent')
  })
})

describe('GET /me and auth', () => {
  it('AP-15: every tenant route without a token is 401', async () => {
    const routes: Array<[string, string]> = [
      ['GET', '/me'],
      ['POST', '/agents'],
      ['POST', '/permit'],
      ['POST', '/approve/preq_000000000000000000000000'],
      ['GET', '/sessions'],
      ['GET', '/sessions/permit_000000000000000000000000'],
      ['DELETE', '/sessions/permit_000000000000000000000000'],
      ['POST', '/secrets'],
      ['GET', '/secrets'],
      ['DELETE', '/secrets/GH_TOKEN'],
      ['GET', '/execute/preq_000000000000000000000000/status'],
    ]
    for (const [method, path] of routes) {
      const reply = await api.call(method, path, { body: method === 'POST' ? {} : undefined })
      expect(reply.status, `${method} ${path}`).toBe(401)
      expect(reply.body.code).toBe('UNAUTHORIZED')
    }
  })

  it('refuses malformed, unknown and approval tokens as bearer tokens', async () => {
    for (const header of [
      'Bearer nope',
      'Bearer oa3_agent_' + 'A'.repeat(43),
      'Basic abc',
      'bearer',
      `Bearer oa3_approval_${'A'.repeat(43)}`,
    ]) {
      const reply = await api.get('/me', { headers: { authorization: header } })
      expect(reply.status, header).toBe(401)
    }
  })

  it('MT-07: X-Tenant-Id and similar headers are ignored; identity comes from the token', async () => {
    const a = await signup(api, 'agent', 'tenant-a')
    const b = await signup(api, 'agent', 'tenant-b')
    const reply = await api.get('/me', {
      token: b.token,
      headers: { 'x-tenant-id': a.tenant_id, 'x-user-id': a.tenant_id },
    })
    expect(reply.body.tenant_id).toBe(b.tenant_id)
    expect((await api.get('/me', { headers: { 'x-tenant-id': a.tenant_id } })).status).toBe(401)
  })
})

describe('POST /agents', () => {
  it('lets an owner mint an agent bound to it', async () => {
    const owner = await signup(api, 'owner')
    const reply = await api.post('/agents', { name: 'helper' }, { token: owner.token })
    expect(reply.status).toBe(201)
    expect(reply.body.token).toMatch(/^oa3_agent_/)
    const me = await api.get('/me', { token: reply.body.token })
    expect(me.body).toMatchObject({
      tenant_id: reply.body.tenant_id,
      role: 'agent',
      name: 'helper',
      owner_id: owner.tenant_id,
    })
  })

  it('is for owners only', async () => {
    const agent = await signup(api, 'agent')
    const reply = await api.post('/agents', {}, { token: agent.token })
    expect(reply.status).toBe(403)
    expect(reply.body.code).toBe('FORBIDDEN_ROLE')
  })
})

describe('AP-14: signup rate limit per client address', () => {
  it('answers 429 with Retry-After past the threshold and mints no token', async () => {
    const limited = await startServer({ env: { NITRO_SIGNUPS_PER_MINUTE: '5' } })
    try {
      const limitedApi = client(limited.url)
      await insideOneClockMinute()
      const replies = []
      for (let i = 0; i < 8; i++) replies.push(await limitedApi.post('/signup', {}))
      expect(replies.slice(0, 5).every((reply) => reply.status === 201)).toBe(true)
      for (const reply of replies.slice(5)) {
        expect(reply.status).toBe(429)
        expect(reply.body.code).toBe('RATE_LIMITED')
        expect(reply.body.token).toBeUndefined()
        expect(Number(reply.headers.get('retry-after'))).toBeGreaterThan(0)
      }
    } finally {
      await limited.stop()
    }
  })
})
