/**
 * Every operator setting, declared once. Its environment variable is NITRO_ + its key in
 * UPPER_SNAKE (how Nitro maps runtimeConfig); runtimeConfig (nitro.config.ts), the typed settings
 * (resolve.ts) and the README's settings table (`npm run gen:docs`) are derived from this table.
 * Order matters: a computed default reads the settings above it.
 */
import { createHash } from 'node:crypto'
import { hostname } from 'node:os'
import { isAbsolute, resolve } from 'node:path'
import { defaultPoolSize } from '../../runtime/limits'
import { parseTrustedProxies, type TrustedProxies } from '../../core/trusted-proxies'
import { LOG_LEVELS, type LogLevel } from './log-levels'
import {
  custom,
  decimal,
  flag,
  integer,
  isUnsetValue,
  port,
  text,
  type ParseContext,
} from './define'

const KIB = 1024
const MIB = 1024 * KIB
const DAY_S = 24 * 3600

export const SETTINGS = {
  publicUrl: custom<string | null>({
    type: 'http(s) origin',
    doc: 'origin of every URL handed out (`approval_url`, `status_url`)',
    defaultDoc: '`http://localhost:<listening port>`',
    parse: parsePublicUrl,
  }),
  dataDir: custom<string>({
    type: 'path',
    doc: "the embedded store's folder (one process per folder)",
    defaultDoc: '`./.data`',
    parse: (raw, { cwd }) => resolve(cwd, isUnsetValue(raw) ? './.data' : String(raw)),
  }),
  storeEngine: custom<'auto' | 'sqlite' | 'journal'>({
    type: 'auto, sqlite or journal',
    doc: "the embedded store's engine: `sqlite` keeps records on disk (Node 22.13+), `journal` in the heap; `auto`: sqlite where this Node has it",
    defaultDoc: '`auto`',
    parse: (raw, { env, problems }) => {
      if (isUnsetValue(raw)) return 'auto'
      if (raw === 'auto' || raw === 'sqlite' || raw === 'journal') return raw
      problems.push(`${env} must be auto, sqlite or journal`)
      return 'auto'
    },
  }),
  dataFsync: flag({
    doc: "`true`: flush every batch of the embedded store's log to disk (survives power loss, not just process death; slower)",
  }),
  redisUrl: text({
    doc: 'keep state and long-poll notifications in this Redis (several processes)',
    type: 'redis:// or rediss:// URL',
    check: { pattern: /^rediss?:\/\//, problem: 'must start with redis:// or rediss://' },
  }),
  redisPrefix: text({
    doc: 'key prefix in Redis',
    default: 'oauth3',
    check: { pattern: /^[A-Za-z0-9_-]{1,64}$/, problem: 'must match ^[A-Za-z0-9_-]{1,64}$' },
  }),
  redisAcceptDataLoss: flag({
    doc: '`true`: start on a Redis that loses data on a crash (no append-only file, an evicting `maxmemory-policy`, or CONFIG refused so it cannot be checked); shown in `/ready` and the startup line',
  }),
  keyFile: custom<string>({
    type: 'path',
    doc: 'the vault key file (share it between processes on one Redis)',
    defaultDoc: '`<NITRO_DATA_DIR>/vault.key`',
    parse: (raw, { cwd, resolved }) => {
      if (isUnsetValue(raw)) return resolve(String(resolved.dataDir), 'vault.key')
      return isAbsolute(String(raw)) ? String(raw) : resolve(cwd, String(raw))
    },
  }),
  keyProvider: custom<'auto' | 'local' | 'dstack'>({
    type: 'auto, local or dstack',
    doc: 'where keys come from: the dstack guest agent when one answers (`auto`), the key file, or dstack only',
    defaultDoc: '`auto`',
    parse: (raw, { env, problems }) => {
      if (isUnsetValue(raw)) return 'auto'
      if (raw === 'auto' || raw === 'local' || raw === 'dstack') return raw
      problems.push(`${env} must be auto, local or dstack`)
      return 'auto'
    },
  }),
  dstackEndpoint: text({
    doc: "the dstack guest agent: a Unix socket path or an http(s) URL (the SDK's own discovery when unset)",
    type: 'path or URL',
  }),
  upstreamMap: custom<Record<string, string>>({
    type: 'JSON object',
    doc: 'JSON origin → local origin map, for tests and demos only; logged at startup; refused inside TDX',
    defaultDoc: 'unset',
    parse: parseUpstreamMap,
  }),
  allowHttpEndpoints: flag({ doc: 'allow `http:` capability endpoints (development only)' }),
  approvalTtlSeconds: integer({
    min: 1,
    max: 30 * DAY_S,
    default: 7 * DAY_S,
    defaultDoc: '604800 (7 days)',
    doc: 'how long an approval link stays valid',
  }),
  signupsPerMinute: integer({
    min: 1,
    max: 1_000_000,
    default: 30,
    doc: 'signups per client address per minute',
  }),
  nodeId: text({
    doc: 'names this instance in logs and in its executions (each start adds a random suffix)',
    default: (resolved: Record<string, unknown>) =>
      `${hostname()
        .replace(/[^A-Za-z0-9_.-]/g, '-')
        .slice(
          0,
          48,
        )}-${createHash('sha256').update(String(resolved.dataDir)).digest('hex').slice(0, 8)}`,
    defaultDoc: 'host name + data dir hash',
    // It becomes part of store keys (the running markers, the lease).
    check: { pattern: /^[A-Za-z0-9_.-]{1,64}$/, problem: 'must match ^[A-Za-z0-9_.-]{1,64}$' },
  }),
  leaseSeconds: integer({
    min: 2,
    max: 300,
    default: 10,
    doc: "an instance's lease on its executions; when it lapses (the instance died or lost the store), another instance marks them failed (`interrupted`)",
  }),
  retentionDays: decimal({
    min: 0.00001,
    max: 3650,
    default: 30,
    doc: 'how long executions (output, calls, activity) and decided permit requests are kept; a permit in force is kept while in force',
  }),
  shutdownGraceSeconds: integer({
    min: 0,
    max: 120,
    default: 10,
    doc: 'on SIGTERM, how long running executions may finish before they are stopped (`shutdown`)',
  }),
  sandboxPoolSize: integer({
    min: 1,
    max: 64,
    default: () => defaultPoolSize(),
    defaultDoc: 'cores, 2 to 8',
    doc: 'guest processes kept ready',
  }),
  // By default one tenant may hold all but one sandbox process, so others always get a turn.
  execPerTenant: integer({
    min: 1,
    max: 64,
    default: (resolved) => Math.max(1, Number(resolved.sandboxPoolSize) - 1),
    defaultDoc: 'pool size − 1',
    doc: 'executions one tenant may run at once',
  }),
  execQueueMax: integer({
    min: 1,
    max: 100_000,
    default: 256,
    doc: 'executions waiting before `429`',
  }),
  execTimeoutMs: integer({
    min: 100,
    max: 300_000,
    default: 30_000,
    doc: 'wall time of one execution',
  }),
  execMemoryMb: integer({
    min: 64,
    max: 4096,
    default: 256,
    doc: 'guest heap (resident limit: this + 96 MB)',
  }),
  execOutputBytes: integer({
    min: KIB,
    max: 16 * MIB,
    default: MIB,
    doc: 'stdout + stderr of one execution',
  }),
  execMaxCalls: integer({
    min: 1,
    max: 10_000,
    default: 100,
    doc: 'capability calls per execution',
  }),
  execMaxCallsInFlight: integer({
    min: 1,
    max: 256,
    default: 8,
    doc: 'capability calls of one execution at once',
  }),
  execResultBytes: integer({
    min: KIB,
    max: 16 * MIB,
    default: MIB,
    doc: 'the returned value, as JSON',
  }),
  gatewayTimeoutMs: integer({
    min: 100,
    max: 120_000,
    default: 15_000,
    doc: 'total time of one upstream call',
  }),
  gatewayMaxResponseBytes: integer({
    min: KIB,
    max: 64 * MIB,
    default: 5 * MIB,
    doc: 'decoded upstream response',
  }),
  gatewayMaxRequestBytes: integer({
    min: KIB,
    max: 16 * MIB,
    default: MIB,
    doc: 'upstream request body (and capability arguments)',
  }),
  logFormat: custom<'auto' | 'pretty' | 'json'>({
    type: 'auto, pretty or json',
    doc: 'log lines as text for a person (`pretty`) or one JSON object each (`json`); `auto`: pretty on a terminal, JSON otherwise',
    defaultDoc: '`auto`',
    parse: (raw, { env, problems }) => {
      if (isUnsetValue(raw)) return 'auto'
      if (raw === 'auto' || raw === 'pretty' || raw === 'json') return raw
      problems.push(`${env} must be auto, pretty or json`)
      return 'auto'
    },
  }),
  logLevel: custom<LogLevel>({
    type: LOG_LEVELS.join(', '),
    doc: 'the least severe lines written (`info`: one per request and per execution)',
    defaultDoc: '`info`',
    parse: (raw, { env, problems }) => {
      if (isUnsetValue(raw)) return 'info'
      if (LOG_LEVELS.includes(raw as LogLevel)) return raw as LogLevel
      problems.push(`${env} must be one of ${LOG_LEVELS.join(', ')}`)
      return 'info'
    },
  }),
  metricsPort: port({
    doc: 'serve `GET /metrics` (Prometheus text) on this port, apart from the API; `0` picks a free one',
    defaultDoc: 'unset (off)',
  }),
  metricsHost: text({
    doc: 'the interface the metrics port listens on',
    type: 'address',
    default: '127.0.0.1',
  }),
  trustedProxies: custom<TrustedProxies>({
    type: 'comma-separated CIDRs',
    doc: 'peers whose `X-Forwarded-For` is believed for the client address (rate limits key on it); unset: none',
    defaultDoc: 'unset',
    parse: (raw, { env, problems }) => {
      const parsed = parseTrustedProxies(isUnsetValue(raw) ? '' : String(raw))
      if (parsed.problem) problems.push(`${env} ${parsed.problem}`)
      return parsed.proxies
    },
  }),
}

/** Where the API listens (server/settings/listen.ts, read by the entry), documented with the others. */
export const LISTENER_SETTINGS = [
  {
    env: 'PORT',
    doc: 'the port the server listens on (`NITRO_PORT` wins over it); `0` picks a free one',
    type: 'port 0–65535',
    defaultDoc: '3000',
  },
  {
    env: 'HOST',
    doc: 'the interface it listens on: an address or a host name (`NITRO_HOST` wins over it)',
    type: 'address',
    defaultDoc: 'all interfaces',
  },
  {
    env: 'NITRO_UNIX_SOCKET',
    doc: 'listen on this Unix socket instead of a port',
    type: 'path',
    defaultDoc: 'unset',
  },
]

function parsePublicUrl(raw: unknown, { env, problems }: ParseContext): string | null {
  if (isUnsetValue(raw)) return null
  try {
    const url = new URL(String(raw))
    const httpish = url.protocol === 'https:' || url.protocol === 'http:'
    if (!httpish || url.username || url.password || url.search || url.hash) throw new Error('shape')
    return url.origin + url.pathname.replace(/\/+$/, '')
  } catch {
    problems.push(`${env} must be an http(s) origin such as https://oauth3.example.com`)
    return null
  }
}

function parseUpstreamMap(raw: unknown, { env, problems }: ParseContext): Record<string, string> {
  const out: Record<string, string> = Object.create(null)
  if (isUnsetValue(raw)) return out
  let map: unknown = raw
  if (typeof raw === 'string') {
    try {
      map = JSON.parse(raw)
    } catch {
      map = null
    }
  }
  if (!map || typeof map !== 'object' || Array.isArray(map)) {
    problems.push(`${env} must be a JSON object of origin → local origin`)
    return out
  }
  for (const [from, to] of Object.entries(map)) {
    const fromOrigin = originOf(from)
    const toOrigin = typeof to === 'string' ? originOf(to) : null
    if (!fromOrigin || !toOrigin) {
      problems.push(`${env} entries must map an http(s) origin to an http(s) origin`)
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
