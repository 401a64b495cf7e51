/**
 * The `oauth3` verifying commands as real child processes (the package bin): quotes in each file
 * form, a server's attestation fetched with a fresh nonce (outside a TEE, and beside a dstack
 * stand-in), and receipts against a key or a server. Exit 0 only when everything asked was proved.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { getComposeHash } from '@phala/dstack-sdk/get-compose-hash'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { composeHashOf } from '../core/attestation/compose-hash'
import { buildDigest } from '../scripts/build-digest.mjs'
import { startDstackStandin } from '../scripts/dstack-standin.mjs'
import { run as runCode } from './helpers/exec'
import { signup } from './helpers/flow'
import { client } from './helpers/http'
import { startServer, type RunningServer } from './helpers/server'
import { failedCodes, oauth3, type Ran } from './helpers/verify-cli'

const root = fileURLToPath(new URL('..', import.meta.url))
const fixtures = join(root, 'test', 'fixtures', 'tdx')
const AT = ['--at', '2027-01-01T00:00:00Z']

let work: string
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'oauth3-verify-'))
})
afterAll(() => rmSync(work, { recursive: true, force: true }))

describe('oauth3 quote verify', () => {
  const lite = JSON.parse(readFileSync(join(fixtures, 'getquote-lite.json'), 'utf8'))

  it('proves a raw quote, its hex, and a GetQuote answer with its event log', async () => {
    const hexFile = join(work, 'quote.hex')
    writeFileSync(hexFile, `${lite.quote}\n`)
    for (const file of [
      join(fixtures, 'quote.bin'),
      hexFile,
      join(fixtures, 'getquote-lite.json'),
    ]) {
      const ran = await oauth3('quote', 'verify', file, ...AT)
      expect(ran.status, ran.stdout + ran.stderr).toBe(0)
      expect(ran.stdout).toMatch(/^Proved: genuine TDX, TCB unchecked; /m)
      expect(ran.stdout).toMatch(/skip {2}tcb-status +unchecked/)
    }
    const withLog = await oauth3(
      'quote',
      'verify',
      join(fixtures, 'getquote-lite.json'),
      '--json',
      ...AT,
    )
    expect(withLog.json().checks).toContainEqual({ name: 'rtmr-replay', ok: true })
  })

  it('refuses a tampered copy, naming the reason', async () => {
    const bytes = readFileSync(join(fixtures, 'quote.bin'))
    bytes[700] ^= 1
    const file = join(work, 'tampered.bin')
    writeFileSync(file, bytes)
    const ran = await oauth3('quote', 'verify', file, '--json', ...AT)
    expect(ran.status).toBe(1)
    expect(ran.json().ok).toBe(false)
    expect(failedCodes(ran)[0]).toBe('quote_signature_invalid')
    const plain = await oauth3('quote', 'verify', file, ...AT)
    expect(plain.stdout).toMatch(/FAIL {2}quote-signature +quote_signature_invalid: /)
    expect(plain.stdout).toMatch(/^NOT proved: /m)
  })

  it('checks --report-data and --compose-hash when given', async () => {
    const file = join(fixtures, 'getquote-lite.json')
    expect(
      (await oauth3('quote', 'verify', file, '--report-data', lite.report_data, ...AT)).status,
    ).toBe(0)
    const other = lite.report_data.replace(/^./, (c: string) => (c === '0' ? '1' : '0'))
    const wrong = await oauth3('quote', 'verify', file, '--report-data', other, '--json', ...AT)
    expect(failedCodes(wrong)).toEqual(['report_data_mismatch'])
    const compose = await oauth3(
      'quote',
      'verify',
      file,
      '--compose-hash',
      'ab'.repeat(32),
      '--json',
      ...AT,
    )
    expect(failedCodes(compose)).toEqual(['compose_hash_mismatch'])
  })

  it('answers wrong usage with exit code 2 and the usage', async () => {
    for (const args of [
      ['quote', 'verify'],
      ['quote', 'verify', join(fixtures, 'quote.bin'), '--report-data', 'xyz'],
      ['quote', 'verify', join(fixtures, 'quote.bin'), '--url', 'http://x'],
      ['quote', 'verify', join(work, 'missing.bin')],
      ['quote', 'verify', join(fixtures, 'quote.bin'), '--at', 'yesterday-ish'],
      ['receipt', 'verify', join(fixtures, 'quote.bin')],
      ['nonsense'],
    ]) {
      const ran = await oauth3(...args)
      expect(ran.status, args.join(' ')).toBe(2)
      expect(ran.stderr).toMatch(/usage:/)
    }
  })
})

describe('oauth3 attest verify and receipt verify, outside a TEE', () => {
  let server: RunningServer
  beforeAll(async () => {
    server = await startServer()
  })
  afterAll(() => server?.stop())

  it('says in plain words that nothing is attested, and exits 1', async () => {
    const ran = await oauth3('attest', 'verify', '--url', server.url)
    expect(ran.status).toBe(1)
    expect(ran.stdout).toMatch(/tee "none": it does not run in a TEE, so nothing is attested/)
    const json = await oauth3('attest', 'verify', '--url', server.url, '--json')
    expect(failedCodes(json)).toEqual(['attestation_unavailable'])
  })

  it('a server it cannot reach is not proved', async () => {
    const ran = await oauth3('attest', 'verify', '--url', 'http://127.0.0.1:9', '--json')
    expect(ran.status).toBe(1)
    expect(failedCodes(ran)).toEqual(['attestation_unavailable'])
  })

  it('verifies a receipt against a key; a changed result or another key fails', async () => {
    const api = client(server.url)
    const agent = await signup(api)
    const execution = await runCode(api, agent.token, 'console.log("receipt"); return 42')
    const key = (await api.get('/attestation')).body.signing_key as string
    const statusFile = join(work, 'status.json')
    writeFileSync(statusFile, JSON.stringify(execution))
    const ran = await oauth3('receipt', 'verify', statusFile, '--key', key)
    expect(ran.status, ran.stdout).toBe(0)
    expect(ran.stdout).toMatch(/^Proved: this result was signed by the given key/m)

    const receiptFile = join(work, 'receipt.json')
    writeFileSync(receiptFile, JSON.stringify(execution.result.receipt))
    expect((await oauth3('receipt', 'verify', receiptFile, '--key', key)).status).toBe(0)

    const changed = structuredClone(execution)
    changed.result.stdout = 'something else\n'
    writeFileSync(statusFile, JSON.stringify(changed))
    const mismatch = await oauth3('receipt', 'verify', statusFile, '--key', key, '--json')
    expect(failedCodes(mismatch)).toEqual(['receipt_result_mismatch'])

    const otherKey = key.replace(/^./, (c) => (c === '0' ? '1' : '0'))
    const other = await oauth3('receipt', 'verify', receiptFile, '--key', otherKey, '--json')
    expect(other.status).toBe(1)
    expect(failedCodes(other)).toContain('receipt_key_mismatch')
  })

  it('against --url, the signature holds but the key is not attested: exit 1', async () => {
    const api = client(server.url)
    const agent = await signup(api)
    const execution = await runCode(api, agent.token, 'return 7')
    const file = join(work, 'attested.json')
    writeFileSync(file, JSON.stringify(execution))
    const ran = await oauth3('receipt', 'verify', file, '--url', server.url, '--json')
    expect(ran.status).toBe(1)
    const checks = ran.json().checks
    expect(checks).toContainEqual(expect.objectContaining({ name: 'receipt-signature', ok: true }))
    expect(failedCodes(ran)).toEqual(['attestation_unavailable'])
  })
})

describe('oauth3 attest verify beside a dstack stand-in', () => {
  const socketPath = join(tmpdir(), `oauth3-cli-dstack-${process.pid}.sock`)
  let standin: Awaited<ReturnType<typeof startDstackStandin>>
  let server: RunningServer
  beforeAll(async () => {
    standin = await startDstackStandin({ socketPath })
    server = await startServer({ env: { NITRO_DSTACK_ENDPOINT: socketPath } })
  })
  afterAll(async () => {
    await server?.stop()
    await standin?.close()
  })

  it('a real quote that does not bind the server key and nonce is not proof', async () => {
    const ran = await oauth3('attest', 'verify', '--url', server.url, '--json', ...AT)
    expect(ran.status).toBe(1)
    const result = ran.json()
    expect(result.checks).toContainEqual({ name: 'quote-signature', ok: true })
    expect(result.checks).toContainEqual({ name: 'rtmr-replay', ok: true })
    expect(failedCodes(ran)).toEqual(['attestation_simulated', 'report_data_mismatch'])
    const plain = await oauth3('attest', 'verify', '--url', server.url, ...AT)
    expect(plain.stdout).toMatch(/tee "simulated": its quote comes from a dstack simulator/)
  })

  it('a quote tampered on its way fails with its reason', async () => {
    const tampered = await startDstackStandin({ tamper: true })
    const other = await startServer({ env: { DSTACK_SIMULATOR_ENDPOINT: tampered.endpoint } })
    try {
      const ran = await oauth3('attest', 'verify', '--url', other.url, '--json', ...AT)
      expect(ran.status).toBe(1)
      expect(failedCodes(ran)).toContain('quote_signature_invalid')
    } finally {
      await other.stop()
      await tampered.close()
    }
  })

  it('--compose hashes the app compose manifest the way dstack does, and compares', async () => {
    const manifest = {
      runner: 'docker-compose',
      name: 'oauth3',
      docker_compose_file: 'services: {}\n',
      kms_enabled: true,
      features: ['kms'],
    }
    const file = join(work, 'app-compose.json')
    writeFileSync(file, JSON.stringify(manifest, null, 2))
    expect(await composeHashOf(readFileSync(file, 'utf8'))).toBe(getComposeHash(manifest))
    const ran = await oauth3(
      'attest',
      'verify',
      '--url',
      server.url,
      '--compose',
      file,
      '--json',
      ...AT,
    )
    expect(failedCodes(ran)).toContain('compose_hash_mismatch')
    const right = await oauth3(
      'attest',
      'verify',
      '--url',
      server.url,
      '--compose-hash',
      standin.info.compose_hash!,
      '--json',
      ...AT,
    )
    expect(failedCodes(right)).not.toContain('compose_hash_mismatch')
  })

  it('--build-digest compares the digest the server reports with a local build, link by link', async () => {
    const local = buildDigest(join(root, '.output'))
    const common = ['attest', 'verify', '--url', server.url, '--json', ...AT]
    const composeHash = ['--compose-hash', standin.info.compose_hash!]
    const matching = await oauth3(...common, ...composeHash, '--build-digest', local)
    const result = matching.json() as ReturnType<Ran['json']> & { build_digest?: string }
    expect(result.checks).toContainEqual(
      expect.objectContaining({ name: 'build_digest', ok: true }),
    )
    expect(result.build_digest).toBe(local)
    expect(failedCodes(matching)).not.toContain('compose_hash_mismatch')
    // Each link on its own: a wrong digest fails that link only; a wrong compose hash, its own.
    const wrongDigest = await oauth3(...common, ...composeHash, '--build-digest', 'ab'.repeat(32))
    expect(failedCodes(wrongDigest)).toContain('build_digest_mismatch')
    expect(failedCodes(wrongDigest)).not.toContain('compose_hash_mismatch')
    const wrongCompose = await oauth3(
      ...common,
      '--compose-hash',
      'cd'.repeat(32),
      '--build-digest',
      local,
    )
    expect(failedCodes(wrongCompose)).toContain('compose_hash_mismatch')
    expect(failedCodes(wrongCompose)).not.toContain('build_digest_mismatch')
    const plain = await oauth3(
      ...common.filter((arg) => arg !== '--json'),
      '--build-digest',
      'ab'.repeat(32),
    )
    expect(plain.stdout).toMatch(
      /FAIL\s+build_digest\s+build_digest_mismatch: the server reports [0-9a-f]{64}, not (ab){32}/,
    )
  })
})
