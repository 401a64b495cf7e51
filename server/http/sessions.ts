/**
 * Owner sign-in for the pages: after a passkey ceremony, a session cookie (HttpOnly,
 * SameSite=Strict, Secure when the public URL is https) names a session stored only as a peppered
 * digest. Pages read with it; a state change made with it also needs the session's CSRF token in
 * `X-CSRF-Token` and a same-origin request (`Origin`, `Sec-Fetch-Site`), so no other site can act
 * with the cookie (AP-02). Bearer tokens never come from a cookie, and tokens never in a URL.
 * This module alone reads and writes `websession:` keys.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { deleteCookie, getCookie, getRequestHeader, setCookie, type H3Event } from 'h3'
import { getTenant, type Tenant } from '../accounts/tenants'
import { hashToken } from '../accounts/tokens'
import type { App } from '../app'
import { getClientAddress } from './auth'
import { getPublicOrigin } from './origin'

export const WEB_SESSION_TTL_MS = 12 * 60 * 60 * 1000

interface WebSessionRecord {
  owner_id: string
  csrf: string
  created_at: number
}

export interface WebSession {
  owner: Tenant
  csrf: string
}

const sessionKey = (app: App, token: string) =>
  `websession:${hashToken(app.keys.tokenPepper(), `websession:${token}`)}`

function cookieName(event: H3Event, app: App): string {
  // `__Host-` pins the cookie to this exact origin; browsers accept it only when Secure.
  return isHttps(event, app) ? '__Host-oauth3_session' : 'oauth3_session'
}

const isHttps = (event: H3Event, app: App) => getPublicOrigin(event, app).startsWith('https:')

export async function startWebSession(event: H3Event, app: App, owner: Tenant): Promise<void> {
  const token = randomBytes(32).toString('base64url')
  const record: WebSessionRecord = {
    owner_id: owner.tenant_id,
    csrf: randomBytes(32).toString('base64url'),
    created_at: Date.now(),
  }
  await app.store.set(sessionKey(app, token), record, { ttlMs: WEB_SESSION_TTL_MS })
  setCookie(event, cookieName(event, app), token, {
    httpOnly: true,
    sameSite: 'strict',
    secure: isHttps(event, app),
    path: '/',
    maxAge: WEB_SESSION_TTL_MS / 1000,
  })
}

/** The signed-in owner, if the request carries a live session cookie. */
export async function readWebSession(event: H3Event, app: App): Promise<WebSession | null> {
  const token = getCookie(event, cookieName(event, app))
  if (!token || !/^[A-Za-z0-9_-]{43}$/.test(token)) return null
  const record = await app.store.get<WebSessionRecord>(sessionKey(app, token))
  if (!record) return null
  const owner = await getTenant(app, record.owner_id)
  return owner?.role === 'owner' ? { owner, csrf: record.csrf } : null
}

export async function endWebSession(event: H3Event, app: App): Promise<void> {
  const token = getCookie(event, cookieName(event, app))
  if (token && /^[A-Za-z0-9_-]{43}$/.test(token)) await app.store.remove(sessionKey(app, token))
  deleteCookie(event, cookieName(event, app), { path: '/' })
}

/** Is this request from one of our own pages (same origin, not a cross-site navigation)? */
export function isSameOriginRequest(event: H3Event, app: App): boolean {
  const site = getRequestHeader(event, 'sec-fetch-site')
  if (site && site !== 'same-origin') return false
  const origin = getRequestHeader(event, 'origin')
  return !origin || origin === getPublicOrigin(event, app)
}

/**
 * The session's owner as a caller of the API: any read, and a state change only with the CSRF
 * token and from the same origin.
 */
export async function readSessionCaller(event: H3Event, app: App): Promise<Tenant | null> {
  const session = await readWebSession(event, app)
  if (!session) return null
  if (event.method === 'GET' || event.method === 'HEAD') return session.owner
  const sent = getRequestHeader(event, 'x-csrf-token') ?? ''
  const valid =
    sent.length === session.csrf.length &&
    timingSafeEqual(Buffer.from(sent), Buffer.from(session.csrf)) &&
    isSameOriginRequest(event, app)
  return valid ? session.owner : null
}

/** What a passkey ceremony needs of this request (passkeys/ceremonies.ts): plain values. */
export function ceremonyRequestOf(event: H3Event, app: App) {
  return {
    publicOrigin: getPublicOrigin(event, app),
    clientAddress: getClientAddress(event, app),
    sameOrigin: isSameOriginRequest(event, app),
  }
}
