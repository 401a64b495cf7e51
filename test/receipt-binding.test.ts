/**
 * Rule 20: a receipt binds the whole terminal answer. On each store, a stored execution record is
 * edited field by field (a failed run turned into `completed, success: true`, its output, value,
 * calls, timings, exit code, hashes…) while the server is stopped; after the restart every edited
 * status body fails `oauth3 receipt verify --key` (the package bin, a real child process), and
 * the failing check names the edited field; the untouched one still verifies.
 */
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createEmbeddedStore, createRedisStore, type Store } from '../server/store'
import { signup } from './helpers/flow'
import { client } from './helpers/http'
import { dropRedisPrefix } from './helpers/redis'
import { EMBEDDED_ENGINES, makeDataDir, startServer, type RunningServer } from './helpers/server'

type StoredRecord = Record<string, any>

/** Each edit of a stored record, and the field of the status body it must be reported under. */
const EDITS: Array<[string, (record: StoredRecord) => void, string[]]> = [
  [
    'a failure turned into a success',
    (r) => {
      r.status = 'completed'
      r.result.success = true
      r.result.exitCode = 0
      delete r.error
      delete r.error_code
    },
    ['error', 'result.exitCode', 'result.success', 'status'],
  ],
  ['status', (r) => (r.status = 'completed'), ['status']],
  ['success', (r) => (r.result.success = true), ['result.success']],
  ['error', (r) => (r.error = 'Error: nothing went wrong'), ['error']],
  ['exit code', (r) => (r.result.exitCode = 0), ['result.exitCode']],
  ['stdout', (r) => (r.result.stdout = 'all good\n'), ['result.stdout_sha256']],
  ['stderr', (r) => (r.result.stderr = ''), ['result.stderr_sha256']],
  ['value', (r) => (r.result.value = { paid: true }), ['result.value_sha256']],
  [
    'calls',
    (r) =>
      r.result.calls.push({ capability: 'x.y', method: 'GET', url: 'x', status: 200, duration: 1 }),
    ['result.calls_sha256'],
  ],
  ['duration', (r) => (r.result.duration += 1000), ['result.duration']],
  ['finished_at', (r) => (r.finished_at -= 1), ['finished_at']],
  ['started_at', (r) => (r.started_at += 1), ['started_at']],
  ['created_at', (r) => (r.created_at -= 60_000), ['created_at']],
  ['code hash', (r) => (r.code_sha256 = 'f'.repeat(64)), ['code_sha256']],
  ['action id', (r) => (r.action_id = 'refund-all'), ['action_id']],
  ['label', (r) => (r.label = 'trusted-skill'), ['label']],
]

const root = fileURLToPath(new URL('..', import.meta.url))
const REDIS_URL = process.env.REDIS_URL

interface Ran {
  status: number | null
  checks: Array<{ name: string; ok: boolean; code?: string; reason?: string }>
}

function receiptVerify(file: string, key: string): Promise<Ran> {
  const args = [join(root, 'bin', 'oauth3.mjs'), 'receipt', 'verify', file, '--key', key, '--json']
  const child = spawn(process.execPath, args, { cwd: root })
  let stdout = ''
  child.stdout.on('data', (chunk) => (stdout += chunk))
  return new Promise((resolve) =>
    child.once('close', (status) => resolve({ status, checks: JSON.parse(stdout).checks })),
  )
}

interface StoreSetup {
  env: Record<string, string>
  /** The store as the server keeps it, opened while the server is stopped. */
  open(dataDir: string): Promise<Store>
  cleanup(): Promise<void>
}

const embedded = (engine: 'sqlite' | 'journal'): StoreSetup => ({
  env: { NITRO_STORE_ENGINE: engine },
  open: (dir) => createEmbeddedStore({ dir, engine }),
  cleanup: async () => {},
})

function redis(): StoreSetup {
  const prefix = `test-${randomBytes(6).toString('hex')}`
  return {
    env: { NITRO_REDIS_URL: REDIS_URL!, NITRO_REDIS_PREFIX: prefix },
    open: () => createRedisStore({ url: REDIS_URL!, prefix, acceptDataLoss: true }),
    cleanup: () => dropRedisPrefix(REDIS_URL!, prefix),
  }
}

const SETUPS: Array<[string, () => StoreSetup]> = [
  ...EMBEDDED_ENGINES.map((engine): [string, () => StoreSetup] => [
    `embedded (${engine})`,
    () => embedded(engine),
  ]),
  ...(REDIS_URL ? [['redis', redis] as [string, () => StoreSetup]] : []),
]

let work: string
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'oauth3-receipt-'))
})
afterAll(() => rmSync(work, { recursive: true, force: true }))

describe.each(SETUPS)(
  'rule 20 on the %s store: an edited stored result fails its receipt',
  (name, make) => {
    const setup = make()
    const dataDir = makeDataDir()
    let server: RunningServer | undefined
    afterAll(async () => {
      await server?.stop()
      await setup.cleanup()
      rmSync(dataDir, { recursive: true, force: true })
    })

    it('names every edited field; the untouched result verifies', async () => {
      const start = () => startServer({ env: setup.env, dataDir, keepData: true })
      server = await start()
      const api = client(() => server!.url)
      const key = (await api.get('/attestation')).body.signing_key as string
      const agent = await signup(api)
      const ids: string[] = []
      for (let i = 0; i <= EDITS.length; i++) {
        const submitted = await api.post(
          '/execute',
          {
            code: 'console.log("charged"); console.error("card declined"); throw new Error("declined")',
            skill_id: 'payments',
            action_id: `a${i}`,
          },
          { token: agent.token, headers: { prefer: 'wait=30' } },
        )
        expect(submitted.body.status, submitted.text).toBe('failed')
        ids.push(submitted.body.request_id)
      }
      await server.stop()

      const store = await setup.open(dataDir)
      for (const [i, [, edit]] of EDITS.entries()) {
        const record = (await store.get<StoredRecord>(`exec:${ids[i]}`))!
        expect(record.status).toBe('failed')
        edit(record)
        await store.set(`exec:${ids[i]}`, record)
      }
      await store.close()
      server = await start()

      const verify = async (id: string) => {
        const status = await api.get(`/execute/${id}/status`, { token: agent.token })
        expect(status.status).toBe(200)
        const file = join(work, `${name}-${id}.json`.replace(/[^\w.-]/g, '_'))
        writeFileSync(file, status.text)
        return receiptVerify(file, key)
      }
      const untouched = await verify(ids[EDITS.length])
      expect(untouched.status, JSON.stringify(untouched.checks)).toBe(0)
      for (const [i, [edit, , fields]] of EDITS.entries()) {
        const ran = await verify(ids[i])
        expect(ran.status, edit).toBe(1)
        const failed = ran.checks.filter((check) => !check.ok)
        expect(
          failed.map((check) => check.code),
          edit,
        ).toEqual(['receipt_result_mismatch'])
        expect(failed[0].reason, edit).toBe(
          `the answer differs from the signed one in ${fields.join(', ')}`,
        )
      }
    })
  },
)
