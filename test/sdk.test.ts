/**
 * The SDK as users get it (sdk/dist, built like `npm run build`), against the real server: the
 * product page's snippet in a fresh HOME (and the saved config reused), the Quick Start through
 * permits, live events that arrive before the execution ends, typed errors, the offline verifier
 * against a tee-none server and a dstack stand-in (a tampered quote fails with its reason), typed
 * capabilities that tsc accepts and rejects, and the exported names.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startDstackStandin } from '../scripts/dstack-standin.mjs'
import { decide, GITHUB_CAPABILITY, signup } from './helpers/flow'
import { client } from './helpers/http'
import { startPccsStandin } from './helpers/pccs-standin'
import { startServer, useTestServer, type RunningServer } from './helpers/server'
import { fakeGithub, sendJson, startUpstream, type Upstream, createGate } from './helpers/upstream'

const root = fileURLToPath(new URL('..', import.meta.url))
const SDK = join(root, 'sdk', 'dist', 'index.js')
const OS_IMAGE = 'e6f5cfec20c02e7b97baa213d0f718020b55e040172d90ccbcb946d56c8b09db'
// The built bundle is what runs; its types are the source it is built from, so typecheck needs no
// build output.
type Sdk = typeof import('../sdk/src/index')
const loadSdk = () => import(SDK) as Promise<Sdk>

let github: Upstream
const gate = createGate()
let slow: Upstream
let home: string
beforeAll(async () => {
  github = await startUpstream(fakeGithub())
  slow = await startUpstream(async (_, response) => {
    await gate.pass()
    sendJson(response, 200, { ok: true })
  })
  home = mkdtempSync(join(tmpdir(), 'oauth3-sdk-home-'))
})
afterAll(async () => {
  await github?.close()
  await slow?.close()
  rmSync(home, { recursive: true, force: true })
})
const server = useTestServer(() => ({
  env: {
    NITRO_UPSTREAM_MAP: JSON.stringify({
      'https://api.github.com': github.origin,
      'https://slow.example.com': slow.origin,
    }),
  },
}))
const api = client(() => server.url)

/** Run a module script with node, in the fresh HOME, against the server. */
function runScript(source: string): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', source], {
    env: { PATH: process.env.PATH, HOME: home, OAUTH3_URL: server.url },
    encoding: 'utf8',
    timeout: 60_000,
  })
  return { status: result.status, stdout: result.stdout, stderr: result.stderr }
}

describe('the product page snippet', () => {
  it('OAuth3.create() signs up, saves the token (0600), runs hello; a second create() reuses it', () => {
    const snippet = `
      const { OAuth3 } = await import(${JSON.stringify(SDK)})
      const client = await OAuth3.create()
      const result = await client.executeAndWait({ skill_id: "hello", skill_code: "console.log('hi')" })
      const me = await client.me()
      console.log(JSON.stringify({ stdout: result.result.stdout, status: result.status, tenant: me.tenant_id }))`
    const first = runScript(snippet)
    expect(first.status, first.stderr).toBe(0)
    const answer = JSON.parse(first.stdout)
    expect(answer).toMatchObject({ stdout: 'hi\n', status: 'completed' })
    const config = join(home, '.oauth3', 'config.json')
    expect(statSync(config).mode & 0o777).toBe(0o600)
    expect(JSON.parse(readFileSync(config, 'utf8'))).toMatchObject({
      default: server.url,
      servers: { [server.url]: { token: expect.stringMatching(/^oa3_agent_/) } },
    })
    const second = runScript(snippet)
    expect(second.status, second.stderr).toBe(0)
    expect(JSON.parse(second.stdout).tenant).toBe(answer.tenant)
  })
})

describe('OAuth3 client', () => {
  it('runs the Quick Start: a permit, the human approves, the code files an issue', async () => {
    const { OAuth3 } = await loadSdk()
    const agent = await signup(api)
    const owner = await signup(api, 'owner')
    const sdk = new OAuth3({ url: server.url, token: agent.token })
    const permit = await sdk.requestPermit({
      description: 'File issues on GitHub',
      capabilities: [GITHUB_CAPABILITY as never],
    })
    expect(permit.approval_url).toMatch(/\/approve\/preq_/)
    const waiting = permit.wait(30_000)
    expect(
      (await decide(api, owner.token, permit, 'approve', { secrets: { GH_TOKEN: 'ghp_sdk' } }))
        .status,
    ).toBe(200)
    expect((await waiting).status).toBe('completed')
    const result = await sdk.executeAndWait({
      permit_id: permit.permit_id,
      code: 'return await createIssue("ada", "repo", "From the SDK", "hi")',
    })
    expect(result.status).toBe('completed')
    expect(result.result?.value).toMatchObject({ number: expect.any(Number) })
    expect(github.seen.at(-1)?.headers.authorization).toBe('token ghp_sdk')
    const history = await sdk.history(5)
    expect(history.executions[0].request_id).toBe(result.request_id)
  })

  it('executeAndWait takes one round trip when the execution ends within a minute (Prefer: wait)', async () => {
    const { OAuth3 } = await loadSdk()
    const agent = await signup(api)
    const requests: string[] = []
    const counting: typeof fetch = (input, init) => {
      requests.push(`${init?.method ?? 'GET'} ${new URL(String(input)).pathname}`)
      return fetch(input, init)
    }
    const sdk = new OAuth3({ url: server.url, token: agent.token, fetch: counting })
    const result = await sdk.executeAndWait({ code: 'return 6 * 7' })
    expect(result).toMatchObject({ status: 'completed', result: { value: 42 } })
    // (The SDK also reads /attestation once, to know whether receipts can be verified.)
    expect(requests.filter((request) => request.includes('/execute'))).toEqual(['POST /execute'])
  })

  it('yields live output before the execution ends', async () => {
    const { OAuth3 } = await loadSdk()
    const agent = await signup(api)
    const owner = await signup(api, 'owner')
    const sdk = new OAuth3({ url: server.url, token: agent.token })
    const permit = await sdk.requestPermit({
      description: 'Slow call',
      capabilities: [
        {
          name: 'slow.get',
          endpoint: 'https://slow.example.com/x',
          method: 'GET',
          auth: { header: 'Authorization', value: 'Bearer {SLOW}' },
        } as never,
      ],
    })
    await decide(api, owner.token, permit, 'approve', { secrets: { SLOW: 's' } })
    const submitted = await sdk.submit({
      permit_id: permit.permit_id,
      code: 'console.log("first"); await get(); console.log("second"); return 1',
    })
    const seen: string[] = []
    for await (const event of sdk.events(submitted.request_id)) {
      seen.push(event.type === 'stdout' ? `stdout:${event.data.trim()}` : event.type)
      if (event.type === 'stdout' && event.data === 'first\n') {
        // The call is still held by the upstream: this line arrived while the code ran.
        expect(seen).toEqual(['stdout:first'])
        gate.release()
      }
    }
    expect(seen).toEqual(['stdout:first', 'call', 'stdout:second', 'end'])
  })

  it('raises typed errors with the status and the code', async () => {
    const { OAuth3, OAuth3Error } = await loadSdk()
    const sdk = new OAuth3({ url: server.url, token: `oa3_agent_${'A'.repeat(43)}` })
    const error = await sdk.me().catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(OAuth3Error)
    expect(error).toMatchObject({ status: 401, code: 'UNAUTHORIZED' })
  })

  it("verify: 'require' refuses results from a server that is not attested; 'auto' does not", async () => {
    const { OAuth3 } = await loadSdk()
    const agent = await signup(api)
    const strict = new OAuth3({ url: server.url, token: agent.token, verify: 'require' })
    const refused = await strict
      .executeAndWait({ code: 'return 1' })
      .catch((caught: unknown) => caught)
    expect(refused).toMatchObject({ code: 'ATTESTATION_FAILED' })
    expect(String((refused as Error).message)).toMatch(/attestation_unavailable/)
    const relaxed = new OAuth3({ url: server.url, token: agent.token })
    expect((await relaxed.executeAndWait({ code: 'return 1' })).status).toBe('completed')
    const verification = await relaxed.verify()
    expect(verification.ok).toBe(false)
    expect(verification.checks[0]).toMatchObject({ name: 'tee', code: 'attestation_unavailable' })
  })

  it('the typed capabilities accept correct code and reject a wrong argument type (tsc)', async () => {
    const { OAuth3 } = await loadSdk()
    const agent = await signup(api)
    const owner = await signup(api, 'owner')
    const sdk = new OAuth3({ url: server.url, token: agent.token })
    const permit = await sdk.requestPermit({
      description: 'Typed',
      capabilities: [
        {
          ...GITHUB_CAPABILITY,
          params: {
            owner: { in: 'path', type: 'string' },
            repo: {
              in: 'path',
              constraint: { type: 'enum', values: ['one', 'two'], rationale: 'my repos' },
            },
            title: { in: 'body', type: 'string' },
            body: { in: 'body', type: 'string' },
          },
        } as never,
      ],
    })
    await decide(api, owner.token, permit, 'approve')
    const declarations = await sdk.capabilityTypes(permit.permit_id)
    expect(declarations).toContain('declare function createIssue(')
    expect(declarations).toContain('repo must be one of "one", "two".')
    const dir = mkdtempSync(join(tmpdir(), 'oauth3-types-'))
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
    const check = (code: string) => {
      writeFileSync(join(dir, 'permit.d.ts'), declarations)
      writeFileSync(join(dir, 'code.ts'), `export async function main() {\n${code}\n}\n`)
      try {
        execFileSync(
          process.execPath,
          [
            tsc,
            '--noEmit',
            '--strict',
            '--lib',
            'es2022',
            join(dir, 'permit.d.ts'),
            join(dir, 'code.ts'),
          ],
          // Run where no node_modules/@types is found: the sandbox has no Node globals.
          { encoding: 'utf8', cwd: dir },
        )
        return ''
      } catch (error) {
        return String((error as { stdout?: string }).stdout)
      }
    }
    try {
      expect(check('return await createIssue("ada", "one", "Title", "Body")')).toBe('')
      expect(check('return await createIssue("ada", 42, "Title", "Body")')).toMatch(/TS2345/)
      expect(check('return await createIssue("ada", "three", "Title")')).toMatch(/TS2345/)
      // The sandbox's globals are declared, and only they: console yes; fetch, timers, process no.
      expect(check('console.log("hi"); console.error(args); return 1')).toBe('')
      expect(check('return await fetch("https://example.com")')).toMatch(/TS2304.*'fetch'/)
      expect(check('setTimeout(() => 0, 1)')).toMatch(/TS2304.*'setTimeout'/)
      expect(check('return process.env')).toMatch(/TS(2304|2580).*'process'/)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }, 180_000)

  it('exports exactly its public names', async () => {
    const sdk = await loadSdk()
    expect(Object.keys(sdk).sort()).toEqual([
      'DEFAULT_URL',
      'INTEL_SGX_ROOT_CA_SHA256',
      'OAuth3',
      'OAuth3Error',
      'VERSION',
      'composeHashOf',
      'fetchCollateral',
      'manifestOfApproval',
      'manifestSha256',
      'parseCollateral',
      'permitManifest',
      'verdictOf',
      'verifyAttestation',
      'verifyQuote',
      'verifyReceipt',
    ])
    const methods = Object.getOwnPropertyNames(sdk.OAuth3.prototype).sort()
    expect(methods).toEqual(
      [
        'capabilityTypes',
        'checked',
        'attestedOrThrow',
        'authorization',
        'constructor',
        'events',
        'execute',
        'executeAndWait',
        'history',
        'me',
        'poll',
        'request',
        'requestPermit',
        'run',
        'sessions',
        'submit',
        'verify',
      ].sort(),
    )
  })
})

describe('client.verify against a dstack guest-agent stand-in', () => {
  for (const tamper of [false, true]) {
    it(
      tamper
        ? 'a tampered quote fails with its reason'
        : 'the genuine quote verifies but does not bind this server',
      async () => {
        const standin = await startDstackStandin({ tamper })
        let other: RunningServer | undefined
        try {
          other = await startServer({ env: { DSTACK_SIMULATOR_ENDPOINT: standin.endpoint } })
          const { OAuth3 } = await loadSdk()
          const agent = await signup(client(other.url))
          const verification = await new OAuth3({ url: other.url, token: agent.token }).verify()
          expect(verification.ok).toBe(false)
          const failed = verification.checks.filter((check) => !check.ok).map((check) => check.code)
          if (tamper) {
            expect(failed).toContain('quote_signature_invalid')
          } else {
            expect(verification.checks).toContainEqual({ name: 'quote-signature', ok: true })
            expect(verification.checks).toContainEqual({ name: 'pck-chain', ok: true })
            expect(verification.checks).toContainEqual({ name: 'rtmr-replay', ok: true })
            expect(failed).toEqual(['attestation_simulated', 'report_data_mismatch'])
            // The VM config proves which OS image booted; nothing pins it, and the verdict says so.
            expect(verification.quote?.osImage?.hash).toBe(OS_IMAGE)
            expect(verification.verdict.summary).toMatch(/; OS image unpinned; /)
            const sdk = new OAuth3({ url: other.url, token: agent.token })
            const pinned = await sdk.verify({ osImageHashes: ['ab'.repeat(32)] })
            expect(pinned.checks).toContainEqual(
              expect.objectContaining({ name: 'os-image', code: 'os_image_hash_mismatch' }),
            )
            // Collateral fetched from a PCCS is verified, not trusted: another platform's is refused.
            const pccs = await startPccsStandin(
              JSON.parse(
                readFileSync(join(root, 'test/fixtures/tdx/collateral/v4-collateral.json'), 'utf8'),
              ),
            )
            try {
              const fetched = await sdk.verify({ pccs: pccs.url })
              expect(pccs.requests[0]).toMatch(
                /^\/tdx\/certification\/v4\/tcb\?fmspc=[0-9A-F]{12}$/,
              )
              expect(fetched.checks).toContainEqual(
                expect.objectContaining({ name: 'collateral', code: 'collateral_mismatch' }),
              )
            } finally {
              await pccs.close()
            }
          }
        } finally {
          await other?.stop()
          await standin.close()
        }
      },
    )
  }
})
