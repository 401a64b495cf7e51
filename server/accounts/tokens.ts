/**
 * Bearer and approval tokens: 256 random bits, shown once, stored only as HMAC-SHA256 digests
 * under the server's token pepper (a copy of the store alone cannot even confirm a guessed token)
 * and found by digest lookup (so comparison time does not depend on how close a guess is).
 * Status-link tokens have the same shape but are not stored at all (status-links.ts).
 */
import { createHash, createHmac, randomBytes, randomFillSync } from 'node:crypto'
import type { App } from '../app'

export type TokenKind = 'agent' | 'owner' | 'approval' | 'status' | 'upload' | 'pairing'

const TOKEN_SHAPE = /^oa3_(agent|owner|approval|status|upload|pairing)_[A-Za-z0-9_-]{43}$/
const BEARER_SHAPE = /^oa3_(agent|owner)_[A-Za-z0-9_-]{43}$/

export function createToken(kind: TokenKind): string {
  return `oa3_${kind}_${randomBytes(32).toString('base64url')}`
}

export function hashToken(pepper: Buffer, token: string): string {
  return createHmac('sha256', pepper).update(token).digest('hex')
}

/** How tokens were stored before the pepper (plain SHA-256): still found, never written. */
export function legacyTokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex')
}

/** The stored entry for `token` under `keyOf(digest)`: the peppered digest first, then legacy. */
export async function findByToken<T>(
  app: App,
  keyOf: (digest: string) => string,
  token: string,
): Promise<T | null> {
  return (
    (await app.store.get<T>(keyOf(hashToken(app.keys.tokenPepper(), token)))) ??
    (await app.store.get<T>(keyOf(legacyTokenHash(token))))
  )
}

/** A cheap shape check before any lookup; malformed input never reaches the store. */
export function isTokenShaped(value: unknown, kind?: TokenKind): value is string {
  if (typeof value !== 'string' || !TOKEN_SHAPE.test(value)) return false
  return kind === undefined || value.startsWith(`oa3_${kind}_`)
}

/** Only agent and owner tokens identify a caller; approval and status tokens never do. */
export function isBearerShaped(value: unknown): value is string {
  return typeof value === 'string' && BEARER_SHAPE.test(value)
}

/** Server-generated ids: a readable prefix and 96 random bits. */
/**
 * Random bytes for ids, drawn from a pool refilled 4 KiB at a time: one call into the CSPRNG per
 * 340 ids instead of one per id. Ids are names, not secrets (tokens are made apart, below).
 */
const ID_BYTES = 12
const idPool = Buffer.alloc(ID_BYTES * 341)
let idOffset = idPool.length

export function createId(prefix: 'tenant' | 'preq' | 'permit' | 'exec'): string {
  if (idOffset + ID_BYTES > idPool.length) {
    randomFillSync(idPool)
    idOffset = 0
  }
  const id = idPool.toString('hex', idOffset, idOffset + ID_BYTES)
  idOffset += ID_BYTES
  return `${prefix}_${id}`
}

export function isIdShaped(value: unknown, prefix: string): value is string {
  return (
    typeof value === 'string' &&
    value.length === prefix.length + 25 &&
    value.startsWith(`${prefix}_`) &&
    /^[a-f0-9]{24}$/.test(value.slice(prefix.length + 1))
  )
}
