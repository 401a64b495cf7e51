/**
 * The wire types. Requests are the ones generated from the server's JSON Schemas (schemas/types.ts);
 * answers follow docs/api.md.
 */
import type {
  ApiGatewayCapability,
  CookieSessionCapability,
  ExecuteRequest,
  PermitRequest,
  SignupRequest,
  SkillPublishRequest,
  TiktokHistoryCapability,
} from '../../schemas/types'
import type { Receipt } from '../../core/attestation/receipt'

export type {
  ApiGatewayCapability,
  CookieSessionCapability,
  ExecuteRequest,
  PermitRequest,
  Receipt,
  SignupRequest,
  SkillPublishRequest,
  TiktokHistoryCapability,
}

export type CapabilitySpec =
  ApiGatewayCapability | CookieSessionCapability | TiktokHistoryCapability

/** POST /permit's body, with capability specs typed. */
export type PermitSpec = Omit<PermitRequest, 'capabilities'> & { capabilities?: CapabilitySpec[] }

/** What the product page's SDK sends to execute (POST /execute). */
export type ExecuteParams = ExecuteRequest

export interface CallRecord {
  capability: string
  method: string
  url: string
  status: number
  duration: number
  error?: string
}

export interface ExecutionResult {
  success: boolean
  stdout: string
  stderr: string
  exitCode: number
  duration: number
  value?: unknown
  calls: CallRecord[]
  receipt?: Receipt
}

/** The status body of GET /execute/:id/status, for an execution or a permit request. */
export interface ExecutionStatus {
  request_id: string
  status:
    'pending' | 'approved' | 'executing' | 'completed' | 'failed' | 'denied' | 'expired' | 'timeout'
  permit_id?: string
  created_at?: number
  started_at?: number
  finished_at?: number
  skill_id?: string
  code?: 'ad-hoc'
  label?: string
  code_sha256?: string
  result?: ExecutionResult
  error?: string
  status_url?: string
}

export interface SignupAnswer {
  tenant_id: string
  role: 'agent' | 'owner'
  token: string
  jwt: string
  api_key: string
  tee_url: string
  message: string
}

export interface PermitAnswer {
  request_id: string
  permit_id: string
  approval_url: string
  status_url: string
  manifest_sha256: string
  capabilities: Array<{ name: string; signature: string }>
}

export interface Attestation {
  tee: 'tdx' | 'simulated' | 'none'
  report_data: string
  nonce: string
  signing_key: string
  key_id: string
  version: string
  quote?: string
  event_log?: string
  app_id?: string
  instance_id?: string
  compose_hash?: string
  message?: string
}
