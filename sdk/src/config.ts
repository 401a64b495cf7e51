/**
 * Where a client's token and server come from: the options, then OAUTH3_TOKEN / OAUTH3_URL (and
 * the public SDK's OAUTH3_API_KEY), then ~/.oauth3/config.json — saved with mode 0600 after an
 * automatic signup. The file holds a token per server, keyed by the server's normalised URL
 * (`HTTP://Host:80/` and `http://host` are one server), and a token once saved is never replaced:
 * a second account for the same server is an explicit `OAuth3.signup()`. Only in runtimes with a
 * file system and an environment (Node, Deno, Bun); a browser passes its token and URL in the
 * options.
 */
export interface SavedServer {
  token: string
  /** When it was saved (ISO 8601). */
  saved_at?: string
}

export interface SavedConfig {
  /** The server used when none is named (the first one saved). */
  default?: string
  servers: Record<string, SavedServer>
}

interface Env {
  get(name: string): string | undefined
}

function environment(): Env | null {
  const deno = (globalThis as { Deno?: { env: Env } }).Deno
  if (deno) return deno.env
  const process = (globalThis as { process?: { env: Record<string, string | undefined> } }).process
  return process ? { get: (name) => process.env[name] } : null
}

export function envValue(name: string): string | undefined {
  try {
    return environment()?.get(name) || undefined
  } catch {
    return undefined
  }
}

/**
 * A server's URL as one key: scheme and host lower-cased, the default port dropped, no trailing
 * slash, no query or fragment. A path is kept (a server behind a proxy at /oauth3).
 */
export function normalizeServerUrl(url: string): string {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new TypeError(`not a URL: ${JSON.stringify(url)} (expected e.g. http://localhost:3000)`)
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new TypeError(`not an http(s) URL: ${JSON.stringify(url)}`)
  }
  return `${parsed.origin}${parsed.pathname.replace(/\/+$/, '')}`
}

async function configPath(): Promise<string | null> {
  const home = envValue('HOME') ?? envValue('USERPROFILE')
  if (!home) return null
  const { join } = await import('node:path')
  return join(home, '.oauth3', 'config.json')
}

/** The saved config; an earlier file of one `{ url, token }` reads as that one server. */
export async function readSavedConfig(): Promise<SavedConfig> {
  try {
    const path = await configPath()
    if (!path) return { servers: {} }
    const { readFile } = await import('node:fs/promises')
    return asConfig(JSON.parse(await readFile(path, 'utf8')))
  } catch {
    return { servers: {} }
  }
}

function asConfig(value: unknown): SavedConfig {
  if (typeof value !== 'object' || value === null) return { servers: {} }
  const file = value as { url?: unknown; token?: unknown; default?: unknown; servers?: unknown }
  const servers: Record<string, SavedServer> = {}
  if (typeof file.servers === 'object' && file.servers !== null) {
    for (const [url, saved] of Object.entries(file.servers as Record<string, SavedServer>)) {
      if (typeof saved?.token === 'string') servers[normalizeServerUrl(url)] = saved
    }
  }
  if (typeof file.token === 'string' && typeof file.url === 'string') {
    servers[normalizeServerUrl(file.url)] ??= { token: file.token }
  }
  const fallback = typeof file.url === 'string' ? normalizeServerUrl(file.url) : undefined
  const named = typeof file.default === 'string' ? file.default : fallback
  return { ...(named ? { default: named } : {}), servers }
}

/** The saved token for `url`'s server. */
export function savedToken(config: SavedConfig, url: string): string | undefined {
  return config.servers[normalizeServerUrl(url)]?.token
}

/**
 * Save `token` for `url`'s server unless a token is already saved for it (read again just before
 * writing: another process may have saved one meanwhile) — or, with `replace`, in its place (an
 * explicit `oauth3 login`). Answers the token now saved for the server and where.
 */
export async function saveToken(
  url: string,
  token: string,
  options: { replace?: boolean } = {},
): Promise<{ token: string; path: string | null; saved: boolean }> {
  const path = await configPath()
  if (!path) return { token, path, saved: false }
  const key = normalizeServerUrl(url)
  const config = await readSavedConfig()
  const existing = config.servers[key]?.token
  if (existing && !options.replace) return { token: existing, path, saved: existing === token }
  config.servers[key] = { token, saved_at: new Date().toISOString() }
  config.default ??= key
  const { mkdir, writeFile, rename, chmod } = await import('node:fs/promises')
  const { dirname } = await import('node:path')
  await mkdir(dirname(path), { recursive: true, mode: 0o700 })
  const temporary = `${path}.${Date.now()}.${Math.random().toString(36).slice(2)}.tmp`
  await writeFile(temporary, JSON.stringify(config, null, 2) + '\n', { mode: 0o600 })
  await chmod(temporary, 0o600)
  await rename(temporary, path)
  return { token, path, saved: true }
}
