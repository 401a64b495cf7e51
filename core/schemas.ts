/**
 * The JSON Schemas of schemas/, compiled once with ajv in strict mode (no coercion, no defaults,
 * no unknown keywords). An assertion returns the typed value or fails with its catalog code and
 * the schema errors as structured details. Capability types compile their own schema through
 * `defineAssert` (core/capabilities/types/).
 */
import Ajv, { type ErrorObject } from 'ajv'
import agentCreate from '../schemas/agent-create.schema.json'
import approve from '../schemas/approve.schema.json'
import capabilityCommon from '../schemas/capability-common.schema.json'
import cookiesUpload from '../schemas/cookies-upload.schema.json'
import empty from '../schemas/empty.schema.json'
import executeRequest from '../schemas/execute-request.schema.json'
import mcpMessage from '../schemas/mcp-message.schema.json'
import passkeyOptions from '../schemas/passkey-options.schema.json'
import extensionPairing from '../schemas/extension-pairing.schema.json'
import extensionCollect from '../schemas/extension-collect.schema.json'
import extensionDecision from '../schemas/extension-decision.schema.json'
import passkeyRemove from '../schemas/passkey-remove.schema.json'
import passkeyVerify from '../schemas/passkey-verify.schema.json'
import permitRequest from '../schemas/permit-request.schema.json'
import secretPut from '../schemas/secret-put.schema.json'
import signup from '../schemas/signup.schema.json'
import skillManifest from '../schemas/skill-manifest.schema.json'
import skillPublish from '../schemas/skill-publish.schema.json'
import type {
  AgentCreateRequest,
  ApproveRequest,
  CookiesUploadRequest,
  EmptyRequest,
  ExecuteRequest,
  McpMessage,
  PasskeyOptionsRequest,
  PasskeyRemoveRequest,
  ExtensionDecisionRequest,
  ExtensionCollectRequest,
  ExtensionPairingRequest,
  PasskeyVerifyRequest,
  PermitRequest,
  SecretPutRequest,
  SignupRequest,
  SkillManifest,
  SkillPublishRequest,
} from '../schemas/types'
import { fail, type ApiErrorCode } from './errors'

/** Request bodies by schema name, as route metadata names them. */
export interface RequestBodies {
  signup: SignupRequest
  agentCreate: AgentCreateRequest
  approve: ApproveRequest
  permitRequest: PermitRequest
  executeRequest: ExecuteRequest
  secretPut: SecretPutRequest
  cookiesUpload: CookiesUploadRequest
  skillPublish: SkillPublishRequest
  passkeyOptions: PasskeyOptionsRequest
  passkeyVerify: PasskeyVerifyRequest
  passkeyRemove: PasskeyRemoveRequest
  extensionDecision: ExtensionDecisionRequest
  extensionCollect: ExtensionCollectRequest
  extensionPairing: ExtensionPairingRequest
  empty: EmptyRequest
  mcpMessage: McpMessage
}
export type RequestBodyName = keyof RequestBodies

const REQUEST_SCHEMAS = {
  signup,
  agentCreate,
  approve,
  permitRequest,
  executeRequest,
  secretPut,
  cookiesUpload,
  skillPublish,
  passkeyOptions,
  passkeyVerify,
  passkeyRemove,
  extensionPairing,
  extensionCollect,
  extensionDecision,
  empty,
  mcpMessage,
} satisfies Record<RequestBodyName, { $id: string }>

/** Every schema but the capability types' own (their plugins hold those). */
export const SCHEMAS = { ...REQUEST_SCHEMAS, skillManifest, capabilityCommon } as const

const ajv = new Ajv({
  strict: true,
  allowUnionTypes: true,
  allErrors: false,
  coerceTypes: false,
  useDefaults: false,
  removeAdditional: false,
})
for (const schema of Object.values(SCHEMAS)) ajv.addSchema(schema)

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

export type Assert<T> = (value: unknown) => T

/** Compile `schema` once (adding it to the shared registry for $refs) into an assertion. */
export function defineAssert<T>(
  schema: { $id: string },
  code: ApiErrorCode = 'INVALID_BODY',
): Assert<T> {
  if (!ajv.getSchema(schema.$id)) ajv.addSchema(schema)
  const validate = ajv.getSchema<T>(schema.$id)!
  return (value) => {
    if (!validate(value)) fail(code, { details: { errors: describeSchemaErrors(validate.errors) } })
    return value as T
  }
}

export const assertRequestBody: { [N in RequestBodyName]: Assert<RequestBodies[N]> } = {
  signup: defineAssert(signup),
  agentCreate: defineAssert(agentCreate),
  approve: defineAssert(approve),
  permitRequest: defineAssert(permitRequest),
  executeRequest: defineAssert(executeRequest),
  secretPut: defineAssert(secretPut),
  cookiesUpload: defineAssert(cookiesUpload),
  skillPublish: defineAssert(skillPublish),
  passkeyOptions: defineAssert(passkeyOptions),
  passkeyVerify: defineAssert(passkeyVerify),
  passkeyRemove: defineAssert(passkeyRemove),
  extensionDecision: defineAssert(extensionDecision),
  extensionCollect: defineAssert(extensionCollect),
  extensionPairing: defineAssert(extensionPairing),
  empty: defineAssert(empty),
  mcpMessage: defineAssert(mcpMessage),
}

export const assertSkillManifest = defineAssert<SkillManifest>(
  skillManifest,
  'SKILL_MANIFEST_INVALID',
)
