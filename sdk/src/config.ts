/**
 * Where a client's token and server come from: the options, then OAUTH3_TOKEN / OAUTH3_URL (and
 * the public SDK's OAUTH3_API_KEY), then ~/.oauth3/config.json — saved with mode 0600 after an
 * automatic signup. Only in runtimes with a file system and an environment (Node, Deno, Bun);
 * a browser passes its token and URL in the options.
 */
export interface SavedConfig {
  url?: string
  token?: string
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

async function configPath(): Promise<string | null> {
  const home = envValue('HOME') ?? envValue('USERPROFILE')
  if (!home) return null
  const { join } = await import('node:path')
  return join(home, '.oauth3', 'config.json')
}

export async function readSavedConfig(): Promise<SavedConfig> {
  try {
    const path = await configPath()
    if (!path) return {}
    const { readFile } = await import('node:fs/promises')
    const saved = JSON.parse(await readFile(path, 'utf8')) as SavedConfig
    return typeof saved === 'object' && saved ? saved : {}
  } catch {
    return {}
  }
}

/** Save the token (and server) for the next run: owner-only permissions, written atomically. */
export async function saveConfig(config: SavedConfig): Promise<string | null> {
  const path = await configPath()
  if (!path) return null
  const { mkdir, writeFile, rename, chmod } = await import('node:fs/promises')
  const { dirname } = await import('node:path')
  await mkdir(dirname(path), { recursive: true, mode: 0o700 })
  const temporary = `${path}.${Date.now()}.tmp`
  await writeFile(temporary, JSON.stringify(config, null, 2) + '\n', { mode: 0o600 })
  await chmod(temporary, 0o600)
  await rename(temporary, path)
  return path
}
