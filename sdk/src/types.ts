/**
 * The wire types, generated once from the server's JSON Schemas (schemas/types.ts): requests and
 * answers alike, so the SDK reads exactly what the server answers.
 */
import type {
  ApiGatewayCapability,
  CookieSessionCapability,
  ExecuteRequest,
  PermitRequest,
  SignupRequest,
  SkillPublishRequest,
  StatusBody,
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

/**
 * What the product page's SDK sends to execute (POST /execute): code (`skill_code`, or `code`)
 * or a registry skill (`skill_id` alone), never neither.
 */
export type ExecuteParams = ExecuteRequest &
  ({ skill_code: string } | { code: string } | { skill_id: string })

/** The answers, generated from the server's answer schemas (schemas/*.schema.json). */
export type {
  ActionsPage,
  Attestation,
  CallRecord,
  CookiesUploadAnswer,
  ExecuteAccepted,
  ExecutionResult,
  HistoryPage,
  Permit,
  PermitAnswer,
  SecretChange,
  SecretList,
  SessionsPage,
  SignupAnswer,
  SkillList,
  SkillPublished,
  SkillVersion,
  SkillVersions,
  StatusBody,
  StatusWord,
  Tenant,
} from '../../schemas/types'

/**
 * The status body of GET /execute/:id/status, for an execution or a permit request — or, from the
 * SDK's own polling, `timeout` when it gave up waiting (the request itself goes on).
 */
export type ExecutionStatus = StatusBody | PollTimeout

/** A status body's other fields are absent, so reading them needs no narrowing. */
export type PollTimeout = {
  request_id: string
  status: 'timeout'
  error: string
} & { [K in Exclude<keyof StatusBody, 'request_id' | 'status' | 'error'>]?: undefined }
