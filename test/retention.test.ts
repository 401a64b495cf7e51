/**
 * Bounded history: with a short retention, executions (their output, calls and activity entries)
 * and decided permit requests expire; a permit in force stays, with its budget; the embedded
 * store drops what expired from memory and compacts its journal, so both return near where they
 * started.
 */
import { readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { decide, pathOf, requestPermit, signup } from './helpers/flow'
import { client } from './helpers/http'
import { EMBEDDED_ENGINES, useTestServer } from './helpers/server'

const RETENTION_S = 4
const EXECUTIONS = 400
const IN_FLIGHT = 8
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

function residentMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024
}

describe.each(EMBEDDED_ENGINES)('retention (%s)', (engine) => {
  const server = useTestServer({
    env: { NITRO_RETENTION_DAYS: String(RETENTION_S / 86_400), NITRO_STORE_ENGINE: engine },
  })
  const storeData = async () =>
    (await client(server.url, { contract: false }).get('/ready')).body.store_data
  /** Bytes of live data; the journal also shrinks on disk (SQLite reuses its freed pages). */
  const live = async () => (await storeData()).live_bytes as number
  const journal = () =>
    engine === 'journal' ? statSync(join(server.dataDir, 'store', 'journal.log')).size : 0

  it('expires history, keeps permits in force, and memory and the journal follow live data', async () => {
    // Not contract-checked: the check's GET /openapi.json loads every route into the server,
    // code this test would count as memory that does not follow live data.
    const api = client(server.url, { contract: false })
    const agent = await signup(api)
    const owner = await signup(api, 'owner')
    const kept = await requestPermit(api, agent.token, {
      description: 'in force for an hour',
      capabilities: [{ name: 'r.ping', endpoint: 'https://api.example.com/ping', method: 'GET' }],
      ttl_seconds: 3600,
      max_executions: 3,
    })
    expect((await decide(api, owner.token, kept)).status).toBe(200)
    const denied = await requestPermit(api, agent.token)
    expect((await decide(api, owner.token, denied, 'deny')).status).toBe(200)
    const underPermit = await api.post(
      '/execute',
      { permit_id: kept.permit_id, code: 'return 1' },
      { token: agent.token },
    )
    expect(underPermit.status).toBe(202)
    await api.get(pathOf(underPermit.body.status_url), { token: agent.token })

    const start = {
      data: await storeData(),
      journal: journal(),
      live: await live(),
      rss: residentMb(server.child.pid!),
    }
    expect(start.data.engine).toBe(engine)
    let next = 0
    let first: string | undefined
    // The largest the journal grew: sweeps may already compact while the load runs.
    const peak = { journal: 0, live: 0, rss: 0 }
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next < EXECUTIONS) {
          next++
          const reply = await api.post(
            '/execute',
            { code: `console.log('${'x'.repeat(200)}'); return ${next}` },
            { token: agent.token },
          )
          expect(reply.status).toBe(202)
          first ??= reply.body.status_url
          const done = await api.get(pathOf(reply.body.status_url), { token: agent.token })
          expect(done.body.status).toBe('completed')
          peak.journal = Math.max(peak.journal, journal())
          peak.live = Math.max(peak.live, await live())
        }
      }),
    )
    peak.rss = residentMb(server.child.pid!)
    // Past the size at which a sweep compacts (64 KiB and twice the live data): there was
    // something to compact.
    expect(peak.live).toBeGreaterThan(start.live + 128 * 1024)
    if (engine === 'journal') expect(peak.journal).toBeGreaterThan(start.journal + 128 * 1024)

    // Everything written above expires; a sweep then drops it. Waited for, not timed.
    while ((await storeData()).keys > start.data.keys + 8) await sleep(250)
    const end = {
      data: await storeData(),
      journal: journal(),
      live: await live(),
      rss: residentMb(server.child.pid!),
    }
    console.log(
      `retention (${engine}): keys ${start.data.keys} → ${end.data.keys}; live ` +
        `${start.live} → ${peak.live} → ${end.live} bytes; RSS ${start.rss.toFixed(1)} → ` +
        `${peak.rss.toFixed(1)} → ${end.rss.toFixed(1)} MB`,
    )
    // History is gone: its status, the agent's history, the permit's activity, the denied request.
    expect((await api.get(pathOf(first!), { token: agent.token })).status).toBe(404)
    expect((await api.get('/history', { token: agent.token })).body.executions).toEqual([])
    const activity = await api.get(`/session/${kept.permit_id}/actions`, { token: agent.token })
    expect(activity.body.actions).toEqual([])
    expect((await api.get(pathOf(denied.status_url), { token: agent.token })).status).toBe(404)
    // The permit in force stays, and so does its budget (one of three used).
    const session = await api.get(`/sessions/${kept.permit_id}`, { token: agent.token })
    expect(session.body).toMatchObject({ status: 'active', executions_used: 1 })
    const runs = []
    for (let i = 0; i < 3; i++) {
      runs.push(
        await api.post(
          '/execute',
          { permit_id: kept.permit_id, code: 'return 1' },
          { token: agent.token },
        ),
      )
    }
    expect(runs.map((reply) => reply.status)).toEqual([202, 202, 403])
    // Memory and the journal follow live data.
    expect(end.data.keys).toBeLessThanOrEqual(start.data.keys + 8)
    expect(end.live).toBeLessThan(start.live + 64 * 1024)
    if (engine === 'journal') expect(end.journal).toBeLessThan(start.journal + 64 * 1024)
    expect(end.rss - start.rss).toBeLessThan(40)
  }, 120_000)
})
