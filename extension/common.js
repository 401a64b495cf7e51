// What the popup and the background share: the stored state, the server's API, site names.
// chrome.storage.local holds it all — the upload credential included — where only this extension
// reads it. Nothing here runs code from anywhere but this extension.

export const SYNC_PERIOD_MINUTES = 30
/** A jar synced longer ago than this is shown as stale. */
export const STALE_AFTER_MS = 35 * 60 * 1000

/** @returns {Promise<{ server?: string, credential?: { token: string, credential_id: string, owner_name: string, sites: string[] }, pairing?: object, jars: Record<string, Jar>, state: string }>} */
export async function readState() {
  const stored = await chrome.storage.local.get([
    'server',
    'credential',
    'pairing',
    'jars',
    'state',
  ])
  return { jars: {}, state: 'disconnected', ...stored }
}

export function writeState(patch) {
  return chrome.storage.local.set(patch)
}

/** A site as the server keys it: lower case, no leading dot, `www.` dropped (www.tiktok.com → tiktok.com). */
export function baseOf(site) {
  const host = String(site).trim().toLowerCase().replace(/^\.+/, '').replace(/\/.*$/, '')
  return host.startsWith('www.') && host.split('.').length > 2 ? host.slice(4) : host
}

/** The host permissions a site's cookies need: the site and its subdomains, over https. */
export function originsOf(base) {
  return [`https://${base}/*`, `https://*.${base}/*`]
}

/** The server's origin, from what the owner typed (http://localhost:3000/ → http://localhost:3000). */
export function serverOrigin(text) {
  const url = new URL(String(text).trim())
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new Error('the server must be an http(s) URL')
  return url.origin
}

/** One call to the server; its error body's message on failure, with the HTTP status. */
export async function callServer(server, method, path, body, token) {
  const response = await fetch(`${server}${path}`, {
    method,
    headers: {
      accept: 'application/json',
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  })
  const text = await response.text()
  let answer = {}
  try {
    answer = text ? JSON.parse(text) : {}
  } catch {
    answer = { error: text }
  }
  if (!response.ok) {
    const error = new Error(answer.error ?? `HTTP ${response.status}`)
    error.status = response.status
    error.code = answer.code
    throw error
  }
  return answer
}
