/**
 * Identity comes only from a verified bearer token, or for an owner on our own pages from a
 * passkey session (server/http/sessions.ts: CSRF-checked for every state change): never from
 * headers such as X-Tenant-Id (MT-07), and there is no development fallback.
 */
import type { H3Event } from 'h3'
import { getRequestHeader } from 'h3'
import { authenticate, getTenant, type Role, type Tenant } from '../accounts/tenants'
import { authenticateUpload, type UploadCredential } from '../extension/credentials'
import type { App } from '../app'
import { fail } from '../../core/errors'
import { clientAddressOf } from '../../core/trusted-proxies'
import { readSessionCaller } from './sessions'

export async function requireTenant(event: H3Event, app: App, role?: Role): Promise<Tenant> {
  const tenant = await readTenant(event, app)
  if (!tenant) fail('UNAUTHORIZED')
  if (role && tenant.role !== role) fail('FORBIDDEN_ROLE', { details: { required_role: role } })
  return tenant
}

/** The caller if a valid bearer token (or page session) is present, else null. */
export async function readTenant(event: H3Event, app: App): Promise<Tenant | null> {
  if (getRequestHeader(event, 'authorization') !== undefined) return readBearerTenant(event, app)
  return readSessionCaller(event, app)
}

/** The caller of a valid bearer token only: what a decision accepts besides a passkey. */
export async function readBearerTenant(event: H3Event, app: App): Promise<Tenant | null> {
  const header = getRequestHeader(event, 'authorization')
  const match = header ? /^Bearer ([^\s]{1,200})$/.exec(header) : null
  return match ? authenticate(app, match[1]) : null
}

/**
 * An owner, or the owner behind a browser extension's upload credential (oa3_upload_…), which is
 * kept on the event for the route to check the site against (server/extension/credentials.ts).
 */
export async function readUploadCaller(event: H3Event, app: App): Promise<Tenant> {
  const header = getRequestHeader(event, 'authorization')
  const token = header ? /^Bearer (oa3_upload_[^\s]{1,200})$/.exec(header)?.[1] : undefined
  if (!token) return requireTenant(event, app, 'owner')
  const credential = await authenticateUpload(app, token)
  const owner = credential ? await getTenant(app, credential.owner_id) : null
  if (!credential || !owner) fail('UNAUTHORIZED')
  event.context.uploadCredential = credential
  return owner
}

/** The upload credential the request came with, if it came with one. */
export function uploadCredentialOf(event: H3Event): UploadCredential | undefined {
  return event.context.uploadCredential as UploadCredential | undefined
}

/**
 * The client's address, which rate limits key on: the socket's peer, or behind the operator's
 * proxies (NITRO_TRUSTED_PROXIES) the address they forwarded. From anyone else X-Forwarded-For
 * is ignored: agents control it.
 */
export function getClientAddress(event: H3Event, app: App): string {
  const peer = event.node.req.socket?.remoteAddress
  if (!peer) return 'unknown'
  return clientAddressOf(
    peer,
    getRequestHeader(event, 'x-forwarded-for'),
    app.settings.trustedProxies,
  )
}
