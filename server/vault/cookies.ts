/**
 * Uploaded browser cookies: a JSON export or rows copied from the DevTools cookie table, checked
 * (domains, names, values), and stored sealed as the owner's secret COOKIES_<DOMAIN> together with
 * the browser's user agent. Only the gateway reads them back, for requests to that domain.
 */
import type { CookieJar, StoredCookie } from '../../core/capabilities/cookie-jar'
import { fail } from '../../core/errors'
import { cookieSecretName, isSecretName } from '../../core/secret-names'
import type { CookiesUploadRequest } from '../../schemas/types'
import type { App } from '../app'
import { storeSealedSecret } from './secrets'

const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,256}$/
const COOKIE_VALUE_FORBIDDEN = /[;\r\n\0]/
const HOST =
  /^(?=.{3,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/
const JAR_MAX_BYTES = 64 * 1024

/** `www.tiktok.com` → base `tiktok.com`, secret `COOKIES_TIKTOK_COM` (IN-09: anything else is 400). */
export function cookieSecretFor(domain: string): {
  host: string
  base: string
  secretName: string
} {
  const host = domain.trim().toLowerCase().replace(/^\./, '')
  if (!HOST.test(host))
    fail('INVALID_COOKIES', {
      details: { reason: 'domain must be a host name such as www.tiktok.com' },
    })
  const base = host.startsWith('www.') && host.split('.').length > 2 ? host.slice(4) : host
  const secretName = cookieSecretName(base)
  if (!isSecretName(secretName))
    fail('INVALID_COOKIES', { details: { reason: 'domain is too long' } })
  return { host, base, secretName }
}

/** A browser extension's upload credential, as the vault sees it (server/extension/). */
export interface CookieUploader {
  id: string
  label: string
  /** The base domains it was granted. */
  sites: string[]
}

/**
 * `uploader`: the browser extension's credential when it sent them — it may store only the sites
 * it was granted (SITE_NOT_GRANTED), and the secret records that it came from it.
 */
export async function uploadCookies(
  app: App,
  ownerId: string,
  body: CookiesUploadRequest,
  uploader?: CookieUploader,
) {
  const { base, secretName } = cookieSecretFor(body.domain)
  if (uploader && !uploader.sites.includes(base))
    fail('SITE_NOT_GRANTED', { details: { site: base, granted: uploader.sites } })
  if ((body.cookies === undefined) === (body.cookie_table === undefined))
    fail('INVALID_COOKIES', { details: { reason: 'send exactly one of cookies and cookie_table' } })
  const raw =
    body.cookie_table !== undefined ? parseCookieTable(body.cookie_table, base) : body.cookies!
  const cookies = raw.map((cookie, index) => checkCookie(cookie, base, index))
  if (body.user_agent !== undefined && /[\r\n\0]/.test(body.user_agent))
    fail('INVALID_COOKIES', { details: { reason: 'user_agent may not contain CR, LF or NUL' } })
  const jar: CookieJar = {
    domain: base,
    cookies,
    ...(body.user_agent ? { user_agent: body.user_agent } : {}),
  }
  const text = JSON.stringify(jar)
  if (Buffer.byteLength(text) > JAR_MAX_BYTES)
    fail('INVALID_COOKIES', {
      details: { reason: `at most ${JAR_MAX_BYTES} bytes of cookies per domain` },
    })
  const source = uploader
    ? { kind: 'extension' as const, credential_id: uploader.id, label: uploader.label }
    : undefined
  await storeSealedSecret(app, ownerId, secretName, text, () => ({
    cookie_domain: base,
    ...(source ? { source } : {}),
  }))
  return { success: true as const, secret_name: secretName, count: cookies.length }
}

type RawCookie = {
  name: string
  value: string
  domain?: string
  path?: string
  hostOnly?: boolean
  expires?: number | string
  expirationDate?: number
  session?: boolean
}

function checkCookie(cookie: RawCookie, base: string, index: number): StoredCookie {
  const reject = (reason: string): never => fail('INVALID_COOKIES', { details: { index, reason } })
  if (!COOKIE_NAME.test(cookie.name)) reject('a cookie name is not a valid token')
  if (COOKIE_VALUE_FORBIDDEN.test(cookie.value) || cookie.value.length > 4096)
    reject('a cookie value contains ; CR LF or NUL, or is too long')
  const domain = (cookie.domain ?? base).trim().toLowerCase()
  const bare = domain.replace(/^\./, '')
  if (!HOST.test(bare)) reject('a cookie domain is not a host name')
  if (bare !== base && !bare.endsWith(`.${base}`) && !base.endsWith(`.${bare}`))
    reject('a cookie belongs to another site')
  if (base.endsWith(`.${bare}`) && bare.split('.').length < 2)
    reject('a cookie domain is too broad')
  const path = cookie.path && cookie.path.startsWith('/') ? cookie.path : '/'
  if (/[\r\n\0;]/.test(path)) reject('a cookie path contains a forbidden character')
  const expires =
    cookie.expirationDate ??
    (typeof cookie.expires === 'number' ? cookie.expires : parseExpiry(cookie.expires))
  return {
    name: cookie.name,
    value: cookie.value,
    domain: bare,
    path,
    ...(cookie.hostOnly ||
    (!domain.startsWith('.') && cookie.domain !== undefined && cookie.hostOnly !== false)
      ? { hostOnly: true }
      : {}),
    ...(expires !== undefined && !cookie.session ? { expires } : {}),
  }
}

function parseExpiry(text: string | undefined): number | undefined {
  if (!text || /^session$/i.test(text.trim())) return undefined
  const ms = Date.parse(text)
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : undefined
}

/**
 * Rows copied from the DevTools cookie table: tab-separated Name, Value, Domain, Path, Expires,
 * then other columns (Size, HttpOnly, Secure, …), which are ignored. A header row is skipped.
 */
export function parseCookieTable(table: string, base: string): RawCookie[] {
  const rows = table
    .split(/\r?\n/)
    .map((line) => line.replace(/\s+$/, ''))
    .filter((line) => line.trim() !== '')
  const cookies: RawCookie[] = []
  for (const [index, row] of rows.entries()) {
    const cells = row.split('\t')
    if (
      index === 0 &&
      /^name$/i.test(cells[0]?.trim() ?? '') &&
      /^value$/i.test(cells[1]?.trim() ?? '')
    )
      continue
    if (cells.length < 2)
      fail('INVALID_COOKIES', {
        details: {
          row: index + 1,
          reason: 'each row needs at least a name and a value, separated by a tab',
        },
      })
    const [name, value, domain, path, expires] = cells.map((cell) => cell.trim())
    cookies.push({
      name,
      value,
      domain: domain || `.${base}`,
      ...(path ? { path } : {}),
      ...(expires ? { expires } : {}),
    })
  }
  if (cookies.length === 0) fail('INVALID_COOKIES', { details: { reason: 'no cookie rows found' } })
  if (cookies.length > 300) fail('INVALID_COOKIES', { details: { reason: 'at most 300 cookies' } })
  return cookies
}
