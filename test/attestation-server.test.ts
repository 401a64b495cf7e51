/**
 * Where the server runs, said honestly, over HTTP against the built server: with no guest agent it
 * is `tee: "none"` and claims nothing; with a stand-in for the dstack guest agent (its real HTTP
 * protocol over a Unix socket, or over TCP as DSTACK_SIMULATOR_ENDPOINT) the keys come from it,
 * /attestation serves its quote, and the mode is `simulated` — never `tdx`, because that quote
 * does not bind this server's key.
 */
import { createHash } from 'node:crypto'
import { existsSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { attestationReportData } from '../core/attestation/report-data'
import { verifyQuote } from '../core/attestation/verify-quote'
import { refuseOutsideKeysInTdx } from '../server/attestation/environment'
import {
  createKeyProvider,
  createLocalKeyProvider,
  KEY_PURPOSES,
  type KeyRoots,
} from '../server/vault/keys'
import { startDstackStandin, standinKey } from '../scripts/dstack-standin.mjs'
import { signup } from './helpers/flow'
import { client } from './helpers/http'
import { makeDataDir, runUntilExit, startServer, type RunningServer } from './helpers/server'

type Standin = Awaited<ReturnType<typeof startDstackStandin>>

/** The signing key a server deriving its keys through the stand-in must have. */
function standinSigningKey(): Buffer {
  const roots = Object.fromEntries(
    Object.entries(KEY_PURPOSES).map(([root, path]) => [root, standinKey(path, 'oauth3')]),
  ) as unknown as KeyRoots
  return createKeyProvider('dstack', roots).signingKey().publicKey
}

describe('outside a TEE', () => {
  let server: RunningServer
  beforeAll(async () => {
    server = await startServer()
  })
  afterAll(() => server?.stop())

  it('says tee "none", in /health, /attestation and the startup log, and serves no quote', async () => {
    const api = client(server.url)
    expect((await api.get('/health')).body.tee).toBe('none')
    const attestation = await api.get('/attestation?nonce=00ff')
    expect(attestation.status).toBe(200)
    expect(attestation.body.tee).toBe('none')
    expect(attestation.body.quote).toBeUndefined()
    expect(attestation.body.event_log).toBeUndefined()
    expect(attestation.body.message).toMatch(/does not run in a TEE: nothing is attested/)
    expect(server.logs()).toMatch(
      /tee: none \(no dstack guest agent socket or endpoint\); keys: local-file/,
    )
  })

  it('names its signing key (from the key file) and binds it with the nonce in report_data', async () => {
    const api = client(server.url)
    const key = createLocalKeyProvider(join(server.dataDir, 'vault.key')).signingKey().publicKey
    const nonce = 'a1'.repeat(32)
    const { body } = await api.get(`/attestation?nonce=${nonce}`)
    expect(body.signing_key).toBe(key.toString('hex'))
    expect(body.key_id).toBe(createHash('sha256').update(key).digest('hex'))
    expect(body.nonce).toBe(nonce)
    const expected = await attestationReportData(key, Buffer.from(nonce, 'hex'))
    expect(body.report_data).toBe(Buffer.from(expected).toString('hex'))
    expect(body.version).toMatch(/^\d+\.\d+\.\d+/)
  })

  it('refuses a nonce that is not hex or longer than 32 bytes', async () => {
    const api = client(server.url)
    for (const nonce of ['zz', 'abc', 'ab'.repeat(33), '%00']) {
      const reply = await api.get(`/attestation?nonce=${nonce}`)
      expect(reply.status, nonce).toBe(400)
      expect(reply.body.code).toBe('INVALID_QUERY')
    }
  })
})

describe('with a dstack guest-agent stand-in on a Unix socket', () => {
  const socketPath = join(tmpdir(), `oauth3-dstack-${process.pid}.sock`)
  let standin: Standin
  let server: RunningServer
  const dataDir = makeDataDir()
  beforeAll(async () => {
    standin = await startDstackStandin({ socketPath })
    server = await startServer({
      dataDir,
      keepData: true,
      env: { NITRO_DSTACK_ENDPOINT: socketPath },
    })
  })
  afterAll(async () => {
    await server?.stop()
    await standin?.close()
    rmSync(dataDir, { recursive: true, force: true })
  })

  it('labels the mode simulated, never tdx, and says why', async () => {
    const api = client(server.url)
    expect((await api.get('/health')).body.tee).toBe('simulated')
    expect(server.logs()).toMatch(/tee: simulated \(.*report_data_mismatch.*\); keys: dstack/)
  })

  it('derives every key through the guest agent: none is written to disk', async () => {
    const paths = standin.calls
      .filter((call) => call.path === '/GetKey')
      .map((call) => call.body.path)
      .sort()
    expect(paths).toEqual(Object.values(KEY_PURPOSES).sort())
    expect(existsSync(join(dataDir, 'vault.key'))).toBe(false)
    const { body } = await client(server.url).get('/attestation')
    expect(body.signing_key).toBe(standinSigningKey().toString('hex'))
  })

  it('records its signing key in RTMR3 at startup', () => {
    expect(standin.emitted).toEqual([
      { event: 'oauth3-signing-key', payload: standinSigningKey().toString('hex') },
    ])
  })

  it("serves the agent's quote and event log, for this nonce's report_data", async () => {
    const nonce = '5a'.repeat(16)
    const { body } = await client(server.url).get(`/attestation?nonce=${nonce}`)
    expect(body.tee).toBe('simulated')
    expect(body.message).toMatch(/proves nothing/)
    expect(body.app_id).toBe(standin.info.app_id)
    expect(body.compose_hash).toBe(standin.info.compose_hash)
    expect(body.instance_id).toBe(standin.info.instance_id)
    const lastQuote = standin.calls.filter((call) => call.path === '/GetQuote').at(-1)
    expect(lastQuote?.body.report_data).toBe(body.report_data)
    // A verifier sees a genuine quote that does not bind this server's key and nonce.
    const verification = await verifyQuote({
      quote: Buffer.from(body.quote, 'hex'),
      eventLog: body.event_log,
      reportData: Buffer.from(body.report_data, 'hex'),
      at: Date.parse('2027-01-01'),
    })
    expect(verification.checks.filter((check) => !check.ok).map((check) => check.code)).toEqual([
      'report_data_mismatch',
    ])
  })

  it('keeps its keys across a restart: tokens still resolve', async () => {
    const api = client(server.url)
    const owner = await signup(api, 'owner')
    await server.stop()
    server = await startServer({
      dataDir,
      keepData: true,
      env: { NITRO_DSTACK_ENDPOINT: socketPath },
    })
    const me = await client(server.url).get('/me', { token: owner.token })
    expect(me.status).toBe(200)
  })
})

describe('with the stand-in as DSTACK_SIMULATOR_ENDPOINT (TCP)', () => {
  let standin: Standin
  let server: RunningServer
  beforeAll(async () => {
    standin = await startDstackStandin()
    server = await startServer({ env: { DSTACK_SIMULATOR_ENDPOINT: standin.endpoint } })
  })
  afterAll(async () => {
    await server?.stop()
    await standin?.close()
  })

  it('is simulated because the simulator is named, and derives its keys through it', async () => {
    expect(server.logs()).toMatch(
      /tee: simulated \(DSTACK_SIMULATOR_ENDPOINT names the dstack simulator\); keys: dstack/,
    )
    const { body } = await client(server.url).get('/attestation?nonce=01')
    expect(body.tee).toBe('simulated')
    expect(body.quote).toMatch(/^04000200/)
    expect(body.signing_key).toBe(standinSigningKey().toString('hex'))
  })
})

describe('key provider settings', () => {
  it('NITRO_KEY_PROVIDER=dstack with no guest agent stops at startup, saying why', async () => {
    const { code, output } = await runUntilExit({ NITRO_KEY_PROVIDER: 'dstack' })
    expect(code).not.toBe(0)
    expect(output).toMatch(/NITRO_KEY_PROVIDER=dstack, but no dstack guest agent socket/)
    const missing = join(tmpdir(), `oauth3-no-agent-${process.pid}.sock`)
    const named = await runUntilExit({
      NITRO_KEY_PROVIDER: 'dstack',
      NITRO_DSTACK_ENDPOINT: missing,
    })
    expect(named.code).not.toBe(0)
    expect(named.output).toContain(`NITRO_KEY_PROVIDER=dstack, but no socket at ${missing}`)
    // A socket whose listener never answers: the probe gives up after a second.
    const silent = createServer(() => {})
    await new Promise<void>((resolve) => silent.listen(missing, resolve))
    try {
      const mute = await runUntilExit({
        NITRO_KEY_PROVIDER: 'dstack',
        NITRO_DSTACK_ENDPOINT: missing,
      })
      expect(mute.code).not.toBe(0)
      expect(mute.output).toMatch(/does not answer \(no answer within 1 s\)/)
    } finally {
      silent.close()
    }
  })

  it('NITRO_KEY_PROVIDER=local keeps the key file even beside a guest agent', async () => {
    const standin = await startDstackStandin()
    const server = await startServer({
      env: { DSTACK_SIMULATOR_ENDPOINT: standin.endpoint, NITRO_KEY_PROVIDER: 'local' },
    })
    try {
      expect(server.logs()).toMatch(/keys: local-file/)
      expect(standin.calls.some((call) => call.path === '/GetKey')).toBe(false)
      expect(existsSync(join(server.dataDir, 'vault.key'))).toBe(true)
    } finally {
      await server.stop()
      await standin.close()
    }
  })

  it('an unknown key provider is a settings error', async () => {
    const { code, output } = await runUntilExit({ NITRO_KEY_PROVIDER: 'hsm' })
    expect(code).not.toBe(0)
    expect(output).toMatch(/NITRO_KEY_PROVIDER must be auto, local or dstack/)
  })

  it('inside TDX, local keys and the upstream map are refused', () => {
    const none = { upstreamMap: {} }
    expect(() => refuseOutsideKeysInTdx({ kind: 'dstack' }, none)).not.toThrow()
    expect(() => refuseOutsideKeysInTdx({ kind: 'local-file' }, none)).toThrow(
      /NITRO_KEY_PROVIDER=local is refused/,
    )
    expect(() =>
      refuseOutsideKeysInTdx(
        { kind: 'dstack' },
        { upstreamMap: { 'https://api.github.com': 'http://127.0.0.1:1' } },
      ),
    ).toThrow(/NITRO_UPSTREAM_MAP .* refused inside TDX/)
  })
})
