/**
 * POST /execute and what reads it, over HTTP: the no-permit path, permit checks (MT-03 and the
 * 403 codes), aliases, idempotency, result shape, stdout, the activity feed, visibility (MT-01),
 * syntax checks (SB-19, IN-04).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { client, errorOf } from './helpers/http'
import { approvedAgent, execute, run } from './helpers/exec'
import { GITHUB_CAPABILITY, decide, pathOf, requestPermit, signup } from './helpers/flow'
import { useTestServer } from './helpers/server'
import { fakeGithub, startUpstream, type Upstream } from './helpers/upstream'

let github: Upstream
beforeAll(async () => {
  github = await startUpstream(fakeGithub())
})
afterAll(() => github?.close())
const server = useTestServer(() => ({
  env: { NITRO_UPSTREAM_MAP: JSON.stringify({ 'https://api.github.com': github.origin }) },
}))
const api = client(() => server.url)
const createIssue = 'return await createIssue("amiller", "test", "Hello", "From TEE")'

describe('POST /execute without a permit', () => {
  it('runs code with no capabilities: stdout, stderr, value, exitCode, duration', async () => {
    const agent = await signup(api)
    const submitted = await api.post(
      '/execute',
      {
        code: 'console.log("hi", {a: 1}, [2]); console.error("oops"); console.info(1, true, null); return { sum: args.a + args.b }',
        args: { a: 1, b: 2 },
        skill_id: 'hello',
      },
      { token: agent.token },
    )
    expect(submitted.status).toBe(202)
    expect(Object.keys(submitted.body).sort()).toEqual(['request_id', 'status', 'status_url'])
    expect(submitted.body.status).toBe('approved')
    const done = await api.get(pathOf(submitted.body.status_url), { token: agent.token })
    expect(done.body).toMatchObject({
      request_id: submitted.body.request_id,
      status: 'completed',
      // skill_id with code is the agent's label: the code is ad-hoc, not the registry skill.
      code: 'ad-hoc',
      label: 'hello',
      created_at: expect.any(Number),
      finished_at: expect.any(Number),
      result: {
        success: true,
        stdout: 'hi {"a":1} [2]\n1 true null\n',
        stderr: 'oops\n',
        exitCode: 0,
        duration: expect.any(Number),
        value: { sum: 3 },
        calls: [],
      },
    })
    const stdout = await api.get(`/execute/${submitted.body.request_id}/stdout`, {
      token: agent.token,
    })
    expect(stdout.headers.get('content-type')).toMatch(/text\/plain/)
    expect(stdout.text).toBe('hi {"a":1} [2]\n1 true null\n')
  })

  it('accepts skill_code as an alias of code (the SDK hello skill)', async () => {
    const agent = await signup(api)
    const done = await execute(api, agent.token, {
      skill_id: 'hello',
      skill_code: "console.log('hi')",
    })
    expect(done.result.stdout).toBe('hi\n')
  })

  it('reports a thrown error as failed with exitCode 1 and the message', async () => {
    const agent = await signup(api)
    const done = await run(api, agent.token, 'throw new TypeError("bad thing")')
    expect(done).toMatchObject({
      status: 'failed',
      error: 'TypeError: bad thing',
      result: { success: false, exitCode: 1 },
    })
  })

  it('refuses missing code, wrong types and unknown fields with 400', async () => {
    const agent = await signup(api)
    for (const body of [
      {},
      { code: 123 },
      { code: 'return 1', extra: 1 },
      { permit_id: ['a'], code: 'return 1' },
      { code: '' },
    ]) {
      const reply = await api.post('/execute', body, { token: agent.token })
      expect(reply.status, JSON.stringify(body)).toBe(400)
    }
    const owner = await signup(api, 'owner')
    expect((await api.post('/execute', { code: 'return 1' }, { token: owner.token })).status).toBe(
      403,
    )
  })

  it('SB-19: code that would close the wrapper is a syntax error and never runs', async () => {
    const agent = await signup(api)
    for (const code of [
      '})(); globalThis.x = 1; (async () => {',
      '}); (function(){',
      'return 1; } async function f() {',
      '/*',
      '`unterminated',
    ]) {
      const reply = await api.post('/execute', { code }, { token: agent.token })
      expect(reply.status, code).toBe(400)
      expect(reply.body.code).toBe('SYNTAX_ERROR')
    }
  })

  it('IN-04: code over the size cap, or with 10,000 nested brackets, is refused without parsing', async () => {
    const agent = await signup(api)
    const big = await api.post(
      '/execute',
      { code: '//' + 'x'.repeat(2 * 1024 * 1024) },
      { token: agent.token },
    )
    expect([400, 413]).toContain(big.status)
    const nested = await api.post(
      '/execute',
      { code: 'return ' + '['.repeat(10_000) + ']'.repeat(10_000) },
      { token: agent.token },
    )
    expect(nested.status).toBe(400)
    expect(nested.body.code).toBe('TOO_DEEP')
    expect((await api.get('/health')).status).toBe(200)
  })

  it('an idempotency key answers a retry of the same request with the first answer, exactly', async () => {
    const agent = await signup(api)
    const request = { code: 'return 1', idempotency_key: 'k-1' }
    const first = await api.post('/execute', request, { token: agent.token })
    const retry = await api.post('/execute', request, { token: agent.token })
    expect(retry.status).toBe(202)
    expect(retry.body).toEqual(first.body)
    // The header means the same; another agent's key is its own.
    const header = await api.post(
      '/execute',
      { code: 'return 1' },
      { token: agent.token, headers: { 'idempotency-key': 'k-1' } },
    )
    expect(header.body).toEqual(first.body)
    const other = await signup(api)
    const theirs = await api.post('/execute', request, { token: other.token })
    expect(theirs.body.request_id).not.toBe(first.body.request_id)
    expect(
      (await api.get(pathOf(retry.body.status_url), { token: agent.token })).body.result.value,
    ).toBe(1)
  })

  it('the same idempotency key with a different request is 422 and runs nothing', async () => {
    const agent = await signup(api)
    await api.post('/execute', { code: 'return 1', idempotency_key: 'k-2' }, { token: agent.token })
    for (const changed of [
      { code: 'return 2' },
      { code: 'return 1', args: { a: 1 } },
      { code: 'return 1', action_id: 'other' },
    ]) {
      const reply = await api.post(
        '/execute',
        { ...changed, idempotency_key: 'k-2' },
        { token: agent.token },
      )
      expect(reply.status, JSON.stringify(changed)).toBe(422)
      expect(reply.body.code).toBe('IDEMPOTENCY_KEY_REUSED')
    }
    const history = await api.get('/history', { token: agent.token })
    expect(history.body.executions).toHaveLength(1)
  })
})

describe('POST /execute under a permit', () => {
  it('calls the capability and records the call', async () => {
    const { agent, permit } = await approvedAgent(api, [GITHUB_CAPABILITY], {
      GH_TOKEN: 'ghp_execute_test_token',
    })
    const done = await execute(api, agent.token, {
      session_id: permit.permit_id,
      code: createIssue,
      action_id: 'create-issue',
    })
    expect(done).toMatchObject({
      status: 'completed',
      permit_id: permit.permit_id,
      action_id: 'create-issue',
      result: { value: { title: 'Hello', state: 'open' } },
    })
    expect(done.result.calls).toEqual([
      {
        capability: 'github.createIssue',
        method: 'POST',
        url: 'api.github.com/repos/amiller/test/issues',
        status: 201,
        duration: expect.any(Number),
      },
    ])
  })

  it('MT-03: another agent using the permit id gets 404 and no call is made', async () => {
    const { permit } = await approvedAgent(api, [GITHUB_CAPABILITY], { GH_TOKEN: 'ghp_x_token' })
    const intruder = await signup(api)
    const before = github.seen.length
    const reply = await api.post(
      '/execute',
      { permit_id: permit.permit_id, code: createIssue },
      { token: intruder.token },
    )
    expect(reply.status).toBe(404)
    const unknown = await api.post(
      '/execute',
      { permit_id: 'permit_000000000000000000000000', code: createIssue },
      { token: intruder.token },
    )
    expect(errorOf(reply.body)).toEqual(errorOf(unknown.body))
    expect(github.seen.length).toBe(before)
  })

  it('pending, denied, revoked, expired and exhausted permits answer 403 with their code', async () => {
    const agent = await signup(api)
    const owner = await signup(api, 'owner')
    const pending = await requestPermit(api, agent.token)
    expect(
      (
        await api.post(
          '/execute',
          { permit_id: pending.permit_id, code: 'return 1' },
          { token: agent.token },
        )
      ).body.code,
    ).toBe('PERMIT_NOT_APPROVED')
    await decide(api, owner.token, pending, 'deny')
    expect(
      (
        await api.post(
          '/execute',
          { permit_id: pending.permit_id, code: 'return 1' },
          { token: agent.token },
        )
      ).body.code,
    ).toBe('PERMIT_NOT_APPROVED')

    const revoked = await requestPermit(api, agent.token)
    await decide(api, owner.token, revoked)
    await api.delete(`/sessions/${revoked.permit_id}`, { token: owner.token })
    const revokedReply = await api.post(
      '/execute',
      { permit_id: revoked.permit_id, code: 'return 1' },
      { token: agent.token },
    )
    expect(revokedReply.status).toBe(403)
    expect(revokedReply.body.code).toBe('PERMIT_REVOKED')

    const limited = await requestPermit(api, agent.token, {
      description: 'x',
      capabilities: [GITHUB_CAPABILITY],
      max_executions: 2,
    })
    await decide(api, owner.token, limited)
    const replies = await Promise.all(
      Array.from({ length: 6 }, () =>
        api.post(
          '/execute',
          { permit_id: limited.permit_id, code: 'return 1' },
          { token: agent.token },
        ),
      ),
    )
    expect(replies.filter((reply) => reply.status === 202)).toHaveLength(2)
    expect(replies.filter((reply) => reply.body.code === 'PERMIT_EXHAUSTED')).toHaveLength(4)
  })

  it("MT-01: executions, their stdout and a permit's activity are 404 to other tenants", async () => {
    const { agent, owner, permit, approvalToken } = await approvedAgent(api, [GITHUB_CAPABILITY], {
      GH_TOKEN: 'ghp_mt01_token',
    })
    const done = await execute(api, agent.token, {
      permit_id: permit.permit_id,
      code: 'console.log("mine"); return 1',
    })
    const other = await approvedAgent(api, [GITHUB_CAPABILITY], { GH_TOKEN: 'ghp_other_token' })
    for (const token of [other.agent.token, other.owner.token]) {
      expect((await api.get(`/execute/${done.request_id}/status`, { token })).status).toBe(404)
      expect((await api.get(`/execute/${done.request_id}/stdout`, { token })).status).toBe(404)
      expect((await api.get(`/session/${permit.permit_id}/actions`, { token })).status).toBe(404)
    }
    expect(
      (await api.get(`/execute/${done.request_id}/status`, { token: owner.token })).body.status,
    ).toBe('completed')
    expect(
      (await api.get(`/session/${permit.permit_id}/actions?token=${approvalToken}`)).status,
    ).toBe(200)
    expect(
      (await api.get(`/session/${permit.permit_id}/actions?token=oa3_approval_${'A'.repeat(43)}`))
        .status,
    ).toBe(404)
    expect((await api.get(`/session/${permit.permit_id}/actions`)).status).toBe(401)
  })

  it('the activity feed lists executions newest first with their calls, paginated', async () => {
    const { agent, owner, permit } = await approvedAgent(api, [GITHUB_CAPABILITY], {
      GH_TOKEN: 'ghp_feed_token',
    })
    const ids = []
    for (let i = 0; i < 3; i++)
      ids.unshift(
        (
          await execute(api, agent.token, {
            permit_id: permit.permit_id,
            code: createIssue,
            action_id: `a${i}`,
          })
        ).request_id,
      )
    const page1 = await api.get(`/session/${permit.permit_id}/actions?limit=2`, {
      token: owner.token,
    })
    expect(page1.body.actions.map((action: { request_id: string }) => action.request_id)).toEqual(
      ids.slice(0, 2),
    )
    expect(page1.body.actions[0]).toMatchObject({
      status: 'completed',
      action_id: 'a2',
      exitCode: 0,
      calls: [
        {
          capability: 'github.createIssue',
          method: 'POST',
          url: 'api.github.com/repos/amiller/test/issues',
          status: 201,
        },
      ],
    })
    const page2 = await api.get(
      `/session/${permit.permit_id}/actions?limit=2&cursor=${page1.body.next_cursor}`,
      { token: agent.token },
    )
    expect(page2.body.actions.map((action: { request_id: string }) => action.request_id)).toEqual(
      ids.slice(2),
    )
    expect(page2.body.next_cursor).toBeNull()
  })

  it("the feed shows failures by their code: the execution's and each call's", async () => {
    const { agent, owner, permit } = await approvedAgent(api, [GITHUB_CAPABILITY])
    await execute(api, agent.token, {
      permit_id: permit.permit_id,
      code: 'try { await createIssue("a", "b", "t", "x") } catch {} ; throw new RangeError("no")',
    })
    const feed = await api.get(`/session/${permit.permit_id}/actions`, { token: owner.token })
    expect(feed.body.actions[0]).toMatchObject({
      status: 'failed',
      exitCode: 1,
      error_code: 'threw',
      error: 'RangeError: no',
      code: 'ad-hoc',
      code_sha256: expect.stringMatching(/^[a-f0-9]{64}$/),
      calls: [{ capability: 'github.createIssue', status: 0, error: 'missing_secret' }],
    })
  })
})
