/**
 * Crash safety of the embedded store: while permits and decisions are written concurrently the
 * server is killed with SIGKILL, several times; after each restart every acknowledged write is
 * intact and readable. Executions caught by a kill fail as interrupted and are never re-run
 * (docs/security.md rule 18).
 */
import { readFileSync, rmSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { verifyReceipt } from '../core/attestation/receipt'
import { client, type Client } from './helpers/http'
import { approvedAgent, execute } from './helpers/exec'
import { GITHUB_CAPABILITY, approvalTokenOf, pathOf, signup } from './helpers/flow'
import { childPids, makeDataDir, startServer, type RunningServer } from './helpers/server'
import { fakeGithub, startUpstream, type Upstream } from './helpers/upstream'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

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
      const permit = await api.post(
        '/permit',
        { description: 'crash test', capabilities: [GITHUB_CAPABILITY] },
        { token: agent.body.token },
      )
      if (permit.status !== 202) return
      acked.permits.push({ agentToken: agent.body.token, permit_id: permit.body.permit_id })
      const decision = await api.post(
        `/approve/${permit.body.request_id}`,
        {
          token: approvalTokenOf(permit.body),
          action: 'approve',
          manifest_sha256: permit.body.manifest_sha256,
        },
        { token: owner.body.token },
      )
      if (decision.status !== 200) return
      acked.approvals.push({
        ownerToken: owner.body.token,
        permit_id: permit.body.permit_id,
        request_id: permit.body.request_id,
      })
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
    // Killed once this round acknowledged some approvals, at a varying point of the load.
    const before = acked.approvals.length
    await until(() => acked.approvals.length >= before + 5, 'five approvals acknowledged')
    await sleep(round * 37)
    await server.kill9()
    stop.now = true
    await Promise.all(workers)
  }
  expect(acked.approvals.length).toBeGreaterThanOrEqual(25)

  const server = await startServer({ dataDir })
  try {
    const api = client(server.url)
    for (const agent of acked.agents)
      expect((await api.get('/me', { token: agent.token })).body.tenant_id).toBe(agent.tenant_id)
    for (const permit of acked.permits)
      expect(
        (await api.get(`/sessions/${permit.permit_id}`, { token: permit.agentToken })).status,
      ).toBe(200)
    for (const approval of acked.approvals) {
      const session = await api.get(`/sessions/${approval.permit_id}`, {
        token: approval.ownerToken,
      })
      expect(session.body.status).toBe('active')
    }
    console.log(
      `crash test: ${acked.agents.length} signups, ${acked.permits.length} permits, ${acked.approvals.length} approvals acknowledged across 5 kills; all intact`,
    )
  } finally {
    await server.stop()
  }
})

describe('executions across a kill -9 (RL-01, RL-02)', () => {
  let github: Upstream
  beforeAll(async () => {
    github = await startUpstream(fakeGithub())
  })
  afterAll(() => github?.close())

  it('RL-01: an execution running at the kill becomes failed/interrupted at restart and is never re-run', async () => {
    const dir = makeDataDir()
    const env = {
      NITRO_UPSTREAM_MAP: JSON.stringify({ 'https://api.github.com': github.origin }),
      NITRO_EXEC_TIMEOUT_MS: '60000',
    }
    let server = await startServer({ dataDir: dir, env })
    try {
      const api = client(server.url)
      const { agent, permit } = await approvedAgent(api, [GITHUB_CAPABILITY], {
        GH_TOKEN: 'ghp_rl01_token',
      })
      const submitted = await api.post(
        '/execute',
        { permit_id: permit.permit_id, code: 'await createIssue("a", "b", "t", "b"); for (;;) {}' },
        { token: agent.token },
      )
      const statusPath = pathOf(submitted.body.status_url)
      await until(() => github.seen.length > 0, 'the execution calls the upstream')
      expect(github.seen).toHaveLength(1)
      expect(
        (await api.get(`/execute/${submitted.body.request_id}/status`, { token: agent.token })).body
          .status,
      ).toBe('executing')
      const guests = childPids(server.child.pid!).map(processIdentity)
      await server.kill9()

      server = await startServer({ dataDir: dir, env })
      const after = await client(server.url).get(statusPath, { token: agent.token })
      expect(after.body).toMatchObject({
        status: 'failed',
        error: expect.stringMatching(/^interrupted: /),
      })
      // Even an interrupted execution ends with a receipt, signed by the (same) server key.
      const key = (await client(server.url).get('/attestation')).body.signing_key
      const receipt = await verifyReceipt({
        receipt: after.body.result.receipt,
        publicKey: Buffer.from(key, 'hex'),
        execution: after.body,
      })
      expect(receipt.ok).toBe(true)
      await new Promise((resolve) => setTimeout(resolve, 500))
      expect(github.seen).toHaveLength(1)
      // The killed server's guests ended themselves (no orphan keeps spinning).
      await until(() => !guests.some(isRunning), "the killed server's guests end")
    } finally {
      await server.stop()
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('RL-02: a result committed just before the kill is served unchanged after restart', async () => {
    const dir = makeDataDir()
    let server = await startServer({ dataDir: dir })
    try {
      const api = client(server.url)
      const agent = await signup(api)
      const done = await execute(api, agent.token, { code: 'console.log("kept"); return { n: 7 }' })
      await server.kill9()
      server = await startServer({ dataDir: dir })
      const again = await client(server.url).get(`/execute/${done.request_id}/status`, {
        token: agent.token,
      })
      expect(again.body).toEqual(done)
    } finally {
      await server.stop()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

/** Alive and not a zombie (an orphan's exit is reaped by init, which may take its time). */
/** A process by its pid and start time: a pid reused by a later process is not the same one. */
function processIdentity(pid: number): { pid: number; started: string | null } {
  return { pid, started: statOf(pid)?.[19] ?? null }
}

/** That process still runs (not ended, not a zombie, not another process under its pid). */
function isRunning(process: { pid: number; started: string | null }): boolean {
  const stat = statOf(process.pid)
  return stat !== null && stat[0] !== 'Z' && stat[19] === process.started
}

/** /proc/<pid>/stat's fields after the command name: state, ppid, … (field 22, start time, at 19). */
function statOf(pid: number): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  } catch {
    return null
  }
}

/** Wait for `check`; a hang detector, not a speed bound: it fails saying what never happened. */
async function until(check: () => boolean, what: string, ms = 45_000) {
  const end = Date.now() + ms
  while (!check()) {
    if (Date.now() > end) throw new Error(`never happened: ${what}`)
    await sleep(20)
  }
}

describe('graceful shutdown', () => {
  it('SIGTERM lets a running execution finish and store its result before the process exits', async () => {
    const dir = makeDataDir()
    let server = await startServer({ dataDir: dir })
    try {
      const api = client(server.url)
      const agent = await signup(api)
      const submitted = await api.post(
        '/execute',
        { code: 'let n = 0; for (let i = 0; i < 3e7; i++) n += i; return n > 0' },
        { token: agent.token },
      )
      expect(submitted.status).toBe(202)
      await server.stop()
      expect(server.child.exitCode).toBe(0)
      server = await startServer({ dataDir: dir })
      const done = await client(server.url).get(`/execute/${submitted.body.request_id}/status`, {
        token: agent.token,
      })
      expect(done.body).toMatchObject({ status: 'completed', result: { value: true } })
    } finally {
      await server.stop()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
