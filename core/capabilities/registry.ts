/**
 * The registry of capability types. Adding a type is adding its plugin module under types/ (and
 * its schema and test fixture) and one line here; GET /plugins, OpenAPI and the gateway read this.
 */
import { fail, isOAuth3Error } from '../errors'
import { KNOWN_SECRET_ORIGINS } from '../secret-names'
import type { CapabilityPlugin, NormalizedCapability, SpecContext } from './plugin'
import apiGateway from './types/api-gateway'
import cookieSession from './types/cookie-session'
import tiktokHistory from './types/tiktok-history'

export const CAPABILITY_PLUGINS: readonly CapabilityPlugin[] = [
  apiGateway,
  cookieSession,
  tiktokHistory,
]

const BY_TYPE = new Map(CAPABILITY_PLUGINS.map((plugin) => [plugin.type, plugin]))
const DEFAULT_TYPE = apiGateway.type

/** The plugin of a stored capability (its type was checked when the permit was requested). */
export function pluginFor(capability: Pick<NormalizedCapability, 'type'>): CapabilityPlugin {
  const plugin = BY_TYPE.get(capability.type)
  if (!plugin) throw new Error(`no plugin for capability type ${capability.type}`)
  return plugin
}

/** Validate and normalise a list of capability specs; function names must be unique. */
export function normalizeCapabilities(
  specs: unknown[],
  context: SpecContext,
): NormalizedCapability[] {
  const seen = new Set<string>()
  return specs.map((spec, index) => {
    const type = (spec as { type?: unknown }).type ?? DEFAULT_TYPE
    const plugin = typeof type === 'string' ? BY_TYPE.get(type) : undefined
    if (!plugin) {
      fail('INVALID_CAPABILITY', {
        details: { index, reason: 'unknown capability type', types: [...BY_TYPE.keys()] },
      })
    }
    const capability = withIndex(index, () => plugin.normalize(spec, context))
    if (seen.has(capability.function)) {
      fail('INVALID_CAPABILITY', {
        details: { index, reason: 'two capabilities expose the same function name' },
      })
    }
    seen.add(capability.function)
    assertKnownSecretOrigins(capability, index)
    return capability
  })
}

/**
 * Each secret goes to one origin within a permit. Cookie jars are bound to their site instead
 * (checked per capability when the permit is requested, and again at every call).
 */
export function secretOrigins(capabilities: NormalizedCapability[]): Record<string, string> {
  const origins: Record<string, string> = {}
  capabilities.forEach((capability, index) => {
    for (const secret of capability.secrets) {
      if (secret === capability.cookie_secret) continue
      if (origins[secret] && origins[secret] !== capability.origin) {
        fail('SECRET_ORIGIN_MISMATCH', {
          details: { index, secret, reason: 'one secret may serve one origin only' },
        })
      }
      origins[secret] = capability.origin
    }
  })
  return origins
}

function assertKnownSecretOrigins(capability: NormalizedCapability, index: number) {
  for (const secret of capability.secrets) {
    const allowed = KNOWN_SECRET_ORIGINS[secret]
    if (allowed && !allowed.includes(capability.origin)) {
      fail('SECRET_ORIGIN_MISMATCH', {
        details: { index, secret, allowed_origins: [...allowed] },
      })
    }
  }
}

/** Errors raised while normalising one spec name its index in the list. */
function withIndex<T>(index: number, task: () => T): T {
  try {
    return task()
  } catch (error) {
    if (!isOAuth3Error(error)) throw error
    return fail(error.code, { details: { index, ...error.details } })
  }
}
