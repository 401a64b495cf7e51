/**
 * Execution receipts: the server's ed25519 signature over what ran and what came out, so that a
 * result can be checked offline against the key an attestation binds. The signed message is
 * `"oauth3-receipt-v1\n"` followed by the canonical JSON (sorted keys, no whitespace) of the
 * claims; hashes are SHA-256 of canonical JSON too. docs/attestation.md states the format.
 */
import type { CheckCode } from '../errors'
import { canonicalJson } from '../canonical-json'
import { fromHex, sha256, toHex, utf8 } from './bytes'
import type { Check } from './verify-quote'

export const RECEIPT_DOMAIN = 'oauth3-receipt-v1\n'

export interface ReceiptClaims {
  v: 1
  request_id: string
  permit_id: string | null
  manifest_sha256: string | null
  code_sha256: string
  args_sha256: string
  /** sha256 of canonical JSON `{ stdout, stderr, value?, calls, exitCode }`. */
  result_sha256: string
  started_at: number | null
  finished_at: number
  server_version: string
  /** sha256 (hex) of the signing public key. */
  key_id: string
}

export interface Receipt extends ReceiptClaims {
  alg: 'ed25519'
  /** hex */
  signature: string
}

/** The parts of a result a receipt covers. */
export interface ReceiptResult {
  stdout: string
  stderr: string
  value?: unknown
  calls: unknown[]
  exitCode: number
}

/** Exactly the parts of a result that `result_sha256` covers (signer and verifier both use it). */
export function coveredResult(result: ReceiptResult): ReceiptResult {
  const { stdout, stderr, value, calls, exitCode } = result
  return { stdout, stderr, value, calls, exitCode }
}

export async function resultDigest(result: ReceiptResult): Promise<string> {
  return toHex(await sha256(utf8(canonicalJson(coveredResult(result)))))
}

export function receiptMessage(claims: ReceiptClaims): Uint8Array {
  return utf8(RECEIPT_DOMAIN + canonicalJson(claims))
}

export async function keyIdOf(publicKey: Uint8Array): Promise<string> {
  return toHex(await sha256(publicKey))
}

export interface ReceiptExpectations {
  receipt: unknown
  /** The signing public key (32 bytes) that must have signed it. */
  publicKey: Uint8Array
  /** The execution as read from the server, to check the receipt is about it. */
  execution?: {
    request_id: string
    permit_id?: string
    code_sha256?: string
    result?: ReceiptResult
  }
}

export async function verifyReceipt(
  expect: ReceiptExpectations,
): Promise<{ ok: boolean; checks: Check[] }> {
  const checks: Check[] = []
  const failed = (name: string, code: CheckCode, reason: string) =>
    checks.push({ name, ok: false, code, reason })
  const receipt = expect.receipt as Partial<Receipt> | null
  if (
    !receipt ||
    typeof receipt !== 'object' ||
    receipt.alg !== 'ed25519' ||
    typeof receipt.signature !== 'string'
  ) {
    failed('receipt-signature', 'receipt_invalid', 'not an ed25519 receipt')
    return { ok: false, checks }
  }
  const { alg: _alg, signature, ...claims } = receipt as Receipt
  if ((await keyIdOf(expect.publicKey)) === claims.key_id)
    checks.push({ name: 'receipt-key', ok: true })
  else failed('receipt-key', 'receipt_key_mismatch', 'key_id is not the id of the expected key')
  if (await verifyEd25519(expect.publicKey, signature, receiptMessage(claims))) {
    checks.push({ name: 'receipt-signature', ok: true })
  } else
    failed(
      'receipt-signature',
      'receipt_invalid',
      'the signature does not verify with the expected key',
    )
  const execution = expect.execution
  if (execution) {
    const same =
      claims.request_id === execution.request_id &&
      claims.permit_id === (execution.permit_id ?? null) &&
      (execution.code_sha256 === undefined || claims.code_sha256 === execution.code_sha256) &&
      (!execution.result || claims.result_sha256 === (await resultDigest(execution.result)))
    if (same) checks.push({ name: 'receipt-result', ok: true })
    else
      failed(
        'receipt-result',
        'receipt_result_mismatch',
        'the receipt is about another request or result',
      )
  }
  return { ok: checks.every((check) => check.ok), checks }
}

async function verifyEd25519(publicKey: Uint8Array, signatureHex: string, message: Uint8Array) {
  try {
    const key = await crypto.subtle.importKey('raw', publicKey, { name: 'Ed25519' }, false, [
      'verify',
    ])
    return await crypto.subtle.verify({ name: 'Ed25519' }, key, fromHex(signatureHex), message)
  } catch {
    return false
  }
}
