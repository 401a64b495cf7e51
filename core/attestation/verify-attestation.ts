/**
 * Verify a server's GET /attestation answer for a nonce the verifier chose: the server must say
 * `tdx`, and its quote must verify (core/attestation/verify-quote.ts) with a report_data that binds
 * the signing key it names and that nonce. Then — and only then — receipts signed by that key come
 * from code measured into that quote.
 */
import { fromHex } from './bytes'
import { attestationReportData } from './report-data'
import type { Collateral } from './collateral'
import type { TcbStatus } from './tcb'
import { verifyQuote, type Check, type QuoteSummary } from './verify-quote'

export interface AttestationVerification {
  ok: boolean
  checks: Check[]
  /** The signing key the server named (hex), proved bound only when `ok`. */
  signingKey?: string
  tee?: string
  quote?: QuoteSummary
}

export interface AttestationExpectations {
  /** The answer of GET /attestation?nonce=<nonce>. */
  answer: unknown
  nonce: Uint8Array
  composeHash?: string
  at?: number
  /** Intel's collateral for the quote's platform (TCB status, CRLs, QE identity). */
  collateral?: Collateral
  acceptTcb?: TcbStatus[]
  /** OS image hashes to pin; the answer's vm_config proves which image booted. */
  osImageHashes?: string[]
}

const TEE_FAILURES = {
  simulated: {
    code: 'attestation_simulated',
    reason:
      'the server says tee "simulated": its quote comes from a dstack simulator and proves nothing',
  },
  none: {
    code: 'attestation_unavailable',
    reason: 'the server says tee "none": it does not run in a TEE, so nothing is attested',
  },
} as const

export async function verifyAttestation(
  expect: AttestationExpectations,
): Promise<AttestationVerification> {
  const answer = (expect.answer ?? {}) as Record<string, unknown>
  const checks: Check[] = []
  const tee = typeof answer.tee === 'string' ? answer.tee : 'none'
  if (tee === 'tdx') checks.push({ name: 'tee', ok: true })
  else {
    const failure = tee === 'simulated' ? TEE_FAILURES.simulated : TEE_FAILURES.none
    checks.push({ name: 'tee', ok: false, ...failure })
  }
  const signingKey =
    typeof answer.signing_key === 'string' && /^[0-9a-f]{64}$/.test(answer.signing_key)
      ? answer.signing_key
      : undefined
  if (typeof answer.quote !== 'string' || !signingKey) {
    if (tee !== 'none') {
      checks.push({
        name: 'quote-format',
        ok: false,
        code: 'quote_malformed',
        reason: 'the answer carries no quote or no valid signing_key',
      })
    }
    return { ok: false, checks, signingKey, tee }
  }
  let quote: Uint8Array
  try {
    quote = fromHex(answer.quote)
  } catch {
    quote = new Uint8Array()
  }
  const verification = await verifyQuote({
    quote,
    eventLog: typeof answer.event_log === 'string' ? answer.event_log : undefined,
    vmConfig:
      typeof answer.vm_config === 'string' && answer.vm_config ? answer.vm_config : undefined,
    reportData: await attestationReportData(fromHex(signingKey), expect.nonce),
    composeHash: expect.composeHash,
    at: expect.at,
    collateral: expect.collateral,
    acceptTcb: expect.acceptTcb,
    osImageHashes: expect.osImageHashes,
  })
  checks.push(...verification.checks)
  return {
    ok: checks.every((check) => check.ok),
    checks,
    signingKey,
    tee,
    quote: verification.quote,
  }
}
