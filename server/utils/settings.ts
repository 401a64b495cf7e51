/**
 * Operator settings: declared once in nitro.config.ts `runtimeConfig` (overridden by NITRO_*
 * environment variables), checked here at startup. A bad value stops the server with a message
 * naming the variable; nothing falls back silently to something that grants power.
 */
import { createHash } from 'node:crypto'
import { hostname } from 'node:os'
import { isAbsolute, resolve } from 'node:path'
import { defaultPoolSize } from '../../runtime/pool'
import { LIMITS } from './limits'

export interface Settings {
  /** Origin of every URL handed out (approval_url, status_url); null = http://localhost:<listening port>. */
  publicUrl: string | null
  dataDir: string
  redisUrl: string | null
  redisPrefix: string
  keyFile: string
  /** fsync each embedded-store write (survives power loss, not only process death). */
  dataFsync: boolean
  upstreamMap: Record<string, string>
  allowHttpEndpoints: boolean
  approvalTtlSeconds: number
  signupsPerMinute: number
  /** Names this process's running executions, so a restart marks only its own interrupted. */
  nodeId: string
  sandboxPoolSize: number
  execPerTenant: number
  execQueueMax: number
  execTimeoutMs: number
  execMemoryMb: number
  execOutputBytes: number
  execMaxCalls: number
  execMaxCallsInFlight: number
  execResultBytes: number
  gatewayTimeoutMs: number
  gatewayMaxResponseBytes: number
  gatewayMaxRequestBytes: number
}

export class SettingsError extends Error {}

type Raw = Record<string, unknown>

export function resolveSettings(raw: Raw, cwd = process.cwd()): Settings {
  const problems: string[] = []
  const text = (key: string, variable: string): string => {
    const value = raw[key]
    if (value === undefined || value === null || value === '') return ''
    if (typeof value !== 'string') problems.push(`${variable} must be a string`)
    return String(value)
  }
  const bool = (key: string, variable: string): boolean => {
    const value = raw[key]
    if (value === undefined || value === '' || value === false || value === 'false' || value === 0)
      return false
    if (value === true || value === 'true' || value === 1) return true
    problems.push(`${variable} must be true or false`)
    return false
  }
  const int = (
    key: string,
    variable: string,
    min: number,
    max: number,
    fallback: number,
  ): number => {
    const value = raw[key]
    if (value === undefined || value === '') return fallback
    const n = typeof value === 'number' ? value : Number(value)
    if (!Number.isInteger(n) || n < min || n > max)
      problems.push(`${variable} must be an integer from ${min} to ${max}`)
    return n
  }

  const publicUrl = parsePublicUrl(text('publicUrl', 'NITRO_PUBLIC_URL'), problems)
  const dataDir = resolve(cwd, text('dataDir', 'NITRO_DATA_DIR') || './.data')
  const redisUrl = text('redisUrl', 'NITRO_REDIS_URL') || null
  if (redisUrl && !/^rediss?:\/\//.test(redisUrl))
    problems.push('NITRO_REDIS_URL must start with redis:// or rediss://')
  const redisPrefix = text('redisPrefix', 'NITRO_REDIS_PREFIX') || 'oauth3'
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(redisPrefix))
    problems.push('NITRO_REDIS_PREFIX must match ^[A-Za-z0-9_-]{1,64}$')
  const keyFileRaw = text('keyFile', 'NITRO_KEY_FILE')
  const keyFile = keyFileRaw
    ? isAbsolute(keyFileRaw)
      ? keyFileRaw
      : resolve(cwd, keyFileRaw)
    : resolve(dataDir, 'vault.key')

  const settings: Settings = {
    publicUrl,
    dataDir,
    redisUrl,
    redisPrefix,
    keyFile,
    dataFsync: bool('dataFsync', 'NITRO_DATA_FSYNC'),
    upstreamMap: parseUpstreamMap(raw.upstreamMap, problems),
    allowHttpEndpoints: bool('allowHttpEndpoints', 'NITRO_ALLOW_HTTP_ENDPOINTS'),
    approvalTtlSeconds: int(
      'approvalTtlSeconds',
      'NITRO_APPROVAL_TTL_SECONDS',
      1,
      30 * 24 * 3600,
      7 * 24 * 3600,
    ),
    signupsPerMinute: int('signupsPerMinute', 'NITRO_SIGNUPS_PER_MINUTE', 1, 1_000_000, 30),
    nodeId:
      text('nodeId', 'NITRO_NODE_ID') ||
      `${hostname()}-${createHash('sha256').update(dataDir).digest('hex').slice(0, 8)}`,
    sandboxPoolSize: int('sandboxPoolSize', 'NITRO_SANDBOX_POOL_SIZE', 1, 64, defaultPoolSize()),
    execPerTenant: 0,
    execQueueMax: int('execQueueMax', 'NITRO_EXEC_QUEUE_MAX', 1, 100_000, LIMITS.EXEC_QUEUE_MAX),
    execTimeoutMs: int(
      'execTimeoutMs',
      'NITRO_EXEC_TIMEOUT_MS',
      100,
      300_000,
      LIMITS.EXEC_TIMEOUT_MS,
    ),
    execMemoryMb: int('execMemoryMb', 'NITRO_EXEC_MEMORY_MB', 64, 4096, LIMITS.EXEC_MEMORY_MB),
    execOutputBytes: int(
      'execOutputBytes',
      'NITRO_EXEC_OUTPUT_BYTES',
      1024,
      16 * 1024 * 1024,
      LIMITS.EXEC_OUTPUT_BYTES,
    ),
    execMaxCalls: int('execMaxCalls', 'NITRO_EXEC_MAX_CALLS', 1, 10_000, LIMITS.EXEC_MAX_CALLS),
    execMaxCallsInFlight: int(
      'execMaxCallsInFlight',
      'NITRO_EXEC_MAX_CALLS_IN_FLIGHT',
      1,
      256,
      LIMITS.EXEC_MAX_CALLS_IN_FLIGHT,
    ),
    execResultBytes: int(
      'execResultBytes',
      'NITRO_EXEC_RESULT_BYTES',
      1024,
      16 * 1024 * 1024,
      LIMITS.EXEC_RESULT_BYTES,
    ),
    gatewayTimeoutMs: int(
      'gatewayTimeoutMs',
      'NITRO_GATEWAY_TIMEOUT_MS',
      100,
      120_000,
      LIMITS.GATEWAY_TIMEOUT_MS,
    ),
    gatewayMaxResponseBytes: int(
      'gatewayMaxResponseBytes',
      'NITRO_GATEWAY_MAX_RESPONSE_BYTES',
      1024,
      64 * 1024 * 1024,
      LIMITS.GATEWAY_MAX_RESPONSE_BYTES,
    ),
    gatewayMaxRequestBytes: int(
      'gatewayMaxRequestBytes',
      'NITRO_GATEWAY_MAX_REQUEST_BYTES',
      1024,
      16 * 1024 * 1024,
      LIMITS.GATEWAY_MAX_REQUEST_BYTES,
    ),
  }
  // By default one tenant may hold all but one sandbox process, so others always get a turn.
  settings.execPerTenant = int(
    'execPerTenant',
    'NITRO_EXEC_PER_TENANT',
    1,
    64,
    Math.max(1, settings.sandboxPoolSize - 1),
  )
  if (problems.length) throw new SettingsError(`Invalid settings:\n  - ${problems.join('\n  - ')}`)
  return settings
}

function parsePublicUrl(value: string, problems: string[]): string | null {
  if (!value) return null
  try {
    const url = new URL(value)
    if (
      (url.protocol !== 'https:' && url.protocol !== 'http:') ||
      url.username ||
      url.password ||
      url.search ||
      url.hash
    ) {
      throw new Error('shape')
    }
    return url.origin + url.pathname.replace(/\/+$/, '')
  } catch {
    problems.push('NITRO_PUBLIC_URL must be an http(s) origin such as https://oauth3.example.com')
    return null
  }
}

function parseUpstreamMap(value: unknown, problems: string[]): Record<string, string> {
  if (value === undefined || value === null || value === '') return {}
  let map: unknown = value
  if (typeof value === 'string') {
    try {
      map = JSON.parse(value)
    } catch {
      map = null
    }
  }
  const out: Record<string, string> = Object.create(null)
  if (!map || typeof map !== 'object' || Array.isArray(map)) {
    problems.push('NITRO_UPSTREAM_MAP must be a JSON object of origin → local origin')
    return out
  }
  for (const [from, to] of Object.entries(map)) {
    const fromOrigin = originOf(from)
    const toOrigin = typeof to === 'string' ? originOf(to) : null
    if (!fromOrigin || !toOrigin) {
      problems.push('NITRO_UPSTREAM_MAP entries must map an http(s) origin to an http(s) origin')
      continue
    }
    out[fromOrigin] = toOrigin
  }
  return out
}

function originOf(value: string): string | null {
  try {
    const url = new URL(value)
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.origin : null
  } catch {
    return null
  }
}
