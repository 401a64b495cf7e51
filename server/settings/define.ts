/**
 * How a setting is declared: its type, default (a value, or computed from settings declared
 * before it), bounds and meaning. Each kind parses the raw runtimeConfig value (a string from the
 * environment, or what Nitro already decoded) and reports problems instead of throwing, so that
 * startup names every bad variable at once.
 */

export interface ParseContext {
  /** The environment variable, for messages. */
  env: string
  cwd: string
  /** Settings declared before this one, already parsed. */
  resolved: Record<string, unknown>
  problems: string[]
}

export interface Setting<T> {
  /** How the value reads, for the README: `integer 1–64`, `true or false`, … */
  type: string
  doc: string
  /** The default as the README shows it. */
  defaultDoc: string
  parse(raw: unknown, context: ParseContext): T
}

type Default<T> = T | ((resolved: Record<string, unknown>) => T)

const isUnset = (raw: unknown) => raw === undefined || raw === null || raw === ''
const valueOf = <T>(fallback: Default<T>, resolved: Record<string, unknown>): T =>
  typeof fallback === 'function'
    ? (fallback as (r: Record<string, unknown>) => T)(resolved)
    : fallback

interface NumberOptions {
  min: number
  max: number
  default: Default<number>
  defaultDoc?: string
  doc: string
}

export function integer(options: NumberOptions): Setting<number> {
  return numberSetting(options, 'integer')
}

/** A number that may have a fraction (`0.5`). */
export function decimal(options: NumberOptions): Setting<number> {
  return numberSetting(options, 'number')
}

function numberSetting(options: NumberOptions, kind: 'integer' | 'number'): Setting<number> {
  return {
    type: `${kind} ${options.min}–${options.max}`,
    doc: options.doc,
    defaultDoc: options.defaultDoc ?? String(options.default),
    parse(raw, { env, resolved, problems }) {
      if (isUnset(raw)) return valueOf(options.default, resolved)
      const n = typeof raw === 'number' ? raw : Number(raw)
      const shaped = kind === 'integer' ? Number.isInteger(n) : Number.isFinite(n)
      if (!shaped || n < options.min || n > options.max) {
        problems.push(
          `${env} must be ${kind === 'integer' ? 'an integer' : 'a number'} from ${options.min} to ${options.max}`,
        )
      }
      return n
    },
  }
}

export function flag(options: { doc: string }): Setting<boolean> {
  return {
    type: 'true or false',
    doc: options.doc,
    defaultDoc: '`false`',
    parse(raw, { env, problems }) {
      if (isUnset(raw) || raw === false || raw === 'false' || raw === 0) return false
      if (raw === true || raw === 'true' || raw === 1) return true
      problems.push(`${env} must be true or false`)
      return false
    },
  }
}

/** Free text, unset (null) unless given; `check` refuses bad values with a message. */
export function text(options: {
  doc: string
  type?: string
  check?: { pattern: RegExp; problem: string }
}): Setting<string | null>
export function text(options: {
  doc: string
  type?: string
  default: Default<string>
  defaultDoc?: string
  check?: { pattern: RegExp; problem: string }
}): Setting<string>
export function text(options: {
  doc: string
  type?: string
  default?: Default<string>
  defaultDoc?: string
  check?: { pattern: RegExp; problem: string }
}): Setting<string | null> {
  const fallback = options.default
  return {
    type: options.type ?? 'text',
    doc: options.doc,
    defaultDoc: options.defaultDoc ?? (typeof fallback === 'string' ? `\`${fallback}\`` : 'unset'),
    parse(raw, { env, resolved, problems }) {
      if (isUnset(raw)) return fallback === undefined ? null : valueOf(fallback, resolved)
      if (typeof raw !== 'string') {
        problems.push(`${env} must be a string`)
        return String(raw)
      }
      if (options.check && !options.check.pattern.test(raw)) {
        problems.push(`${env} ${options.check.problem}`)
      }
      return raw
    },
  }
}

/** A TCP port (0: any free one), unset (null) unless given. */
export function port(options: { doc: string; defaultDoc: string }): Setting<number | null> {
  return {
    type: 'port 0–65535',
    doc: options.doc,
    defaultDoc: options.defaultDoc,
    parse(raw, { env, problems }) {
      if (isUnset(raw)) return null
      const n = typeof raw === 'number' ? raw : /^\d{1,5}$/.test(String(raw)) ? Number(raw) : NaN
      if (!Number.isInteger(n) || n < 0 || n > 65_535) {
        problems.push(`${env} must be a port number from 0 to 65535`)
        return null
      }
      return n
    },
  }
}

/** Anything else: its own parser (which treats `raw` as unset when it is undefined or ''). */
export function custom<T>(setting: Setting<T>): Setting<T> {
  return setting
}

export function isUnsetValue(raw: unknown): boolean {
  return isUnset(raw)
}

/** `gatewayTimeoutMs` → `NITRO_GATEWAY_TIMEOUT_MS`: how Nitro maps runtimeConfig to the environment. */
export function envNameOf(key: string): string {
  return `NITRO_${key.replace(/[A-Z]/g, (letter) => `_${letter}`).toUpperCase()}`
}
