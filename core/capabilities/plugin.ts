/**
 * A capability type is one plugin: its JSON Schema, how an agent's spec becomes the normalized
 * capability a human approves, and, at call time, how the guest's arguments become an upstream
 * request, how the owner's credentials attach to it, and how the answer is shaped for the agent.
 * The gateway (server/gateway) runs every plugin the same way; the registry lists them.
 */
import type { Param } from '../../schemas/types'

export type ParamIn = Param['in']

export interface NormalizedParam {
  in: ParamIn
  type: NonNullable<Param['type']>
  required: boolean
  description?: string
  constraint?: Param['constraint']
}

/**
 * A capability as stored in a permit: the agent's spec checked against its type's schema and the
 * endpoint rules, with defaults filled in and the facts an approver reads derived from it
 * (function signature, secrets it uses, origin it reaches). Its canonical JSON is part of the
 * manifest hash the human approves.
 */
export interface NormalizedCapability {
  type: string
  name: string
  /** The function the sandbox exposes: the last segment of `name`. */
  function: string
  signature: string
  description?: string
  doc_url?: string
  endpoint: string
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  origin: string
  host: string
  params: Record<string, NormalizedParam>
  response: 'json' | 'text' | 'binary'
  auth?: { header: string; value: string }
  cookie_secret?: string
  extra_headers?: Record<string, string>
  /** Owner secrets this capability reads. */
  secrets: string[]
}

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
