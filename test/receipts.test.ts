/**
 * Execution receipts, over HTTP against the built server: every terminal execution carries one,
 * signed by the key GET /attestation names; it verifies offline (core/attestation/receipt.ts) for
 * plain code, capability calls and failures; any change to a field, or another key, breaks it;
 * every read answers the same bytes.
 */
import { generateKeyPairSync } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sha256Json } from '../core/hash'
import { verifyReceipt, type Receipt, type StatusBodyLike } from '../core/attestation/receipt'
import { approvedAgent, execute, run } from './helpers/exec'
import { GITHUB_CAPABILITY, pathOf, signup } from './helpers/flow'
import { client } from './helpers/http'
import { useTestServer } from './helpers/server'
import { fakeGithub, startUpstream, type Upstream } from './helpers/upstream'

let github: Upstream
beforeAll(async () => {
  github = await startUpstream(fakeGithub())
})
afterAll(() => github?.close())
const server = useTestServer(() => ({
  env: { NITRO_UPSTREAM_MAP: JSON.stringify({ 'https://api.github.com': github.origin }) },
}))
const api = client(() => server.url)

async function signingKey(): Promise<Uint8Array> {
  const attestation = await api.get('/attestation')
  expect(attestation.status).toBe(200)
  return Buffer.from(attestation.body.signing_key, 'hex')
}

async function verifyExecution(execution: Record<string, any>, key?: Uint8Array) {
  return verifyReceipt({
    receipt: execution.result.receipt,
    publicKey: key ?? (await signingKey()),
    execution: execution as StatusBodyLike,
  })
}

const failedCodes = (result: { checks: Array<{ ok: boolean; code?: string }> }) =>
  result.checks.filter((check) => !check.ok).map((check) => check.code)

describe('receipts', () => {
  it('a completed execution without calls carries a receipt that verifies', async () => {
    const agent = await signup(api)
    const execution = await run(api, agent.token, 'console.log("hi"); return { n: args.n }', {
      n: 3,
    })
    expect(execution.status).toBe('completed')
    const receipt = execution.result.receipt as Receipt
    expect(receipt).toMatchObject({
      v: 2,
      alg: 'ed25519',
      request_id: execution.request_id,
      permit_id: null,
      manifest_sha256: null,
      code_sha256: execution.code_sha256,
      args_sha256: sha256Json({ n: 3 }),
      started_at: execution.started_at,
      finished_at: execution.finished_at,
      server_version: expect.stringMatching(/^\d+\.\d+\.\d+/),
    })
    // The whole answer is signed, its long parts by their hash.
    const { receipt: _, stdout, value, ...result } = execution.result
    expect(receipt.answer).toEqual({
      request_id: execution.request_id,
      status: 'completed',
      created_at: execution.created_at,
      started_at: execution.started_at,
      finished_at: execution.finished_at,
      code: 'ad-hoc',
      code_sha256: execution.code_sha256,
      result: {
        success: result.success,
        exitCode: 0,
        duration: result.duration,
        stdout_sha256: sha256Json(stdout),
        stderr_sha256: sha256Json(''),
        value_sha256: sha256Json(value),
        calls_sha256: sha256Json([]),
      },
    })
    const verified = await verifyExecution(execution)
    expect(failedCodes(verified)).toEqual([])
    expect(verified.ok).toBe(true)
  })

  it('an execution with capability calls is covered, calls and manifest included', async () => {
    const { agent, permit } = await approvedAgent(api, [GITHUB_CAPABILITY], {
      GH_TOKEN: 'ghp_receipt',
    })
    const execution = await execute(api, agent.token, {
      permit_id: permit.permit_id,
      code: 'return await createIssue("amiller", "test", "Hello", "From TEE")',
    })
    expect(execution.status).toBe('completed')
    expect(execution.result.calls).toHaveLength(1)
    expect(execution.result.receipt.permit_id).toBe(permit.permit_id)
    expect(execution.result.receipt.manifest_sha256).toBe(permit.manifest_sha256)
    expect((await verifyExecution(execution)).ok).toBe(true)
    // The receipt is about these calls: a result with other calls does not match it.
    const otherCalls = structuredClone(execution)
    otherCalls.result.calls[0].status = 500
    const mismatch = await verifyExecution(otherCalls)
    expect(failedCodes(mismatch)).toEqual(['receipt_result_mismatch'])
    expect(mismatch.checks.at(-1)!.reason).toMatch(/in result\.calls_sha256$/)
  })

  it('a failed execution carries a receipt too', async () => {
    const agent = await signup(api)
    const execution = await run(api, agent.token, 'console.log("before"); throw new Error("boom")')
    expect(execution.status).toBe('failed')
    expect(execution.result.exitCode).toBe(1)
    expect((await verifyExecution(execution)).ok).toBe(true)
  })

  it('every read answers the same receipt bytes', async () => {
    const agent = await signup(api)
    const first = await run(api, agent.token, 'return 1')
    for (let read = 0; read < 3; read++) {
      const again = await api.get(`/execute/${first.request_id}/status`, { token: agent.token })
      expect(JSON.stringify(again.body.result.receipt)).toBe(JSON.stringify(first.result.receipt))
    }
  })

  it('a change to any field breaks it', async () => {
    const agent = await signup(api)
    const execution = await run(api, agent.token, 'return "signed"')
    const key = await signingKey()
    const receipt = execution.result.receipt as Receipt
    for (const field of Object.keys(receipt).filter((name) => name !== 'alg')) {
      const altered: Record<string, unknown> = { ...receipt }
      const value = altered[field]
      altered[field] =
        typeof value === 'number'
          ? value + 1
          : value === null
            ? 'x'
            : typeof value === 'string'
              ? value.replace(/^./, (c) => (c === '0' ? '1' : '0'))
              : 2
      const result = await verifyReceipt({ receipt: altered, publicKey: key })
      expect(result.ok, `changed ${field}`).toBe(false)
    }
    // An added claim is a change too.
    const extended = await verifyReceipt({ receipt: { ...receipt, extra: 1 }, publicKey: key })
    expect(extended.ok).toBe(false)
  })

  it('checked against another key, it fails', async () => {
    const agent = await signup(api)
    const execution = await run(api, agent.token, 'return 2')
    const other = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' })
    const result = await verifyExecution(execution, Buffer.from(other.x!, 'base64url'))
    expect(failedCodes(result)).toEqual(['receipt_key_mismatch', 'receipt_invalid'])
  })

  it('the status link reader sees the same receipt', async () => {
    const agent = await signup(api)
    const submitted = await api.post('/execute', { code: 'return 3' }, { token: agent.token })
    const viaLink = await api.get(pathOf(submitted.body.status_url))
    expect(viaLink.status, viaLink.text).toBe(200)
    expect((await verifyExecution(viaLink.body)).ok).toBe(true)
  })
})
