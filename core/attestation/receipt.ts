/**
 * Execution receipts: the server's ed25519 signature over what ran and what came out, so that a
 * result can be checked offline against the key an attestation binds. The signed message is
 * `"oauth3-receipt-v2\n"` followed by the canonical JSON (sorted keys, no whitespace) of the
 * claims, which hold the whole terminal answer (`signedAnswer`); hashes are SHA-256 of canonical
 * JSON too. docs/attestation.md states the format.
 */
import type { CheckCode } from '../errors'
import { canonicalJson } from '../canonical-json'
import type { Receipt } from '../../schemas/types'
import { fromHex, sha256, toHex, utf8 } from './bytes'
import type { Check } from './verify-quote'

export const RECEIPT_DOMAIN = 'oauth3-receipt-v2\n'

/**
 * A receipt (schemas/receipt.schema.json): the claims — `answer` is the whole terminal status
 * body as `signedAnswer` shapes it, `key_id` the SHA-256 of the signing key — then `alg` and the
 * hex `signature` over them.
 */
export type { Receipt }
export type ReceiptClaims = Omit<Receipt, 'alg' | 'signature'>

/** A terminal execution's status body, as served (its receipt in `result.receipt`). */
export interface StatusBodyLike {
  request_id: string
  result?: object
  [field: string]: unknown
}

/**
 * The status body as a receipt signs it: every field but the receipt itself, with the parts that
 * can be long (`result.stdout`, `stderr`, `value`, `calls`) replaced by `<name>_sha256`, the
 * SHA-256 of their canonical JSON. Any added, removed or changed field of the body changes it.
 */
export type SignedAnswer = Record<string, unknown>

const HASHED_PARTS = ['stdout', 'stderr', 'value', 'calls'] as const

/** The answer with its long parts still to be hashed (signer and verifier hash them their way). */
export function answerToSign(body: StatusBodyLike): {
  answer: SignedAnswer
  toHash: Array<[name: string, value: unknown]>
} {
  const { result, ...rest } = body
  if (!result || typeof result !== 'object') return { answer: rest, toHash: [] }
  const { receipt: _receipt, ...kept } = result as Record<string, unknown>
  const toHash: Array<[string, unknown]> = []
  const signed: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(kept)) {
    if ((HASHED_PARTS as readonly string[]).includes(name) && value !== undefined) {
      toHash.push([`${name}_sha256`, value])
    } else signed[name] = value
  }
  return { answer: { ...rest, result: signed }, toHash }
}

export async function signedAnswer(body: StatusBodyLike): Promise<SignedAnswer> {
  const { answer, toHash } = answerToSign(body)
  const result = answer.result as Record<string, unknown> | undefined
  for (const [name, value] of toHash) {
    result![name] = toHex(await sha256(utf8(canonicalJson(value))))
  }
  return answer
}

/** The fields (`status`, `result.stdout_sha256`, …) where two signed answers differ. */
export function answerDifferences(signed: SignedAnswer, served: SignedAnswer): string[] {
  const flat = (answer: SignedAnswer) => {
    const fields = new Map<string, string>()
    for (const [name, value] of Object.entries(answer)) {
      if (name === 'result' && value && typeof value === 'object' && !Array.isArray(value)) {
        for (const [part, inner] of Object.entries(value)) {
          fields.set(`result.${part}`, canonicalJson(inner))
        }
      } else fields.set(name, canonicalJson(value))
    }
    return fields
  }
  const [a, b] = [flat(signed), flat(served)]
  const names = new Set([...a.keys(), ...b.keys()])
  return [...names].filter((name) => a.get(name) !== b.get(name)).sort()
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
  /** The status body the receipt came with: every field of it must be the signed one. */
  execution?: StatusBodyLike
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
  if (receipt.v !== 2 || !receipt.answer || typeof receipt.answer !== 'object') {
    // Version 1 signed the output but not the status, success or error: it proves too little.
    failed('receipt-signature', 'receipt_invalid', `receipt version ${receipt.v} is not 2`)
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
  if (expect.execution) {
    const differences = answerDifferences(claims.answer, await signedAnswer(expect.execution))
    if (differences.length === 0) checks.push({ name: 'receipt-result', ok: true })
    else
      failed(
        'receipt-result',
        'receipt_result_mismatch',
        `the answer differs from the signed one in ${differences.join(', ')}`,
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
