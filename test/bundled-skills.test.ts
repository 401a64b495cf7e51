/**
 * Meta-test over skills/: every bundled skill validates at startup, is served by the registry,
 * and its example (example.json) runs end to end through HTTP — permit bound to the skill,
 * approval with the example's secrets or cookies, execution — against local stand-ins for the
 * real services, with every secret and cookie value absent from what the agent reads.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { client } from './helpers/http'
import { execute } from './helpers/exec'
import { decide, pathOf, signup } from './helpers/flow'
import { startFakeWorld, type FakeWorld } from './helpers/fake-world'
import { useTestServer } from './helpers/server'

const skillsDir = fileURLToPath(new URL('../skills', import.meta.url))
const bundles = readdirSync(skillsDir, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .flatMap((entry) =>
    readdirSync(join(skillsDir, entry.name)).map((version) => ({
      id: entry.name,
      version,
      dir: join(skillsDir, entry.name, version),
    })),
  )

let world: FakeWorld
beforeAll(async () => {
  world = await startFakeWorld()
})
afterAll(() => world?.close())
const server = useTestServer(() => ({
  env: { NITRO_UPSTREAM_MAP: JSON.stringify(world.upstreamMap) },
}))
const api = client(() => server.url)

interface Example {
  args: unknown
  secrets?: Record<string, string>
  cookies?: Array<{ name: string; value: string; domain: string }>
  expect: { stdout?: string; value?: unknown }
}

it('finds the bundled skills of the product page and the Quick Start', () => {
  expect(bundles.map((bundle) => bundle.id).sort()).toEqual([
    'check-api-key',
    'github-create-issue',
    'hello',
    'httpbin-echo',
    'tiktok-watch-history',
  ])
})

describe.each(bundles)('$id@$version', ({ id, version, dir }) => {
  const example: Example = JSON.parse(readFileSync(join(dir, 'example.json'), 'utf8'))

  it('is served by the registry as bundled', async () => {
    const served = await api.get(`/skills/${id}/${version}`)
    expect(served.status).toBe(200)
    expect(served.body.code).toBe(readFileSync(join(dir, 'index.js'), 'utf8'))
    expect(served.body.manifest).toBe(readFileSync(join(dir, 'skill.yaml'), 'utf8'))
    expect((await api.get('/skills')).body.skills).toContainEqual(
      expect.objectContaining({ id, bundled: true }),
    )
  })

  it('runs its example end to end, and no secret reaches the agent', async () => {
    const agent = await signup(api)
    const owner = await signup(api, 'owner')
    const served = await api.get(`/skills/${id}/${version}`)
    const body: Record<string, unknown> = { skill_id: `${id}@${version}`, args: example.args }
    if (served.body.capabilities.length > 0) {
      if (example.cookies)
        expect(
          (
            await api.post(
              '/cookies/upload',
              { domain: 'www.tiktok.com', cookies: example.cookies },
              { token: owner.token },
            )
          ).status,
        ).toBe(200)
      const permit = await api.post(
        '/permit',
        { skill_id: `${id}@${version}` },
        { token: agent.token },
      )
      expect(permit.status, permit.text).toBe(202)
      const view = await api.get(pathOf(permit.body.approval_url))
      expect(view.body.scope_request.skill).toMatchObject({ id, version, code: served.body.code })
      const decision = await decide(
        api,
        owner.token,
        permit.body,
        'approve',
        example.secrets ? { secrets: example.secrets } : {},
      )
      expect(decision.status, decision.text).toBe(200)
      body.permit_id = permit.body.permit_id
    }
    const done = await execute(api, agent.token, body)
    expect(done.status, JSON.stringify(done)).toBe('completed')
    if (example.expect.stdout !== undefined) expect(done.result.stdout).toBe(example.expect.stdout)
    if (example.expect.value !== undefined)
      expect(done.result.value).toMatchObject(example.expect.value as object)
    const readable =
      JSON.stringify(done) +
      (await api.get(`/execute/${done.request_id}/stdout`, { token: agent.token })).text
    for (const secret of [
      ...Object.values(example.secrets ?? {}),
      ...(example.cookies ?? []).map((cookie) => cookie.value),
    ]) {
      expect(readable).not.toContain(secret)
      expect(readable).not.toContain(Buffer.from(secret).toString('base64'))
    }
  })
})

describe('the skills against their upstreams', () => {
  it("httpbin-echo: httpbin saw the owner's token; the agent saw it redacted", async () => {
    const seen = world.servers.httpbin.seen.at(-1)!
    expect(seen.headers.authorization).toBe('Bearer httpbin-demo-token-0123456789')
    expect(seen.url).toBe('/anything?tag=demo')
  })

  it("github-create-issue: GitHub received the issue with the owner's token", async () => {
    const seen = world.servers.github.seen.find((request) => request.method === 'POST')!
    expect(seen.url).toBe('/repos/amiller/test/issues')
    expect(seen.headers.authorization).toBe('token ghp_fakeworld_valid_token_000')
  })

  it('tiktok-watch-history: pages with the cursor and the session cookie; count is 1 to 20', async () => {
    const pages = world.servers.tiktok.seen.filter((request) =>
      request.url.startsWith('/api/user/watch/history/'),
    )
    expect(
      pages.map((request) => new URL(request.url, 'https://x').searchParams.get('max_cursor')),
    ).toEqual([null, '10'])
    expect(String(pages[0].headers.cookie)).toContain('sessionid=')
    const agent = await signup(api)
    const owner = await signup(api, 'owner')
    await api.post(
      '/cookies/upload',
      {
        domain: 'www.tiktok.com',
        cookies: [{ name: 'sessionid', value: 'x'.repeat(32), domain: '.tiktok.com' }],
      },
      { token: owner.token },
    )
    const permit = await api.post(
      '/permit',
      { skill_id: 'tiktok-watch-history' },
      { token: agent.token },
    )
    await decide(api, owner.token, permit.body)
    const tooMany = await api.post(
      '/execute',
      { permit_id: permit.body.permit_id, args: { count: 50 } },
      { token: agent.token },
    )
    expect(tooMany.body.code).toBe('INVALID_ARGS')
    const expired = await execute(api, agent.token, {
      permit_id: permit.body.permit_id,
      args: { count: 5 },
    })
    expect(expired.status).toBe('failed')
    expect(expired.error).toMatch(/tiktok_error: TikTok answered status_code 8/)
  })

  it('tiktok-watch-history without a sessionid cookie fails before calling TikTok', async () => {
    const agent = await signup(api)
    const owner = await signup(api, 'owner')
    await api.post(
      '/cookies/upload',
      {
        domain: 'www.tiktok.com',
        cookies: [{ name: 'tt_csrf_token', value: 'abcdefgh', domain: '.tiktok.com' }],
      },
      { token: owner.token },
    )
    const permit = await api.post(
      '/permit',
      { skill_id: 'tiktok-watch-history@^1' },
      { token: agent.token },
    )
    await decide(api, owner.token, permit.body)
    const before = world.servers.tiktok.seen.length
    const done = await execute(api, agent.token, { permit_id: permit.body.permit_id, args: {} })
    expect(done.error).toMatch(/missing_cookie/)
    expect(world.servers.tiktok.seen.length).toBe(before)
  })
})
