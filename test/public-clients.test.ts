/**
 * The clients agents already use, unchanged: the product page's SDK snippet (signup's jwt and
 * tee_url, a saved config, a bare fetch(status_url)), the SDK's older /execute fields, /history,
 * the gone POST /scope; and the status link's limits — it reads its own request's status, nothing
 * else.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { approvedAgent, execute } from './helpers/exec'
import {
  decide,
  GITHUB_CAPABILITY,
  pathOf,
  requestPermit,
  signup,
  type PermitAnswer,
} from './helpers/flow'
import { client } from './helpers/http'
import { useTestServer } from './helpers/server'
import { SnippetClient } from './helpers/snippet-client'

const server = useTestServer()
const api = client(() => server.url)
const home = mkdtempSync(join(tmpdir(), 'oauth3-home-'))
afterAll(() => rmSync(home, { recursive: true, force: true }))

describe("the product page's SDK snippet", () => {
  it('create() signs up once, saves the config (0600) and reuses it; executeAndWait answers hi', async () => {
    const client = await SnippetClient.create({ baseUrl: server.url, home })
    const again = await SnippetClient.create({ baseUrl: server.url, home })
    expect(SnippetClient.signups).toBe(1)
    expect(again.config).toEqual(client.config)
    expect(statSync(join(home, '.oauth3', 'config.json')).mode & 0o777).toBe(0o600)
    expect(client.config.tee_url).toBe(`http://localhost:${server.port}`)
    const done = await again.executeAndWait({ skill_id: 'hello', skill_code: "console.log('hi')" })
    expect(done.status).toBe('completed')
    expect(done).toMatchObject({ result: { success: true, stdout: 'hi\n', exitCode: 0 } })
  })

  it('a permit request is waited for with a bare fetch(status_url) until the human decides', async () => {
    const client = await SnippetClient.create({ baseUrl: server.url, home })
    const permit = await client.requestPermit({
      description: 'File issues on GitHub',
      capabilities: [GITHUB_CAPABILITY],
    })
    const waiting = client.waitFor(permit)
    const owner = await signup(api, 'owner')
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect((await decide(api, owner.token, permit as unknown as PermitAnswer, 'deny')).status).toBe(
      200,
    )
    expect(await waiting).toMatchObject({ status: 'denied', permit_id: permit.permit_id })
  })
})

describe('the status link', () => {
  it('reads its own request with no header, and nothing else', async () => {
    const agent = await signup(api)
    const mine = await api.post(
      '/execute',
      { code: 'console.log("mine"); return 7' },
      { token: agent.token },
    )
    const theirs = await api.post('/execute', { code: 'return 8' }, { token: agent.token })
    const bare = await fetch(mine.body.status_url)
    expect(bare.status).toBe(200)
    expect(await bare.json()).toMatchObject({ status: 'completed', result: { value: 7 } })
    const token = new URL(mine.body.status_url).searchParams.get('token')!
    expect(token).toMatch(/^oa3_status_/)
    const reads = [
      // Another request's status, its stdout, the caller's account, the token as a bearer.
      api.get(`/execute/${theirs.body.request_id}/status?token=${token}`),
      api.get(`/execute/${mine.body.request_id}/stdout?token=${token}`),
      api.get('/me', { token }),
      api.get(`/execute/${mine.body.request_id}/status`, { token }),
    ]
    expect((await Promise.all(reads)).map((reply) => reply.status)).toEqual([404, 401, 401, 401])
    const tampered = token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A')
    expect(
      (await api.get(`/execute/${mine.body.request_id}/status?token=${tampered}`)).status,
    ).toBe(404)
    expect((await api.get(`/execute/${mine.body.request_id}/status`)).status).toBe(401)
    // Bearer auth keeps working on the same URL.
    expect((await api.get(pathOf(mine.body.status_url), { token: agent.token })).status).toBe(200)
  })

  it("a permit request's link does not open its activity feed or its approval page", async () => {
    const agent = await signup(api)
    const permit = await requestPermit(api, agent.token)
    const token = new URL(permit.status_url).searchParams.get('token')!
    expect((await fetch(`${permit.status_url}&timeout=0`)).status).toBe(200)
    expect((await api.get(`/session/${permit.permit_id}/actions?token=${token}`)).status).toBe(404)
    expect((await api.get(`/approve/${permit.request_id}?token=${token}`)).status).toBe(403)
  })
})

describe("the SDK's older /execute fields", () => {
  it('secrets: each must be one of the permit secrets', async () => {
    const { agent, permit } = await approvedAgent(api, [GITHUB_CAPABILITY], {
      GH_TOKEN: 'ghp_sdk_compat',
    })
    const code = 'return 1'
    const ok = await execute(api, agent.token, {
      permit_id: permit.permit_id,
      code,
      secrets: ['GH_TOKEN'],
    })
    expect(ok.status).toBe('completed')
    for (const body of [
      { permit_id: permit.permit_id, code, secrets: ['OTHER_KEY'] },
      { code, secrets: ['GH_TOKEN'] },
    ]) {
      const reply = await api.post('/execute', body, { token: agent.token })
      expect(reply.status).toBe(400)
      expect(reply.body.code).toBe('SECRET_NOT_IN_PERMIT')
    }
  })

  it('dry_run, skill_url and code sent twice are refused with their codes; nothing runs', async () => {
    const agent = await signup(api)
    for (const [body, code] of [
      [{ code: 'return 1', dry_run: true }, 'DRY_RUN_UNSUPPORTED'],
      [{ skill_id: 'x', skill_url: 'https://example.com/x.ts' }, 'SKILL_URL_UNSUPPORTED'],
      [{ code: 'return 1', skill_code: 'return 2' }, 'CODE_AMBIGUOUS'],
    ] as const) {
      const reply = await api.post('/execute', body, { token: agent.token })
      expect(reply.status, code).toBe(400)
      expect(reply.body.code).toBe(code)
    }
    expect((await api.get('/history', { token: agent.token })).body.executions).toEqual([])
    const plain = await execute(api, agent.token, { code: 'return 1', dry_run: false })
    expect(plain.result.value).toBe(1)
  })

  it("GET /history?limit=N: the caller's recent executions, newest first", async () => {
    const agent = await signup(api)
    const ids: string[] = []
    for (let i = 0; i < 3; i++) {
      ids.unshift(
        (await execute(api, agent.token, { code: `return ${i}`, skill_id: `label-${i}` }))
          .request_id,
      )
    }
    const history = await api.get('/history?limit=2', { token: agent.token })
    expect(history.status).toBe(200)
    expect(
      history.body.executions.map((entry: { request_id: string }) => entry.request_id),
    ).toEqual(ids.slice(0, 2))
    expect(history.body.executions[0]).toMatchObject({
      status: 'completed',
      code: 'ad-hoc',
      label: 'label-2',
      exitCode: 0,
    })
    expect((await fetch(history.body.executions[0].status_url)).status).toBe(200)
    const other = await signup(api)
    expect((await api.get('/history', { token: other.token })).body.executions).toEqual([])
  })

  it('POST /scope is gone: 410 with a code whose message points to POST /permit', async () => {
    const agent = await signup(api)
    const reply = await api.post('/scope', { description: 'x' }, { token: agent.token })
    expect(reply.status).toBe(410)
    expect(reply.body.code).toBe('SCOPE_GONE')
    expect(reply.body.error).toContain('POST /permit')
  })
})
