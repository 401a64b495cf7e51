/**
 * Rules that hold for every route, checked over every route of the route index (the same list the
 * guide and OpenAPI are built from): AP-15 (no token, no access, but for the public routes), IN-03
 * (an oversized body, even chunked, is a 413 JSON answer, never a reset or a crash); and the
 * approval endpoint's own: AP-02 (no cross-site form can decide), AP-07/AP-08 (no framing, no
 * Referer).
 */
import { request } from 'node:http'
import { describe, expect, it } from 'vitest'
import { useApiRoutes } from '../server/http/route-index'
import { decide, requestPermit, signup } from './helpers/flow'
import { client } from './helpers/http'
import { useTestServer } from './helpers/server'

const server = useTestServer()
const api = client(() => server.url)
const routes = useApiRoutes()

/**
 * Public routes: their declaration says so (`none`, or `optional-tenant`: a token only changes
 * whose they act for), or they take the approval link's token.
 */
const PUBLIC = new Set(['none', 'optional-tenant', 'approval-link'])
const FAKE_IDS: Record<string, string> = {
  id: 'preq_000000000000000000000000',
  name: 'GH_TOKEN',
  version: '1.0.0',
}
const concrete = (path: string) => path.replace(/\{(\w+)\}/g, (_, name: string) => FAKE_IDS[name])

/** A request whose body is sent chunked (no Content-Length), `bytes` long. */
function sendChunked(path: string, bytes: number, token?: string, method = 'POST') {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const outgoing = request(
      `${server.url}${path}`,
      {
        method,
        headers: {
          'content-type': 'application/json',
          'transfer-encoding': 'chunked',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
      },
      (response) => {
        let body = ''
        response.setEncoding('utf8')
        response.on('data', (chunk) => (body += chunk))
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }))
      },
    )
    outgoing.on('error', reject)
    const chunk = '{"x":"' + 'y'.repeat(16 * 1024 - 8) + '"}'
    let sent = 0
    const write = () => {
      while (sent < bytes) {
        sent += chunk.length
        if (!outgoing.write(chunk)) return void outgoing.once('drain', write)
      }
      outgoing.end()
    }
    write()
  })
}

describe('every route', () => {
  it('AP-15: answers 401 without a token, unless it is public by declaration', async () => {
    const guarded = routes.filter((route) => !PUBLIC.has(route.auth))
    expect(guarded.length).toBeGreaterThan(10)
    for (const route of guarded) {
      const path = concrete(route.path)
      const reply = await api.call(route.method, path, {
        body: route.method === 'POST' ? {} : undefined,
      })
      expect(reply.status, `${route.method} ${path}`).toBe(401)
      expect(reply.body.code).toBe('UNAUTHORIZED')
    }
  })

  it('IN-03: a 300 KB chunked body is a 413 JSON answer on every route that reads one, with no crash', async () => {
    const agent = await signup(api)
    const owner = await signup(api, 'owner')
    const tokenFor = {
      agent: agent.token,
      owner: owner.token,
      tenant: agent.token,
      'owner-or-passkey': owner.token,
      'owner-or-upload-credential': owner.token,
    } as const
    const readers = routes.filter((route) => route.body)
    expect(readers.length).toBeGreaterThan(5)
    for (const route of readers) {
      const token = tokenFor[route.auth as keyof typeof tokenFor]
      const reply = await sendChunked(concrete(route.path), 300 * 1024, token, route.method)
      expect(reply.status, route.path).toBe(413)
      expect(JSON.parse(reply.body).code).toBe('BODY_TOO_LARGE')
    }
    expect((await api.get('/health')).status).toBe(200)
    expect(server.logs()).not.toMatch(/uncaught|unhandled/i)
  })
})

describe('the approval endpoint', () => {
  it('AP-02: a form post or text/plain cannot decide; the request stays pending', async () => {
    const agent = await signup(api)
    const owner = await signup(api, 'owner')
    const permit = await requestPermit(api, agent.token)
    const token = new URL(permit.approval_url).searchParams.get('token')!
    const fields = { token, action: 'approve', manifest_sha256: permit.manifest_sha256 }
    for (const [type, raw] of [
      ['application/x-www-form-urlencoded', new URLSearchParams(fields).toString()],
      [
        'multipart/form-data; boundary=x',
        `--x\r\nContent-Disposition: form-data; name="token"\r\n\r\n${token}\r\n--x--`,
      ],
      ['text/plain', JSON.stringify(fields)],
    ]) {
      const reply = await api.call('POST', `/approve/${permit.request_id}`, {
        token: owner.token,
        raw,
        headers: { 'content-type': type },
      })
      expect(reply.status, type).toBe(415)
      expect(reply.body.code).toBe('UNSUPPORTED_MEDIA_TYPE')
    }
    const status = await api.get(`/execute/${permit.request_id}/status`, { token: agent.token })
    expect(status.body.status).toBe('pending')
    expect((await decide(api, owner.token, permit)).status).toBe(200)
  })

  it('AP-07/AP-08: the approval link cannot be framed and leaks nothing through Referer', async () => {
    const agent = await signup(api)
    const permit = await requestPermit(api, agent.token)
    const reply = await fetch(permit.approval_url.replace(/^https?:\/\/[^/]+/, server.url), {
      headers: { accept: 'text/html' },
    })
    expect(reply.headers.get('x-frame-options')).toBe('DENY')
    expect(reply.headers.get('content-security-policy')).toContain("frame-ancestors 'none'")
    expect(reply.headers.get('referrer-policy')).toBe('no-referrer')
    expect(server.logs()).not.toContain(new URL(permit.approval_url).searchParams.get('token'))
  })
})
