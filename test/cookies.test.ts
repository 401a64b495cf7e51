/**
 * POST /cookies/upload (a real DevTools table paste and a JSON export) and the cookie-session
 * capability type: the owner's cookies go only to their own site, with the owner's user agent,
 * and never reach the agent. IN-09: malformed domains and tables are refused.
 */
import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { client } from './helpers/http'
import { execute } from './helpers/exec'
import { decide, requestPermit, signup } from './helpers/flow'
import { useTestServer } from './helpers/server'
import { sendJson, startUpstream, type Upstream } from './helpers/upstream'

const TABLE = readFileSync(
  new URL('./fixtures/devtools-tiktok-cookies.tsv', import.meta.url),
  'utf8',
)
const SESSION = '4f1c2a9d8e7b6c5a4f3e2d1c0b9a8f7e'
const USER_AGENT =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36'

let tiktok: Upstream
beforeAll(async () => {
  tiktok = await startUpstream((request, response) =>
    sendJson(response, 200, {
      cookie: request.headers.cookie ?? null,
      ua: request.headers['user-agent'],
      referer: request.headers.referer ?? null,
      path: request.url,
    }),
  )
})
afterAll(() => tiktok?.close())
const server = useTestServer(() => ({
  env: { NITRO_UPSTREAM_MAP: JSON.stringify({ 'https://www.tiktok.com': tiktok.origin }) },
}))
const api = client(() => server.url)

describe('POST /cookies/upload', () => {
  it('accepts rows pasted from the DevTools cookie table, header row and extra columns included', async () => {
    const owner = await signup(api, 'owner')
    const reply = await api.post(
      '/cookies/upload',
      { domain: 'www.tiktok.com', cookie_table: TABLE, user_agent: USER_AGENT },
      { token: owner.token },
    )
    expect(reply.status, reply.text).toBe(200)
    expect(reply.body).toEqual({ success: true, secret_name: 'COOKIES_TIKTOK_COM', count: 5 })
    expect((await api.get('/secrets', { token: owner.token })).body.secrets).toEqual([
      'COOKIES_TIKTOK_COM',
    ])
  })

  it('accepts the JSON cookie array of the product page and of browser extension exports', async () => {
    const owner = await signup(api, 'owner')
    const plain = await api.post(
      '/cookies/upload',
      {
        domain: 'www.tiktok.com',
        cookies: [{ name: 'sessionid', value: SESSION, domain: '.tiktok.com' }],
      },
      { token: owner.token },
    )
    expect(plain.body).toEqual({ success: true, secret_name: 'COOKIES_TIKTOK_COM', count: 1 })
    const exported = await api.post(
      '/cookies/upload',
      {
        domain: 'tiktok.com',
        cookies: [
          {
            domain: '.tiktok.com',
            expirationDate: 1893456000.5,
            hostOnly: false,
            httpOnly: true,
            name: 'sid_tt',
            path: '/',
            sameSite: 'no_restriction',
            secure: true,
            session: false,
            storeId: '0',
            value: 'abc123',
            id: 1,
          },
        ],
      },
      { token: owner.token },
    )
    expect(exported.body.count).toBe(1)
  })

  it('IN-09: bad domains, malformed tables and bad cookie names or values are 400 and store nothing', async () => {
    const owner = await signup(api, 'owner')
    const bad = [
      { domain: '../../x', cookies: [{ name: 'a', value: 'b' }] },
      { domain: 'a\r\nb', cookies: [{ name: 'a', value: 'b' }] },
      { domain: 'localhost', cookies: [{ name: 'a', value: 'b' }] },
      { domain: 'tiktok.com/evil', cookies: [{ name: 'a', value: 'b' }] },
      { domain: 'tiktok.com', cookie_table: 'just one column\nand another' },
      { domain: 'tiktok.com', cookie_table: 'Name\tValue\n' },
      { domain: 'tiktok.com', cookies: [{ name: 'bad name', value: 'b' }] },
      { domain: 'tiktok.com', cookies: [{ name: 'a', value: 'b;c' }] },
      { domain: 'tiktok.com', cookies: [{ name: 'a', value: 'b\r\nSet-Cookie: x' }] },
      { domain: 'tiktok.com', cookies: [{ name: 'a', value: 'b', domain: '.evil.example' }] },
      { domain: 'tiktok.com', cookies: [{ name: 'a', value: 'b', domain: '.com' }] },
      { domain: 'tiktok.com', cookies: [{ name: 'a', value: 'b' }], cookie_table: 'a\tb' },
      { domain: 'tiktok.com' },
      {
        domain: 'tiktok.com',
        cookies: [{ name: 'a', value: 'b' }],
        user_agent: 'UA\r\nX-Injected: 1',
      },
    ]
    for (const body of bad) {
      const reply = await api.post('/cookies/upload', body, { token: owner.token })
      expect(reply.status, JSON.stringify(body)).toBe(400)
    }
    expect((await api.get('/secrets', { token: owner.token })).body.secrets).toEqual([])
  })

  it('is for owners only', async () => {
    const agent = await signup(api)
    expect(
      (
        await api.post(
          '/cookies/upload',
          { domain: 'tiktok.com', cookie_table: TABLE },
          { token: agent.token },
        )
      ).status,
    ).toBe(403)
  })
})

describe('cookie-session capabilities', () => {
  it("send only the cookies of the requested host and path, with the owner's user agent; the agent sees no cookie value", async () => {
    const agent = await signup(api)
    const owner = await signup(api, 'owner')
    expect(
      (
        await api.post(
          '/cookies/upload',
          { domain: 'www.tiktok.com', cookie_table: TABLE, user_agent: USER_AGENT },
          { token: owner.token },
        )
      ).status,
    ).toBe(200)
    const permit = await requestPermit(api, agent.token, {
      description: 'read my profile',
      capabilities: [
        {
          type: 'cookie-session',
          name: 'tiktok.profile',
          endpoint: 'https://www.tiktok.com/api/user/detail/',
          method: 'GET',
          cookie_secret: 'COOKIES_TIKTOK_COM',
          extra_headers: { Referer: 'https://www.tiktok.com/' },
          params: { uniqueId: { in: 'query' } },
        },
      ],
    })
    expect((await decide(api, owner.token, permit)).status).toBe(200)
    const done = await execute(api, agent.token, {
      permit_id: permit.permit_id,
      code: 'const r = await profile("someone"); console.log(JSON.stringify(r)); return r',
    })
    expect(done.status).toBe('completed')
    const seen = tiktok.seen.at(-1)!
    expect(seen.url).toBe('/api/user/detail/?uniqueId=someone')
    expect(seen.headers['user-agent']).toBe(USER_AGENT)
    expect(seen.headers.referer).toBe('https://www.tiktok.com/')
    // sessionid, tt_csrf_token, msToken (host-only www.tiktok.com) and ttwid; not passport_csrf_token (path /passport).
    expect(
      String(seen.headers.cookie)
        .split('; ')
        .map((pair) => pair.split('=')[0])
        .sort(),
    ).toEqual(['msToken', 'sessionid', 'tt_csrf_token', 'ttwid'])
    const everything = JSON.stringify(done)
    for (const value of [SESSION, 'AbCdEf-12345_xyz', 'QwErTy0987654321zxcvbnm'])
      expect(everything).not.toContain(value)
    expect(done.result.value.ua).toBe(USER_AGENT)
  })

  it("refuses a permit that would send one site's cookies to another", async () => {
    const agent = await signup(api)
    const reply = await api.post(
      '/permit',
      {
        description: 'x',
        capabilities: [
          {
            type: 'cookie-session',
            name: 'x.y',
            endpoint: 'https://evil.example.org/collect',
            method: 'GET',
            cookie_secret: 'COOKIES_TIKTOK_COM',
          },
        ],
      },
      { token: agent.token },
    )
    expect(reply.status).toBe(400)
    expect(reply.body.code).toBe('SECRET_ORIGIN_MISMATCH')
  })
})
