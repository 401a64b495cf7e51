/**
 * Fair turns: two tenants flooding the queue with infinite loops do not stop a third tenant's
 * short execution. With two guests busy, it starts as soon as one guest frees (within one time
 * limit), not after the flooders' backlog (first come, first served made it wait for all of it).
 */
import { describe, expect, it } from 'vitest'
import { signup } from './helpers/flow'
import { client } from './helpers/http'
import { pathOf } from './helpers/flow'
import { useTestServer } from './helpers/server'

const TIME_LIMIT_MS = 1_500
const LOOPS_PER_FLOODER = 6

describe('fair scheduling across tenants', () => {
  const server = useTestServer({
    env: {
      NITRO_SANDBOX_POOL_SIZE: '2',
      NITRO_EXEC_PER_TENANT: '1',
      NITRO_EXEC_TIMEOUT_MS: String(TIME_LIMIT_MS),
    },
  })

  it("a third tenant's short execution waits at most one time limit behind two flooders", async () => {
    const api = client(() => server.url)
    const flooders = await Promise.all([signup(api), signup(api)])
    const quiet = await signup(api)
    const loops = []
    for (let i = 0; i < LOOPS_PER_FLOODER; i++) {
      for (const flooder of flooders) {
        loops.push(await api.post('/execute', { code: 'for (;;) {}' }, { token: flooder.token }))
      }
    }
    expect(loops.every((reply) => reply.status === 202)).toBe(true)
    // Both guests are busy with loops, ten more wait.
    await new Promise((resolve) => setTimeout(resolve, 200))

    const submitted = await api.post('/execute', { code: 'return 42' }, { token: quiet.token })
    expect(submitted.status).toBe(202)
    const done = await api.get(`${pathOf(submitted.body.status_url)}&timeout=60000`, {
      token: quiet.token,
    })
    expect(done.body).toMatchObject({ status: 'completed', result: { value: 42 } })
    const waited = done.body.finished_at - done.body.created_at
    console.log(`fair turns: the short execution finished ${waited} ms after submission`)
    // One time limit for the busy guest to free, plus replacing its killed process.
    expect(waited).toBeLessThan(TIME_LIMIT_MS + 1_500)
  }, 60_000)
})
