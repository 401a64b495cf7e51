/**
 * Permits in force over HTTP: GET /sessions, GET/DELETE /sessions/:id, and the isolation rules
 * MT-01, MT-02 (another tenant's ids answer 404 exactly like unknown ids).
 */
import { describe, expect, it } from 'vitest'
import { client, errorOf } from './helpers/http'
import { approvalTokenOf, decide, pathOf, requestPermit, signup } from './helpers/flow'
import { useTestServer } from './helpers/server'

const server = useTestServer()
const api = client(() => server.url)

async function approvedPermit() {
  const agent = await signup(api)
  const owner = await signup(api, 'owner')
  const permit = await requestPermit(api, agent.token)
  expect((await decide(api, owner.token, permit)).status).toBe(200)
  return { agent, owner, permit }
}

describe('GET /sessions', () => {
  it("lists an agent's own permits and an owner's approved ones, newest first", async () => {
    const { agent, owner, permit } = await approvedPermit()
    const pending = await requestPermit(api, agent.token)
    const mine = await api.get('/sessions', { token: agent.token })
    expect(mine.body.sessions.map((s: { permit_id: string }) => s.permit_id)).toEqual([
      pending.permit_id,
      permit.permit_id,
    ])
    expect(mine.body.sessions.map((s: { status: string }) => s.status)).toEqual([
      'pending',
      'active',
    ])
    const owned = await api.get('/sessions', { token: owner.token })
    expect(owned.body.sessions.map((s: { permit_id: string }) => s.permit_id)).toEqual([
      permit.permit_id,
    ])
  })

  it('paginates with cursor and limit', async () => {
    const agent = await signup(api)
    const ids = []
    for (let i = 0; i < 5; i++) ids.unshift((await requestPermit(api, agent.token)).permit_id)
    const first = await api.get('/sessions?limit=2', { token: agent.token })
    expect(first.body.sessions.map((s: { permit_id: string }) => s.permit_id)).toEqual(
      ids.slice(0, 2),
    )
    const second = await api.get(`/sessions?limit=2&cursor=${first.body.next_cursor}`, {
      token: agent.token,
    })
    expect(second.body.sessions.map((s: { permit_id: string }) => s.permit_id)).toEqual(
      ids.slice(2, 4),
    )
    const third = await api.get(`/sessions?limit=2&cursor=${second.body.next_cursor}`, {
      token: agent.token,
    })
    expect(third.body.sessions.map((s: { permit_id: string }) => s.permit_id)).toEqual(ids.slice(4))
    expect(third.body.next_cursor).toBeNull()
    expect((await api.get('/sessions?limit=0', { token: agent.token })).status).toBe(400)
    expect((await api.get('/sessions?limit=abc', { token: agent.token })).status).toBe(400)
  })

  it("MT-02: lists only the caller's objects and never an approval token", async () => {
    const a = await approvedPermit()
    const b = await approvedPermit()
    for (const tenant of [b.agent, b.owner]) {
      const text = (await api.get('/sessions', { token: tenant.token })).text
      expect(text).not.toContain(a.permit.permit_id)
      expect(text).not.toContain(approvalTokenOf(a.permit))
      expect(text).not.toContain('approval_token')
    }
  })
})

describe('GET /sessions/:id and DELETE /sessions/:id', () => {
  it("MT-01: another tenant reading, revoking or polling A's permit gets the same 404 as an unknown id", async () => {
    const a = await approvedPermit()
    const b = await approvedPermit()
    const unknown = await api.get('/sessions/permit_000000000000000000000000', {
      token: b.agent.token,
    })
    expect(unknown.status).toBe(404)
    for (const tenant of [b.agent, b.owner]) {
      const read = await api.get(`/sessions/${a.permit.permit_id}`, { token: tenant.token })
      expect(read.status).toBe(404)
      expect(errorOf(read.body)).toEqual(errorOf(unknown.body))
      expect(
        (await api.delete(`/sessions/${a.permit.permit_id}`, { token: tenant.token })).status,
      ).toBe(404)
      // A's request id, polled with B's token (A's status link is A's to share).
      const status = await api.get(`/execute/${a.permit.request_id}/status`, {
        token: tenant.token,
      })
      expect(status.status).toBe(404)
      expect(errorOf(status.body)).toEqual(errorOf(unknown.body))
    }
    expect(
      (await api.get(`/sessions/${a.permit.permit_id}`, { token: a.owner.token })).body.status,
    ).toBe('active')
  })

  it('the owner revokes; the agent sees it revoked; revoking again is 409', async () => {
    const { agent, owner, permit } = await approvedPermit()
    const reply = await api.delete(`/sessions/${permit.permit_id}`, { token: owner.token })
    expect(reply.status).toBe(200)
    expect(reply.body).toMatchObject({
      permit_id: permit.permit_id,
      status: 'revoked',
      revoked_at: expect.any(Number),
    })
    expect(
      (await api.get(`/sessions/${permit.permit_id}`, { token: agent.token })).body.status,
    ).toBe('revoked')
    expect((await api.delete(`/sessions/${permit.permit_id}`, { token: agent.token })).status).toBe(
      409,
    )
  })

  it('the agent may withdraw its pending request; it can no longer be approved', async () => {
    const agent = await signup(api)
    const owner = await signup(api, 'owner')
    const permit = await requestPermit(api, agent.token)
    expect((await api.delete(`/sessions/${permit.permit_id}`, { token: agent.token })).status).toBe(
      200,
    )
    expect((await decide(api, owner.token, permit)).status).toBe(409)
    expect((await api.get(pathOf(permit.status_url), { token: agent.token })).body.status).toBe(
      'denied',
    )
  })

  it('refuses malformed ids with 404', async () => {
    const agent = await signup(api)
    for (const id of [
      '..%2F..%2Fetc',
      'permit_x',
      'tenant_000000000000000000000000',
      'a'.repeat(300),
    ]) {
      expect((await api.get(`/sessions/${id}`, { token: agent.token })).status).toBe(404)
    }
  })
})
