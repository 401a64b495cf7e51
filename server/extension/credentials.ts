/**
 * Upload credentials: what the browser extension holds instead of an owner token. One stores
 * cookies for the sites the owner granted it — nothing else: it is not a bearer token of any
 * tenant, so every other route refuses it (UNAUTHORIZED). Stored only as a peppered digest; listed
 * on the dashboard with its last use; revoked by the owner at any time. This module alone reads
 * and writes `upload-credential:` and `upload-credentials:` keys.
 */
import { fail } from '../../core/errors'
import { createToken, findByToken, hashToken, isTokenShaped } from '../accounts/tokens'
import type { App } from '../app'

export interface UploadCredential {
  id: string
  owner_id: string
  /** Base domains (tiktok.com) whose cookies it may store. */
  sites: string[]
  /** What the extension called this browser ("Chromium on Linux"). */
  label: string
  created_at: number
  last_used_at?: number
}

/** How many live credentials an owner may hold (one per browser, a few browsers). */
export const CREDENTIALS_PER_OWNER_MAX = 20

const credentialKey = (digest: string) => `upload-credential:${digest}`
const ownerIndexKey = (ownerId: string, id: string) => `upload-credentials:${ownerId}:${id}`

export async function issueUploadCredential(
  app: App,
  input: { ownerId: string; sites: string[]; label: string },
): Promise<{ token: string; credential: UploadCredential }> {
  await assertRoomForCredential(app, input.ownerId)
  const token = createToken('upload')
  const digest = hashToken(app.keys.tokenPepper(), token)
  const credential: UploadCredential = {
    id: `upl_${digest.slice(0, 24)}`,
    owner_id: input.ownerId,
    sites: input.sites,
    label: input.label,
    created_at: Date.now(),
  }
  await app.store.set(credentialKey(digest), credential)
  await app.store.set(ownerIndexKey(input.ownerId, credential.id), { digest })
  return { token, credential }
}

export async function assertRoomForCredential(app: App, ownerId: string): Promise<void> {
  const existing = await app.store.keys(`upload-credentials:${ownerId}`)
  if (existing.length >= CREDENTIALS_PER_OWNER_MAX)
    fail('TOO_MANY_CREDENTIALS', { details: { max: CREDENTIALS_PER_OWNER_MAX } })
}

/** The credential of an `oa3_upload_…` token, or null; its use is recorded. */
export async function authenticateUpload(
  app: App,
  token: string,
): Promise<UploadCredential | null> {
  if (!isTokenShaped(token, 'upload')) return null
  const credential = await findByToken<UploadCredential>(app, credentialKey, token)
  if (!credential) return null
  const digest = hashToken(app.keys.tokenPepper(), token)
  await app.store.update<UploadCredential>(credentialKey(digest), (current) =>
    current ? { ...current, last_used_at: Date.now() } : current!,
  )
  return credential
}

export async function listUploadCredentials(app: App, ownerId: string) {
  const keys = await app.store.keys(`upload-credentials:${ownerId}`)
  const credentials: UploadCredential[] = []
  for (const key of keys) {
    const index = await app.store.get<{ digest: string }>(key)
    const credential = index
      ? await app.store.get<UploadCredential>(credentialKey(index.digest))
      : null
    if (credential) credentials.push(credential)
    else await app.store.remove(key)
  }
  return {
    credentials: credentials
      .sort((a, b) => a.created_at - b.created_at)
      .map(({ owner_id: _owner, ...shown }) => shown),
  }
}

export async function revokeUploadCredential(app: App, ownerId: string, id: string) {
  const index = await app.store.get<{ digest: string }>(ownerIndexKey(ownerId, id))
  if (!index) fail('NOT_FOUND')
  await app.store.remove(credentialKey(index.digest))
  await app.store.remove(ownerIndexKey(ownerId, id))
  return { deleted: true as const }
}
