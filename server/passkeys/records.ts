/**
 * Passkeys and their one-use challenges. This module alone reads and writes `passkey:`,
 * `owner-passkeys:` and `passkey-challenge:` keys. A challenge is bound to its purpose — and for a
 * decision to the request, its manifest hash and the action — and is consumed by one
 * compare-and-set, so a ceremony can be completed once.
 */
import { randomBytes } from 'node:crypto'
import { fail } from '../../core/errors'
import type { App } from '../app'

export interface PasskeyRecord {
  /** The credential id, base64url. */
  id: string
  owner_id: string
  /** COSE public key, base64url. */
  public_key: string
  counter: number
  transports?: string[]
  name: string
  created_at: number
  last_used_at?: number
}

export type ChallengePurpose = 'register' | 'signin' | 'decision' | 'remove'

export interface DecisionBinding {
  request_id: string
  manifest_sha256: string
  action: 'approve' | 'deny'
}

export interface ChallengeRecord {
  challenge: string
  purpose: ChallengePurpose
  /** register: add to this owner (else a new owner account is created). */
  owner_id?: string
  /** register: the new owner's name. */
  name?: string
  decision?: DecisionBinding
  /** remove: the passkey whose removal this challenge confirms (answered by that passkey). */
  passkey_id?: string
  used?: boolean
}

export const CHALLENGE_TTL_MS = 5 * 60 * 1000

const passkeyKey = (id: string) => `passkey:${id}`
const ownerPasskeysPrefix = (ownerId: string) => `owner-passkeys:${ownerId}`
const challengeKey = (id: string) => `passkey-challenge:${id}`

export async function createChallenge(
  app: App,
  record: Omit<ChallengeRecord, 'challenge' | 'used'>,
): Promise<{ challengeId: string; challenge: string }> {
  const challengeId = randomBytes(16).toString('hex')
  const challenge = randomBytes(32).toString('base64url')
  await app.store.set(
    challengeKey(challengeId),
    { ...record, challenge },
    { ttlMs: CHALLENGE_TTL_MS },
  )
  return { challengeId, challenge }
}

/** Use a challenge once, for `purpose`; a second use, or another purpose, fails. */
export async function consumeChallenge(
  app: App,
  challengeId: unknown,
  purpose: ChallengePurpose,
): Promise<ChallengeRecord> {
  if (typeof challengeId !== 'string' || !/^[a-f0-9]{32}$/.test(challengeId))
    fail('PASSKEY_CHALLENGE_INVALID')
  return app.store.update<ChallengeRecord>(challengeKey(challengeId), (current) => {
    if (!current || current.used || current.purpose !== purpose) fail('PASSKEY_CHALLENGE_INVALID')
    return { ...current, used: true }
  })
}

export function readPasskey(app: App, id: string): Promise<PasskeyRecord | null> {
  return app.store.get<PasskeyRecord>(passkeyKey(id))
}

export async function storePasskey(app: App, record: PasskeyRecord): Promise<void> {
  await app.store.set(`${ownerPasskeysPrefix(record.owner_id)}:${record.id}`, {
    created_at: record.created_at,
  })
  await app.store.set(passkeyKey(record.id), record)
}

export async function listPasskeys(app: App, ownerId: string): Promise<PasskeyRecord[]> {
  const prefix = ownerPasskeysPrefix(ownerId)
  const ids = (await app.store.keys(prefix)).map((key) => key.slice(prefix.length + 1))
  const records = await Promise.all(ids.map((id) => readPasskey(app, id)))
  return records
    .filter((record): record is PasskeyRecord => record?.owner_id === ownerId)
    .sort((a, b) => a.created_at - b.created_at)
}

/** After a verified assertion: the new signature counter and when. */
export async function recordPasskeyUse(app: App, id: string, counter: number): Promise<void> {
  await app.store.update<PasskeyRecord>(passkeyKey(id), (current) => {
    if (!current) return fail('PASSKEY_REJECTED')
    return { ...current, counter, last_used_at: Date.now() }
  })
}

export async function deletePasskey(app: App, ownerId: string, id: string): Promise<void> {
  const record = await readPasskey(app, id)
  if (!record || record.owner_id !== ownerId) fail('NOT_FOUND')
  await app.store.remove(passkeyKey(id))
  await app.store.remove(`${ownerPasskeysPrefix(ownerId)}:${id}`)
}
