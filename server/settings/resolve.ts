/**
 * The typed settings, resolved at startup from runtimeConfig (NITRO_* environment variables
 * override it) against the one table in table.ts. A bad value stops the server with a message
 * naming the variable; nothing falls back silently to something that grants power.
 */
import { envNameOf, type Setting } from './define'
import { SETTINGS } from './table'

type Table = typeof SETTINGS
export type Settings = { [K in keyof Table]: Table[K] extends Setting<infer T> ? T : never }

export class SettingsError extends Error {}

export function resolveSettings(raw: Record<string, unknown>, cwd = process.cwd()): Settings {
  const problems: string[] = []
  const resolved: Record<string, unknown> = {}
  for (const [key, setting] of Object.entries(SETTINGS) as Array<[string, Setting<unknown>]>) {
    resolved[key] = setting.parse(raw[key], { env: envNameOf(key), cwd, resolved, problems })
  }
  if (problems.length) throw new SettingsError(`Invalid settings: ${problems.join('; ')}`)
  return resolved as Settings
}

/** runtimeConfig for nitro.config.ts: every key present (so Nitro maps its variable), unset. */
export function runtimeConfigKeys(): Record<keyof Table, ''> {
  return Object.fromEntries(Object.keys(SETTINGS).map((key) => [key, ''])) as Record<
    keyof Table,
    ''
  >
}
