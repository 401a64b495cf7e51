/**
 * Startup recovery comes before service: an instance starting on a Redis where a dead instance
 * left unfinished executions marks them failed (`interrupted`) before it listens at all; then
 * GET /ready says recovery is done, every one of those executions reads failed, and nothing is
 * answered from the state before recovery.
 */
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { createRedisStore } from '../server/store'
import { client } from './helpers/http'
import { dropRedisPrefix } from './helpers/redis'
import { listeningPort, logLines, makeDataDir } from './helpers/server'

const REDIS_URL = process.env.REDIS_URL
const skip = REDIS_URL ? undefined : 'REDIS_URL is not set (bash .ci/run sets it)'
const ENTRY = fileURLToPath(new URL('../.output/server/index.mjs', import.meta.url))
const LEFT_BEHIND = 1000

describe.skipIf(skip)(`startup recovery on Redis${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const prefix = `test-${randomBytes(6).toString('hex')}`
  let stop: (() => void) | undefined
  afterAll(async () => {
    stop?.()
    await dropRedisPrefix(REDIS_URL!, prefix)
  })

  it('marks a dead instance’s executions failed before it listens, and /ready says so', async () => {
    // A dead instance's unfinished executions, as it left them: records and running markers.
    const store = await createRedisStore({ url: REDIS_URL!, prefix, acceptDataLoss: true })
    const ids = Array.from(
      { length: LEFT_BEHIND },
      (_, i) => `exec_${randomBytes(11).toString('hex')}${(i % 16).toString(16).repeat(2)}`,
    )
    const now = Date.now()
    for (let i = 0; i < ids.length; i += 250) {
      await store.setMany(
        ids.slice(i, i + 250).flatMap((id) => [
          { key: `running:dead-node.0000:${id}`, value: { created_at: now } },
          {
            key: `exec:${id}`,
            value: {
              request_id: id,
              agent_id: 'tenant_000000000000000000000000',
              status: 'approved',
              node: 'dead-node.0000',
              created_at: now,
              code_sha256: '0'.repeat(64),
            },
          },
        ]),
      )
    }

    const child = spawn(process.execPath, [ENTRY], {
      env: {
        PATH: process.env.PATH ?? '',
        PORT: '0',
        HOST: '127.0.0.1',
        NITRO_DATA_DIR: makeDataDir(),
        NITRO_REDIS_URL: REDIS_URL!,
        // The test's Redis keeps nothing on disk.
        NITRO_REDIS_ACCEPT_DATA_LOSS: 'true',
        NITRO_REDIS_PREFIX: prefix,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    stop = () => child.kill('SIGKILL')
    let output = ''
    child.stderr.on('data', (chunk) => (output += chunk))
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout.on('data', (chunk) => {
        output += chunk
        const port = listeningPort(output)
        if (port !== null) resolve(port)
      })
      child.once('exit', (code) => reject(new Error(`exited with ${code}: ${output}`)))
    })
    const api = client(`http://127.0.0.1:${port}`)

    // It listens only once recovery is done: the recovery line comes before "Listening", and
    // /ready says so at once.
    const messages = logLines(output).map((line) => String(line.msg))
    const recoveredLine = messages.findIndex((msg) => msg.includes('interrupted by a stop'))
    const listeningLine = messages.findIndex((msg) => msg.startsWith('Listening on'))
    expect(recoveredLine, output).toBeGreaterThanOrEqual(0)
    expect(recoveredLine).toBeLessThan(listeningLine)
    const readiness = await api.get('/ready')
    expect(readiness.status).toBe(200)
    expect(readiness.body.recovery).toBe('done')
    expect((await api.post('/signup', {})).status).toBe(201)
    expect(output).toMatch(new RegExp(`${LEFT_BEHIND} execution\\(s\\) interrupted`))

    for (const id of [ids[0], ids[LEFT_BEHIND - 1]]) {
      const record = await store.get<{ status: string; error_code?: string }>(`exec:${id}`)
      expect(record).toMatchObject({ status: 'failed', error_code: 'interrupted' })
    }
    // Their running markers go too (removed in batches, so within moments).
    for (let i = 0; i < 40 && (await store.keys('running')).length > 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    expect(await store.keys('running')).toEqual([])
    expect((await api.get('/ready')).body).toMatchObject({ status: 'ready', recovery: 'done' })
    await store.close()
  }, 60_000)
})
