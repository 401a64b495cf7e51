/**
 * An owner's uploaded cookies for one site (a sealed secret named COOKIES_<DOMAIN>), and how the
 * cookie types attach them to a request: only for that site, only the cookies RFC 6265 domain and
 * path matching selects, with the owner's user agent.
 */
import { fail } from '../errors'
import type { Credentials, NormalizedCapability, UpstreamRequest } from './plugin'

export interface StoredCookie {
  name: string
  value: string
  domain: string
  path: string
  hostOnly?: boolean
  /** Epoch seconds; absent for session cookies. */
  expires?: number
}

export interface CookieJar {
  domain: string
  cookies: StoredCookie[]
  user_agent?: string
}

/** RFC 6265 domain and path matching: which cookies go with a request to `url`. */
export function cookiesFor(
  jar: CookieJar,
  url: URL,
  nowSeconds = Date.now() / 1000,
): StoredCookie[] {
  const host = url.hostname.toLowerCase()
  return jar.cookies.filter((cookie) => {
    const domainMatch = cookie.hostOnly
      ? host === cookie.domain
      : host === cookie.domain || host.endsWith(`.${cookie.domain}`)
    const prefix = cookie.path.endsWith('/') ? cookie.path : `${cookie.path}/`
    const pathMatch = url.pathname === cookie.path || url.pathname.startsWith(prefix)
    const live = cookie.expires === undefined || cookie.expires > nowSeconds
    return domainMatch && pathMatch && live
  })
}

/**
 * The owner's cookies for this host only, the owner's user agent and the spec's fixed headers,
 * the cookie header last. `requiredCookie` names a cookie without which the call cannot work.
 */
export function attachCookieJar(
  request: UpstreamRequest,
  capability: NormalizedCapability,
  credentials: Credentials,
  requiredCookie?: string,
): void {
  const name = capability.cookie_secret!
  const secret = credentials.get(name)
  if (!secret) fail('missing_secret', { detail: `the permit owner has not uploaded ${name}` })
  const jar = JSON.parse(secret.value) as CookieJar
  const host = request.url.hostname
  if (host !== jar.domain && !host.endsWith(`.${jar.domain}`)) {
    fail('secret_origin_mismatch', { detail: `${name} holds cookies of another site` })
  }
  for (const [header, value] of Object.entries(capability.extra_headers ?? {})) {
    request.headers[header.toLowerCase()] = value
  }
  if (jar.user_agent) request.headers['user-agent'] = jar.user_agent
  const cookies = cookiesFor(jar, request.url)
  if (requiredCookie && !cookies.some((cookie) => cookie.name === requiredCookie)) {
    fail('missing_cookie', {
      detail: `${name} has no ${requiredCookie} cookie; upload the cookies of a logged-in session`,
    })
  }
  if (cookies.length) {
    request.headers.cookie = cookies.map((cookie) => `${cookie.name}=${cookie.value}`).join('; ')
  }
}

/** Every cookie value of a jar, for redaction: the jar is one secret holding many. */
export function cookieValuesOf(jarText: string): string[] {
  return (JSON.parse(jarText) as CookieJar).cookies.map((cookie) => cookie.value)
}
