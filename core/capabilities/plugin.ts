/**
 * A capability type is one plugin: its JSON Schema, how an agent's spec becomes the normalized
 * capability a human approves, and, at call time, how the guest's arguments become an upstream
 * request, how the owner's credentials attach to it, and how the answer is shaped for the agent.
 * The gateway (server/gateway) runs every plugin the same way; the registry lists them.
 */
import type { NormalizedCapability, Param } from '../../schemas/types'

export type ParamIn = Param['in']

/**
 * A capability as stored in a permit: the agent's spec checked against its type's schema and the
 * endpoint rules, with defaults filled in and the facts an approver reads derived from it
 * (function signature, secrets it uses, origin it reaches). Its canonical JSON is part of the
 * manifest hash the human approves. Generated from schemas/normalized-capability.schema.json,
 * the same type the approval page, the CLI and the SDK read.
 */
export type { NormalizedCapability }
export type NormalizedParam = NormalizedCapability['params'][string]

export interface SpecContext {
  /** The operator allows http: endpoints (development only). */
  allowHttp: boolean
}

export interface UpstreamRequest {
  url: URL
  method: string
  headers: Record<string, string>
  body?: string
}

/** An owner secret, decrypted for one execution; it never leaves the host. */
export interface RevealedSecret {
  value: string
  origin?: string
  /** Set for an uploaded cookie jar (its value is a JSON CookieJar). */
  cookie_domain?: string
}

export type Credentials = ReadonlyMap<string, RevealedSecret>

export interface CallLimits {
  maxBodyBytes: number
}

export interface CapabilityPlugin {
  readonly type: string
  /** One sentence for GET /plugins and the approval page. */
  readonly description: string
  /** The JSON Schema of the agent's spec (schemas/capability-<type>.schema.json). */
  readonly schema: { $id: string }
  /** Permit time: check the agent's spec (throws a catalog error) and normalize it. */
  normalize(spec: unknown, context: SpecContext): NormalizedCapability
  /** Call time: check the guest's arguments and build the request from the approved template only. */
  prepareRequest(
    capability: NormalizedCapability,
    args: unknown[],
    limits: CallLimits,
  ): UpstreamRequest
  /** Call time, last: the owner's credentials on the request, only for their own origin. */
  attachCredentials(
    request: UpstreamRequest,
    capability: NormalizedCapability,
    credentials: Credentials,
  ): void
  /** Values derived from the owner's secrets (beyond the secrets themselves) to redact. */
  derivedSecrets?(capability: NormalizedCapability, credentials: Credentials): string[]
  /** Call time: the agent's view of the decoded, redacted answer. */
  shapeAnswer?(answer: unknown): unknown
}

export function defineCapabilityPlugin(plugin: CapabilityPlugin): CapabilityPlugin {
  return plugin
}
