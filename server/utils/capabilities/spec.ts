/**
 * A capability as stored in a permit: the agent's spec checked against its type's schema and the
 * endpoint rules, with defaults filled in and the facts an approver reads derived from it
 * (function signature, secrets it uses, origin it reaches).
 */
import type {
  ApiGatewayCapability,
  CookieSessionCapability,
  Param,
  TiktokHistoryCapability,
} from '../../../schemas/types'

export type CapabilityType = 'api-gateway' | 'cookie-session' | 'tiktok-history'
export type ParamIn = Param['in']

export interface NormalizedParam {
  in: ParamIn
  type: NonNullable<Param['type']>
  required: boolean
  description?: string
  constraint?: Param['constraint']
}

export interface NormalizedCapability {
  type: CapabilityType
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

export type CapabilitySpec =
  ApiGatewayCapability | CookieSessionCapability | TiktokHistoryCapability

export interface CapabilityContext {
  allowHttp: boolean
}
