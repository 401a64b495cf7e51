/**
 * The hot path after the speed work: an execution is two journal writes (the record with its
 * index entries and running marker as one line, then the result), its marker removed later in a
 * batch; and with one guest process, whose next Compartment is prepared while it is idle, every
 * execution still gets a fresh one.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { signup } from './helpers/flow'
import { client } from './helpers/http'
import { useTestServer } from './helpers/server'

describe('the hot path', () => {
  // The journal engine: its lines show each write the execution makes (SQLite makes the same
  // writes, one transaction each).
  const server = useTestServer({
    env: { NITRO_SANDBOX_POOL_SIZE: '1', NITRO_STORE_ENGINE: 'journal' },
  })
  const api = client(() => server.url)
  const inline = (token: string, code: string) =>
    api.post('/execute', { code }, { token, headers: { prefer: 'wait=10' } })

  it('stores an execution in two journal writes, and removes its marker in a later batch', async () => {
    const agent = await signup(api)
    const reply = await inline(agent.token, 'return 1')
    expect(reply.body.status).toBe('completed')
    const id = reply.body.request_id as string
    const journalLines = () =>
      readFileSync(join(server.dataDir, 'store', 'journal.log'), 'utf8')
        .split('\n')
        .filter((line) => line.includes(id))
        .map((line) => JSON.parse(line))
    // The marker's removal comes with a later batch.
    while (journalLines().length < 3) await new Promise((resolve) => setTimeout(resolve, 20))
    const lines = journalLines()
    expect(lines).toHaveLength(3)
    // 1: marker, agent index entry and record, together.
    expect(lines[0].t.map((write: { k: string }) => write.k.split(':')[0])).toEqual([
      'running',
      'agent-execs',
      'exec',
    ])
    // 2: the terminal record (no "executing" write before it).
    // The value is JSON in the line, not a string of escaped JSON (one encoding).
    expect(lines[1].j.v.status).toBe('completed')
    // 3: the marker's removal.
    expect(lines[2]).toMatchObject({ k: expect.stringMatching(/^running:/), d: 1 })
  })

  it('gives every execution a fresh Compartment, with one guest and its prepared spare', async () => {
    const [a, b] = await Promise.all([signup(api), signup(api)])
    for (let i = 0; i < 8; i++) {
      const token = i % 2 ? a.token : b.token
      const reply = await inline(
        token,
        `const seen = typeof globalThis.mark + ',' + typeof mark
         globalThis.mark = ${i}
         Object.defineProperty(globalThis, 'pinned' + ${i}, { value: 1 })
         console.log('run ${i}')
         return seen + ',' + Object.getOwnPropertyNames(globalThis).filter((n) => n.startsWith('pinned')).length`,
      )
      expect(reply.body.result.value, `run ${i}`).toBe('undefined,undefined,1')
      // The console came with the prepared compartment: its output is this run's, and only it.
      expect(reply.body.result.stdout, `run ${i}`).toBe(`run ${i}\n`)
    }
  })
})
