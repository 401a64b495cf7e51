/**
 * The approval step over HTTP: GET /approve/:id (JSON), POST /approve/:id (one atomic decision
 * bound to the manifest hash), agent binding, and docs/security.md AP-01, AP-03, AP-04, AP-06, AP-09,
 * AP-13, IN-02 (token shapes).
 */
import { describe, expect, it } from 'vitest'
import { client } from './helpers/http'
import {
  GITHUB_CAPABILITY,
  approvalTokenOf,
  decide,
  pathOf,
  requestPermit,
  signup,
} from './helpers/flow'
import { approvedAgent } from './helpers/exec'
import { startServer, useTestServer } from './helpers/server'

const server = useTestServer()
const api = client(() => server.url)

describe('GET /approve/:id', () => {
  it('rule 22: whether the owner holds a secret is shown to that owner only, never through the link', async () => {
    // An agent bound to its owner, who has stored GH_TOKEN (by approving a first permit with it).
    const { agent, owner } = await approvedAgent(api, [GITHUB_CAPABILITY], { GH_TOKEN: 'ghp_x' })
    const gitlab = {
      ...GITHUB_CAPABILITY,
      name: 'gitlab.openIssue',
      endpoint: 'https://gitlab.com/api/v4/projects/{id}/issues',
      auth: { header: 'Private-Token', value: '{GITLAB_TOKEN}' },
      params: { id: { in: 'path' }, title: { in: 'body' } },
    }
    const permit = await requestPermit(api, agent.token, {
      description: 'two secrets, one stored',
      capabilities: [GITHUB_CAPABILITY, gitlab],
    })
    const asked = ['GH_TOKEN', 'GITLAB_TOKEN']
    const stranger = await signup(api, 'owner')
    for (const [who, token] of [
      ['the link alone (the agent holds it)', undefined],
      ['the agent, with its own token', agent.token],
      ['another owner, signed in', stranger.token],
    ] as const) {
      const json = await api.get(pathOf(permit.approval_url), token ? { token } : {})
      expect(json.status, who).toBe(200)
      expect(json.body.scope_request.secrets, who).toEqual(asked)
      expect(json.body.scope_request, who).not.toHaveProperty('missing_secrets')
      const page = await api.get(pathOf(permit.approval_url), {
        ...(token ? { token } : {}),
        headers: { accept: 'text/html' },
      })
      expect(page.status, who).toBe(200)
      expect(page.text, who).not.toMatch(/badge (stored|missing)/)
      expect(page.text, who).toContain('asked for')
    }
    // The bound owner sees which one is missing, in the JSON and on the page.
    const mine = await api.get(pathOf(permit.approval_url), { token: owner.token })
    expect(mine.body.scope_request.missing_secrets).toEqual(['GITLAB_TOKEN'])
    const page = await api.get(pathOf(permit.approval_url), {
      token: owner.token,
      headers: { accept: 'text/html' },
    })
    expect(page.text).toMatch(/<code>GH_TOKEN<\/code> <span class="badge stored">stored/)
    expect(page.text).toMatch(/<code>GITLAB_TOKEN<\/code>\s*<span class="badge missing">missing/)
  })

  it('shows the request in full to the holder of the approval token', async () => {
    const agent = await signup(api, 'agent', 'issue-bot')
    const permit = await requestPermit(api, agent.token, {
      description: 'File issues on GitHub',
      capabilities: [GITHUB_CAPABILITY],
      ttl_seconds: 3600,
      max_executions: 10,
    })
    const reply = await api.get(pathOf(permit.approval_url))
    expect(reply.status).toBe(200)
    expect(reply.body).toMatchObject({
      id: permit.request_id,
      status: 'pending',
      created_at: expect.any(Number),
      agent: { tenant_id: agent.tenant_id, name: 'issue-bot' },
      manifest_sha256: permit.manifest_sha256,
      scope_request: {
        permit_id: permit.permit_id,
        description: 'File issues on GitHub',
        secrets: ['GH_TOKEN'],
        networks: ['https://api.github.com'],
        ttl_seconds: 3600,
        max_executions: 10,
      },
    })
    // The link shows which secrets are asked for, not which exist (rule 22).
    expect(reply.body.scope_request).not.toHaveProperty('missing_secrets')
    const [capability] = reply.body.scope_request.capabilities
    expect(capability).toMatchObject({
      name: 'github.createIssue',
      function: 'createIssue',
      method: 'POST',
      endpoint: GITHUB_CAPABILITY.endpoint,
      auth: GITHUB_CAPABILITY.auth,
    })
  })

  it('AP-06: a wrong token, or one with one character changed, is 403; an unknown id 404', async () => {
    const agent = await signup(api)
    const permit = await requestPermit(api, agent.token)
    const token = approvalTokenOf(permit)
    const nearMiss = token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A')
    for (const bad of [nearMiss, 'x', '']) {
      const reply = await api.get(`/approve/${permit.request_id}?token=${encodeURIComponent(bad)}`)
      expect(reply.status).toBe(403)
      expect(reply.body.code).toBe('INVALID_APPROVAL_TOKEN')
    }
    expect((await api.get(`/approve/${permit.request_id}`)).status).toBe(403)
    expect((await api.get(`/approve/preq_000000000000000000000000?token=${token}`)).status).toBe(
      404,
    )
  })

  it('IN-02: bracketed or repeated token parameters never match', async () => {
    const agent = await signup(api)
    const permit = await requestPermit(api, agent.token)
    const token = approvalTokenOf(permit)
    expect((await api.get(`/approve/${permit.request_id}?token[$ne]=`)).status).toBe(403)
    expect(
      (await api.get(`/approve/${permit.request_id}?token=${token}&token=${token}`)).status,
    ).toBe(400)
  })

  it('AP-06: after repeated wrong tokens the request answers 429, even to the right token', async () => {
    const agent = await signup(api)
    const permit = await requestPermit(api, agent.token)
    for (let i = 0; i < 10; i++)
      expect(
        (await api.get(`/approve/${permit.request_id}?token=oa3_approval_${'A'.repeat(43)}`))
          .status,
      ).toBe(403)
    const reply = await api.get(pathOf(permit.approval_url))
    expect(reply.status).toBe(429)
    expect(reply.headers.get('retry-after')).toBeTruthy()
  })
})

describe('POST /approve/:id', () => {
  it('approves once; the permit is active with the lowered terms and the secret stored', async () => {
    const agent = await signup(api)
    const owner = await signup(api, 'owner')
    const permit = await requestPermit(api, agent.token, {
      description: 'x',
      capabilities: [GITHUB_CAPABILITY],
      ttl_seconds: 7200,
      max_executions: 50,
    })
    const reply = await decide(api, owner.token, permit, 'approve', {
      secrets: { GH_TOKEN: 'ghp_approval_secret' },
      ttl_seconds: 600,
      max_executions: 500,
    })
    expect(reply.status).toBe(200)
    expect(reply.body).toEqual({
      id: permit.request_id,
      status: 'completed',
      permit_id: permit.permit_id,
    })
    const session = await api.get(`/sessions/${permit.permit_id}`, { token: owner.token })
    expect(session.body).toMatchObject({
      status: 'active',
      ttl_seconds: 600,
      max_executions: 50,
      owner_id: owner.tenant_id,
      agent_id: agent.tenant_id,
    })
    expect(session.body.expires_at - session.body.decided_at).toBe(600_000)
    expect((await api.get('/secrets', { token: owner.token })).body.secrets).toEqual(['GH_TOKEN'])
    expect((await api.get('/me', { token: agent.token })).body.owner_id).toBe(owner.tenant_id)
  })

  it('denies; the status says denied and the permit is not usable', async () => {
    const agent = await signup(api)
    const owner = await signup(api, 'owner')
    const permit = await requestPermit(api, agent.token)
    const reply = await decide(api, owner.token, permit, 'deny')
    expect(reply.body).toEqual({
      id: permit.request_id,
      status: 'denied',
      permit_id: permit.permit_id,
    })
    const status = await api.get(pathOf(permit.status_url), { token: agent.token })
    expect(status.body).toMatchObject({
      request_id: permit.request_id,
      status: 'denied',
      permit_id: permit.permit_id,
    })
  })

  it('AP-04: replaying a successful approval is 409 and changes nothing', async () => {
    const agent = await signup(api)
    const owner = await signup(api, 'owner')
    const permit = await requestPermit(api, agent.token)
    expect((await decide(api, owner.token, permit)).status).toBe(200)
    const before = (await api.get(`/sessions/${permit.permit_id}`, { token: owner.token })).body
    const replay = await decide(api, owner.token, permit, 'approve', { max_executions: 1 })
    expect(replay.status).toBe(409)
    expect(replay.body.code).toBe('ALREADY_DECIDED')
    expect((await decide(api, owner.token, permit, 'deny')).status).toBe(409)
    expect((await api.get(`/sessions/${permit.permit_id}`, { token: owner.token })).body).toEqual(
      before,
    )
  })

  it('AP-03: a manifest hash other than the current one is 409 and shows the current hash', async () => {
    const agent = await signup(api)
    const owner = await signup(api, 'owner')
    const permit = await requestPermit(api, agent.token)
    const reply = await api.post(
      `/approve/${permit.request_id}`,
      { token: approvalTokenOf(permit), action: 'approve', manifest_sha256: 'a'.repeat(64) },
      { token: owner.token },
    )
    expect(reply.status).toBe(409)
    expect(reply.body.code).toBe('MANIFEST_CHANGED')
    expect(reply.body.details.manifest_sha256).toBe(permit.manifest_sha256)
    expect((await api.get(pathOf(permit.approval_url))).body.status).toBe('pending')
  })

  it('50 concurrent approve/deny calls on one request: exactly one decision, the rest 409', async () => {
    const agent = await signup(api)
    const owner = await signup(api, 'owner')
    const permit = await requestPermit(api, agent.token)
    const replies = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        decide(api, owner.token, permit, i % 2 ? 'deny' : 'approve'),
      ),
    )
    const winners = replies.filter((reply) => reply.status === 200)
    expect(winners).toHaveLength(1)
    expect(replies.filter((reply) => reply.status === 409)).toHaveLength(49)
    const status = await api.get(pathOf(permit.status_url), { token: agent.token })
    expect(status.body.status).toBe(winners[0].body.status)
  })

  it('is for owners only, and needs the approval token', async () => {
    const agent = await signup(api)
    const owner = await signup(api, 'owner')
    const permit = await requestPermit(api, agent.token)
    expect((await decide(api, agent.token, permit)).status).toBe(403)
    const noToken = await api.post(
      `/approve/${permit.request_id}`,
      {
        token: `oa3_approval_${'B'.repeat(43)}`,
        action: 'approve',
        manifest_sha256: permit.manifest_sha256,
      },
      { token: owner.token },
    )
    expect(noToken.status).toBe(403)
    const operator = await api.post(
      `/approve/${permit.request_id}`,
      { token: { $ne: '' }, action: 'approve', manifest_sha256: permit.manifest_sha256 },
      { token: owner.token },
    )
    expect(operator.status).toBe(400)
    expect(operator.body.code).toBe('INVALID_BODY')
    const badAction = await api.post(
      `/approve/${permit.request_id}`,
      { token: approvalTokenOf(permit), action: 'maybe', manifest_sha256: permit.manifest_sha256 },
      { token: owner.token },
    )
    expect(badAction.status).toBe(400)
  })

  it('refuses secrets at approval that would break a header or that the permit does not use (GW-11)', async () => {
    const agent = await signup(api)
    const owner = await signup(api, 'owner')
    const permit = await requestPermit(api, agent.token)
    for (const secrets of [
      { GH_TOKEN: 'tok\nen' },
      { GH_TOKEN: 'a\0b' },
      { OTHER: 'x' },
      { GH_TOKEN: 'x'.repeat(9000) },
    ]) {
      const reply = await decide(api, owner.token, permit, 'approve', { secrets })
      expect(reply.status).toBe(400)
    }
    expect((await api.get(pathOf(permit.approval_url))).body.status).toBe('pending')
  })

  it("GW-13: an owner's secret bound to one origin cannot be approved for another", async () => {
    const agent = await signup(api)
    const owner = await signup(api, 'owner')
    expect(
      (
        await api.post(
          '/secrets',
          { name: 'MY_KEY', value: 'k', origin: 'https://api.one.example.org' },
          { token: owner.token },
        )
      ).status,
    ).toBe(200)
    const permit = await requestPermit(api, agent.token, {
      description: 'x',
      capabilities: [
        {
          name: 'a.b',
          endpoint: 'https://api.two.example.org/x',
          method: 'GET',
          auth: { header: 'X-Api-Key', value: '{MY_KEY}' },
        },
      ],
    })
    const reply = await decide(api, owner.token, permit)
    expect(reply.status).toBe(400)
    expect(reply.body.code).toBe('SECRET_ORIGIN_MISMATCH')
  })

  it('binds an unbound secret to the origin of the first approval that uses it', async () => {
    const agent = await signup(api)
    const owner = await signup(api, 'owner')
    await api.post('/secrets', { name: 'SVC_KEY', value: 'k' }, { token: owner.token })
    const spec = (host: string) => ({
      description: 'x',
      capabilities: [
        {
          name: 'a.b',
          endpoint: `https://${host}/x`,
          method: 'GET',
          auth: { header: 'X-Api-Key', value: '{SVC_KEY}' },
        },
      ],
    })
    expect(
      (
        await decide(
          api,
          owner.token,
          await requestPermit(api, agent.token, spec('api.first.example.org')),
        )
      ).status,
    ).toBe(200)
    const second = await decide(
      api,
      owner.token,
      await requestPermit(api, agent.token, spec('api.second.example.org')),
    )
    expect(second.body.code).toBe('SECRET_ORIGIN_MISMATCH')
  })
})

describe('agent binding', () => {
  it('AP-13: only the owner who minted an agent decides its permits', async () => {
    const ownerA = await signup(api, 'owner')
    const ownerB = await signup(api, 'owner')
    const minted = await api.post('/agents', { name: 'a-bot' }, { token: ownerA.token })
    const permit = await requestPermit(api, minted.body.token)
    const reply = await decide(api, ownerB.token, permit)
    expect(reply.status).toBe(403)
    expect(reply.body.code).toBe('NOT_YOUR_AGENT')
    expect((await api.get(pathOf(permit.approval_url))).body.status).toBe('pending')
    expect((await decide(api, ownerA.token, permit)).status).toBe(200)
  })

  it('AP-01/AP-13: a self-signed-up agent is bound to the first owner who approves; others get 403', async () => {
    const agent = await signup(api)
    const ownerA = await signup(api, 'owner')
    const ownerB = await signup(api, 'owner')
    expect((await decide(api, ownerA.token, await requestPermit(api, agent.token))).status).toBe(
      200,
    )
    const next = await requestPermit(api, agent.token)
    const stolen = await decide(api, ownerB.token, next)
    expect(stolen.status).toBe(403)
    expect((await api.get(`/sessions/${next.permit_id}`, { token: ownerB.token })).status).toBe(404)
    expect((await decide(api, ownerA.token, next)).status).toBe(200)
  })

  it('AP-13: a request filed before its agent was bound can be neither approved nor denied by another owner', async () => {
    const agent = await signup(api)
    const ownerA = await signup(api, 'owner')
    const ownerB = await signup(api, 'owner')
    const first = await requestPermit(api, agent.token)
    const filedBefore = await requestPermit(api, agent.token)
    expect((await decide(api, ownerA.token, first)).status).toBe(200)
    for (const action of ['deny', 'approve'] as const) {
      const reply = await decide(api, ownerB.token, filedBefore, action)
      expect(reply.status, action).toBe(403)
      expect(reply.body.code).toBe('NOT_YOUR_AGENT')
    }
    expect((await api.get(pathOf(filedBefore.approval_url))).body.status).toBe('pending')
    expect((await decide(api, ownerA.token, filedBefore, 'deny')).status).toBe(200)
  })

  it('two owners racing for an unbound agent: one binding, one decision', async () => {
    const agent = await signup(api)
    const owners = await Promise.all(Array.from({ length: 10 }, () => signup(api, 'owner')))
    const permit = await requestPermit(api, agent.token)
    const replies = await Promise.all(owners.map((owner) => decide(api, owner.token, permit)))
    expect(replies.filter((reply) => reply.status === 200)).toHaveLength(1)
    const boundTo = (await api.get('/me', { token: agent.token })).body.owner_id
    const winner = owners[replies.findIndex((reply) => reply.status === 200)]
    expect(boundTo).toBe(winner.tenant_id)
  })
})

describe('AP-09: expiry of the approval link', () => {
  it('answers 410 after the approval TTL and reports the request expired', async () => {
    const short = await startServer({ env: { NITRO_APPROVAL_TTL_SECONDS: '1' } })
    try {
      const shortApi = client(short.url)
      const agent = await signup(shortApi)
      const owner = await signup(shortApi, 'owner')
      const permit = await requestPermit(shortApi, agent.token)
      // The long-poll ends when the request expires, not at its own 120 s timeout (twice this
      // test's limit).
      const status = await shortApi.get(pathOf(permit.status_url), { token: agent.token })
      expect(status.body.status).toBe('expired')
      expect((await shortApi.get(pathOf(permit.approval_url))).status).toBe(410)
      const late = await decide(shortApi, owner.token, permit)
      expect(late.status).toBe(410)
      expect(late.body.code).toBe('APPROVAL_EXPIRED')
    } finally {
      await short.stop()
    }
  })
})
