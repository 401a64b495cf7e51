/**
 * Signing execution receipts (the format is core/attestation/receipt.ts): the server's ed25519 key
 * signs what ran under which permit and the whole terminal answer, once, when the execution ends; the receipt
 * is stored with the result, so every read answers the same bytes.
 */
import { createHash, sign } from 'node:crypto'
import { sha256Json } from '../../core/hash'
import {
  answerToSign,
  receiptMessage,
  type Receipt,
  type ReceiptClaims,
  type StatusBodyLike,
} from '../../core/attestation/receipt'
import type { KeyProvider } from '../vault/keys'
import { SERVER_VERSION } from './attestation'

export interface ReceiptSubject {
  request_id: string
  permit_id?: string
  manifest_sha256?: string
  code_sha256: string
  args_sha256: string
  started_at?: number
  finished_at: number
  /** The terminal status body as it will be served, without its receipt. */
  body: StatusBodyLike
}

/** The key id (sha256 of the public key), computed once per key. */
const keyIds = new WeakMap<Buffer, string>()
function keyIdOf(publicKey: Buffer): string {
  let id = keyIds.get(publicKey)
  if (!id) keyIds.set(publicKey, (id = createHash('sha256').update(publicKey).digest('hex')))
  return id
}

export function signReceipt(keys: KeyProvider, subject: ReceiptSubject): Receipt {
  const { privateKey, publicKey } = keys.signingKey()
  const claims: ReceiptClaims = {
    v: 2,
    request_id: subject.request_id,
    permit_id: subject.permit_id ?? null,
    manifest_sha256: subject.manifest_sha256 ?? null,
    code_sha256: subject.code_sha256,
    args_sha256: subject.args_sha256,
    answer: signedAnswerOf(subject.body),
    started_at: subject.started_at ?? null,
    finished_at: subject.finished_at,
    server_version: SERVER_VERSION,
    key_id: keyIdOf(publicKey),
  }
  const signature = sign(null, Buffer.from(receiptMessage(claims)), privateKey).toString('hex')
  return { ...claims, alg: 'ed25519', signature }
}

/** The body as the receipt signs it (core/attestation/receipt.ts), its long parts hashed here. */
function signedAnswerOf(body: StatusBodyLike) {
  const { answer, toHash } = answerToSign(body)
  for (const [name, value] of toHash)
    (answer.result as Record<string, unknown>)[name] = sha256Json(value)
  return answer
}
