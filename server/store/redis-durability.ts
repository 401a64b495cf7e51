/**
 * Does this Redis keep what it acknowledged? On its default settings it does not: without an
 * append-only file a crash or restart empties it (tokens, permits, secrets, results — silently),
 * and an evicting `maxmemory-policy` drops records under memory pressure. Read at startup with
 * CONFIG GET; the server refuses such a Redis unless NITRO_REDIS_ACCEPT_DATA_LOSS says the
 * operator accepts the risk. A Redis that refuses CONFIG (some managed services) cannot be
 * checked, and is treated the same way: accepted only explicitly.
 */
import type Redis from 'ioredis'

export interface StoreDurability {
  /** Whether the settings could be read. */
  checked: boolean
  appendonly?: string
  appendfsync?: string
  maxmemory_policy?: string
  /** What loses data, in words; empty when nothing does. */
  risks: string[]
  /** The operator accepted the risks (NITRO_REDIS_ACCEPT_DATA_LOSS). */
  accepted: boolean
}

export async function readRedisDurability(
  client: Redis,
  accepted: boolean,
): Promise<StoreDurability> {
  let config: Record<string, string>
  try {
    const pairs = (await client.call(
      'CONFIG',
      'GET',
      'appendonly',
      'appendfsync',
      'maxmemory-policy',
    )) as string[]
    config = {}
    for (let i = 0; i + 1 < pairs.length; i += 2) config[pairs[i]] = pairs[i + 1]
  } catch {
    return {
      checked: false,
      risks: ['CONFIG is refused, so its persistence cannot be checked'],
      accepted,
    }
  }
  const risks: string[] = []
  if (config.appendonly !== 'yes') {
    risks.push(
      `appendonly is ${config.appendonly ?? 'unknown'}: a restart empties it (set appendonly yes)`,
    )
  }
  const policy = config['maxmemory-policy']
  if (policy !== 'noeviction') {
    risks.push(
      `maxmemory-policy is ${policy ?? 'unknown'}: it evicts records when full (set noeviction)`,
    )
  }
  return {
    checked: true,
    appendonly: config.appendonly,
    appendfsync: config.appendfsync,
    maxmemory_policy: policy,
    risks,
    accepted,
  }
}

/** One phrase for the startup line. */
export function describeDurability(durability: StoreDurability): string {
  if (!durability.risks.length) {
    return `append-only file (appendfsync ${durability.appendfsync}), ${durability.maxmemory_policy}`
  }
  return `${durability.risks.join('; ')} — accepted by NITRO_REDIS_ACCEPT_DATA_LOSS`
}
