/**
 * Connecting the browser extension, as a device flow: the extension asks for a pairing (the sites
 * it wants, a label for this browser) and keeps the pairing token it is answered; the owner opens
 * the connect page, signed in with a passkey, compares the code the page shows with the one in the
 * extension's popup, and grants (or declines). The extension then collects its upload credential
 * once, with the pairing token: the credential is made then, so no token is ever stored here. A pairing lives 10 minutes; this module alone reads and writes
 * `extension-pairing:` keys.
 */
import { randomInt } from 'node:crypto'
import { fail } from '../../core/errors'
import type { ExtensionPairingRequest } from '../../schemas/types'
import { createToken, hashToken, isTokenShaped } from '../accounts/tokens'
import type { Tenant } from '../accounts/tenants'
import type { App } from '../app'
import { assertWithinRate } from '../store/rate-limit'
import { cookieSecretFor } from '../vault/cookies'
import { assertRoomForCredential, issueUploadCredential } from './credentials'

export const PAIRING_TTL_MS = 10 * 60 * 1000
const PAIRINGS_PER_MINUTE = 10

interface Pairing {
  id: string
  code: string
  sites: string[]
  label: string
  token_digest: string
  created_at: number
  expires_at: number
  state: 'pending' | 'granted' | 'declined' | 'collected'
  /** Who granted it. The credential itself is made at collection: no token is ever stored. */
  granted?: { owner_id: string; owner_name: string }
}

const pairingKey = (id: string) => `extension-pairing:${id}`

/** POST /extension/pairings: a new pairing; its token goes to the extension alone. */
export async function startPairing(
  app: App,
  body: ExtensionPairingRequest,
  request: { clientAddress: string; publicOrigin: string },
) {
  const rate = { name: 'extension-pairing', subject: request.clientAddress, windowMs: 60_000 }
  await assertWithinRate(app.store, rate, PAIRINGS_PER_MINUTE)
  const sites = [...new Set(body.sites.map((site) => cookieSecretFor(site).base))].sort()
  const token = createToken('pairing')
  const now = Date.now()
  const pairing: Pairing = {
    id: `pair_${hashToken(app.keys.tokenPepper(), token).slice(0, 24)}`,
    code: pairingCode(),
    sites,
    label: body.label ?? 'a browser',
    token_digest: hashToken(app.keys.tokenPepper(), token),
    created_at: now,
    expires_at: now + PAIRING_TTL_MS,
    state: 'pending',
  }
  await app.store.set(pairingKey(pairing.id), pairing, { ttlMs: PAIRING_TTL_MS })
  return {
    pairing_id: pairing.id,
    pairing_token: token,
    code: pairing.code,
    sites,
    connect_url: `${request.publicOrigin}/extension/connect?pairing=${pairing.id}`,
    expires_at: pairing.expires_at,
  }
}

/** Eight digits in two groups: compared by eye on two screens. */
function pairingCode(): string {
  const digits = String(randomInt(0, 100_000_000)).padStart(8, '0')
  return `${digits.slice(0, 4)}-${digits.slice(4)}`
}

/** What the connect page shows of a pending pairing. */
export async function readPairing(app: App, id: string) {
  const pairing = /^pair_[a-f0-9]{24}$/.test(id)
    ? await app.store.get<Pairing>(pairingKey(id))
    : null
  if (!pairing || pairing.state !== 'pending' || Date.now() >= pairing.expires_at)
    fail('PAIRING_GONE')
  return {
    id: pairing.id,
    code: pairing.code,
    sites: pairing.sites,
    label: pairing.label,
    expires_at: pairing.expires_at,
  }
}

/** The owner grants (an upload credential for the pairing's sites, made when collected) or declines. */
export async function decidePairing(app: App, owner: Tenant, id: string, grant: boolean) {
  await readPairing(app, id)
  if (grant) await assertRoomForCredential(app, owner.tenant_id)
  const decided = await app.store.update<Pairing>(pairingKey(id), (current) => {
    if (!current || current.state !== 'pending') fail('PAIRING_GONE')
    return grant
      ? {
          ...current,
          state: 'granted',
          granted: { owner_id: owner.tenant_id, owner_name: owner.name },
        }
      : { ...current, state: 'declined' }
  })
  return { state: decided.state as 'granted' | 'declined' }
}

/**
 * POST /extension/pairings/:id/collect with the pairing token: the credential once granted
 * (then the pairing is gone), `pending` before; PAIRING_GONE once declined, collected or expired.
 */
export async function collectPairing(app: App, id: string, pairingToken: string) {
  const pairing = /^pair_[a-f0-9]{24}$/.test(id)
    ? await app.store.get<Pairing>(pairingKey(id))
    : null
  const digest = isTokenShaped(pairingToken, 'pairing')
    ? hashToken(app.keys.tokenPepper(), pairingToken)
    : ''
  if (!pairing || pairing.token_digest !== digest) fail('NOT_FOUND')
  if (pairing.state === 'pending' && Date.now() < pairing.expires_at)
    return { status: 'pending' as const }
  if (pairing.state !== 'granted' || !pairing.granted) fail('PAIRING_GONE')
  // Marked collected first (one compare-and-set), so that two collections cannot both succeed.
  await app.store.update<Pairing>(pairingKey(id), (current) => {
    if (current?.state !== 'granted') fail('NOT_FOUND')
    return { ...current, state: 'collected' }
  })
  await app.store.remove(pairingKey(id))
  const { token, credential } = await issueUploadCredential(app, {
    ownerId: pairing.granted.owner_id,
    sites: pairing.sites,
    label: pairing.label,
  })
  return {
    status: 'granted' as const,
    token,
    credential_id: credential.id,
    owner_name: pairing.granted.owner_name,
    sites: pairing.sites,
  }
}
