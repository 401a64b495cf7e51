/**
 * The JSON Schemas of schemas/, compiled once with ajv in strict mode (no coercion, no defaults,
 * no unknown keywords). `assertX` returns the typed value or fails with INVALID_BODY and the
 * schema errors as structured details.
 */
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv'
import agentCreate from '../../schemas/agent-create.schema.json'
import approve from '../../schemas/approve.schema.json'
import apiGateway from '../../schemas/capability-api-gateway.schema.json'
import capabilityCommon from '../../schemas/capability-common.schema.json'
import cookieSession from '../../schemas/capability-cookie-session.schema.json'
import cookiesUpload from '../../schemas/cookies-upload.schema.json'
import executeRequest from '../../schemas/execute-request.schema.json'
import tiktokHistory from '../../schemas/capability-tiktok-history.schema.json'
import permitRequest from '../../schemas/permit-request.schema.json'
import secretPut from '../../schemas/secret-put.schema.json'
import signup from '../../schemas/signup.schema.json'
import skillManifest from '../../schemas/skill-manifest.schema.json'
import skillPublish from '../../schemas/skill-publish.schema.json'
import type {
  AgentCreateRequest,
  ApiGatewayCapability,
  ApproveRequest,
  CookieSessionCapability,
  CookiesUploadRequest,
  ExecuteRequest,
  PermitRequest,
  SecretPutRequest,
  SignupRequest,
  SkillManifest,
  SkillPublishRequest,
  TiktokHistoryCapability,
} from '../../schemas/types'
import { fail, type ErrorCode } from './errors'

export const SCHEMAS = {
  signup,
  agentCreate,
  approve,
  permitRequest,
  executeRequest,
  secretPut,
  cookiesUpload,
  skillManifest,
  skillPublish,
  capabilityCommon,
  apiGateway,
  cookieSession,
  tiktokHistory,
} as const

const ajv = new Ajv({
  strict: true,
  allowUnionTypes: true,
  allErrors: false,
  coerceTypes: false,
  useDefaults: false,
  removeAdditional: false,
})
for (const schema of Object.values(SCHEMAS)) ajv.addSchema(schema)

function compiled<T>(schema: { $id: string }): ValidateFunction<T> {
  return ajv.getSchema<T>(schema.$id)!
}

/** Schema errors as data: where, which rule, never the offending value. */
export function describeSchemaErrors(errors: ErrorObject[] | null | undefined) {
  return (errors ?? []).slice(0, 10).map((error) => ({
    path: error.instancePath || '/',
    rule: error.keyword,
    message: error.message ?? 'invalid',
    ...(error.keyword === 'additionalProperties'
      ? { property: safeName(error.params.additionalProperty) }
      : {}),
  }))
}

function safeName(value: unknown): string {
  return typeof value === 'string' && /^[\w.-]{1,64}$/.test(value) ? value : '(not shown)'
}

function defineAssert<T>(schema: { $id: string }, code: ErrorCode = 'INVALID_BODY') {
  const validate = compiled<T>(schema)
  return (value: unknown, extraDetails: Record<string, unknown> = {}): T => {
    if (!validate(value))
      fail(code, { details: { ...extraDetails, errors: describeSchemaErrors(validate.errors) } })
    return value as T
  }
}

export const assertSignupRequest = defineAssert<SignupRequest>(signup)
export const assertAgentCreateRequest = defineAssert<AgentCreateRequest>(agentCreate)
export const assertApproveRequest = defineAssert<ApproveRequest>(approve)
export const assertPermitRequest = defineAssert<PermitRequest>(permitRequest)
export const assertExecuteRequest = defineAssert<ExecuteRequest>(executeRequest)
export const assertCookiesUploadRequest = defineAssert<CookiesUploadRequest>(cookiesUpload)
export const assertSkillManifest = defineAssert<SkillManifest>(
  skillManifest,
  'SKILL_MANIFEST_INVALID',
)
export const assertSkillPublishRequest = defineAssert<SkillPublishRequest>(skillPublish)
export const assertSecretPutRequest = defineAssert<SecretPutRequest>(secretPut)
export const assertApiGatewayCapability = defineAssert<ApiGatewayCapability>(
  apiGateway,
  'INVALID_CAPABILITY',
)
export const assertCookieSessionCapability = defineAssert<CookieSessionCapability>(
  cookieSession,
  'INVALID_CAPABILITY',
)
export const assertTiktokHistoryCapability = defineAssert<TiktokHistoryCapability>(
  tiktokHistory,
  'INVALID_CAPABILITY',
)
