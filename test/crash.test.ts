/**
 * Crash safety of the embedded store: while permits and decisions are written concurrently the
 * server is killed with SIGKILL, several times; after each restart every acknowledged write is
 * intact and readable (SECURITY.md rule 18).
 */
import { rmSync } from 'node:fs'
import { afterAll, expect, it } from 'vitest'
import { client, type Client } from './helpers/http'
import { GITHUB_CAPABILITY, approvalTokenOf } from './helpers/flow'
import { makeDataDir, startServer, type RunningServer } from './helpers/server'

const dataDir = makeDataDir()
afterAll(() => rmSync(dataDir, { recursive: true, force: true }))

interface Acked {
  agents: Array<{ token: string; tenant_id: string }>
  permits: Array<{ agentToken: string; permit_id: string }>
  approvals: Array<{ ownerToken: string; permit_id: string; request_id: string }>
}

/** One worker: sign up, request, approve, again and again, recording only what was answered. */
async function worker(api: Client, acked: Acked, stop: { now: boolean }) {
  try {
    const owner = await api.post('/signup', { role: 'owner' })
    if (owner.status !== 201) return
    while (!stop.now) {
      const agent = await api.post('/signup', {})
      if (agent.status !== 201) return
      acked.agents.push(agent.body)
      const permit = await api.post('/permit', { description: 'crash test', capabilities: [GITHUB_CAPABILITY] }, { token: agent.body.token })
      if (permit.status !== 202) return
      acked.permits.push({ agentToken: agent.body.token, permit_id: permit.body.permit_id })
      const decision = await api.post(`/approve/${permit.body.request_id}`, { token: approvalTokenOf(permit.body), action: 'approve', manifest_sha256: permit.body.manifest_sha256 }, { token: owner.body.token })
      if (decision.status !== 200) return
      acked.approvals.push({ ownerToken: owner.body.token, permit_id: permit.body.permit_id, request_id: permit.body.request_id })
    }
  } catch {
    // The connection died with the server: whatever was not answered was not acknowledged.
  }
}

it('kill -9 mid-load, five times: every acknowledged write survives', async () => {
  const acked: Acked = { agents: [], permits: [], approvals: [] }
  for (let round = 0; round < 5; round++) {
    const server: RunningServer = await startServer({ dataDir })
    const api = client(server.url)
    const stop = { now: false }
    const workers = Array.from({ length: 8 }, () => worker(api, acked, stop))
    await new Promise((resolve) => setTimeout(resolve, 300 + round * 100))
    await server.kill9()
    stop.now = true
    await Promise.all(workers)
  }
  expect(acked.approvals.length).toBeGreaterThan(20)

  const server = await startServer({ dataDir })
  try {
    const api = client(server.url)
    for (const agent of acked.agents) expect((await api.get('/me', { token: agent.token })).body.tenant_id).toBe(agent.tenant_id)
    for (const permit of acked.permits) expect((await api.get(`/sessions/${permit.permit_id}`, { token: permit.agentToken })).status).toBe(200)
    for (const approval of acked.approvals) {
      const session = await api.get(`/sessions/${approval.permit_id}`, { token: approval.ownerToken })
      expect(session.body.status).toBe('active')
    }
    console.log(`crash test: ${acked.agents.length} signups, ${acked.permits.length} permits, ${acked.approvals.length} approvals acknowledged across 5 kills; all intact`)
  } finally {
    await server.stop()
  }
})
