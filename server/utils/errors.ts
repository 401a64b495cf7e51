/**
 * The error catalog: every error the API answers, with its status and a message for humans.
 * Errors are raised only through `fail(code)`; the JSON error handler (server/error.ts) renders
 * them as `{ error, code, details? }`. Messages never carry user input, secrets or tokens.
 */
import { createError, type H3Error } from 'h3'

export const ERROR_CATALOG = {
  // 400
  INVALID_JSON: [400, 'The request body is not valid JSON.'],
  INVALID_BODY: [400, 'The request body does not match the schema for this endpoint.'],
  INVALID_QUERY: [400, 'A query parameter is missing or has the wrong type.'],
  TOO_DEEP: [400, 'The request body is nested too deeply.'],
  FORBIDDEN_KEY: [400, 'Keys named __proto__, constructor or prototype are not accepted.'],
  INVISIBLE_CHARACTERS: [
    400,
    'Text shown to the approver may not contain control, bidirectional or zero-width characters.',
  ],
  INVALID_CAPABILITY: [400, 'A capability spec is invalid.'],
  UNSAFE_ENDPOINT: [
    400,
    'A capability endpoint is not allowed: https only, a public host name, placeholders only in the path.',
  ],
  UNSAFE_PATTERN: [400, 'A constraint pattern is not a valid linear-time regular expression.'],
  SECRET_IN_URL: [
    400,
    'A secret may be used only in the auth header of a capability, never in the URL.',
  ],
  SECRET_ORIGIN_MISMATCH: [
    400,
    'A secret is bound to another origin than the endpoint that would receive it.',
  ],
  INVALID_SECRET: [
    400,
    'Secret names match ^[A-Z][A-Z0-9_]{0,63}$ and values are at most 8 KiB without CR, LF or NUL.',
  ],
  INVALID_COOKIES: [
    400,
    'The cookies could not be accepted: check the domain, the names and the values.',
  ],
  SKILL_YAML_INVALID: [
    400,
    'skill.yaml is not safe, well-formed YAML: no duplicate keys, custom tags or aliases.',
  ],
  SKILL_MANIFEST_INVALID: [400, 'skill.yaml does not match the skill manifest schema.'],
  SKILL_ID_MISMATCH: [400, 'The id in skill.yaml does not match the folder it is in.'],
  SKILL_VERSION_MISMATCH: [400, 'The version in skill.yaml does not match the folder it is in.'],
  SKILL_CODE_HASH_MISMATCH: [400, 'The sha256 in skill.yaml is not the SHA-256 of index.js.'],
  SKILL_CODE_INVALID: [400, 'index.js does not parse as the body of an async function.'],
  SKILL_CAPABILITY_INVALID: [400, 'A capability declared by the skill is invalid.'],
  SKILL_ARGS_SCHEMA_INVALID: [
    400,
    'The args schema of the skill does not compile (strict JSON Schema, RE2 patterns).',
  ],
  INVALID_ARGS: [400, "The args do not match the skill's args schema; nothing ran."],
  SKILL_PERMIT_RUNS_ITS_SKILL: [
    400,
    "This permit is bound to a skill: it runs that skill's code only.",
  ],
  SYNTAX_ERROR: [400, 'The code does not parse as the body of an async function.'],
  CODE_REQUIRED: [400, 'Send the code to run in `code` (or `skill_code`).'],
  UNSUPPORTED_MEDIA_TYPE: [415, 'Send the body as application/json.'],
  // 401 / 403
  UNAUTHORIZED: [401, 'Missing or invalid bearer token.'],
  FORBIDDEN_ROLE: [403, 'This endpoint is not available to your role.'],
  INVALID_APPROVAL_TOKEN: [403, 'The approval token is wrong.'],
  PERMIT_NOT_APPROVED: [403, 'This permit has not been approved.'],
  PERMIT_EXPIRED: [403, 'This permit has expired.'],
  PERMIT_REVOKED: [403, 'This permit has been revoked.'],
  PERMIT_EXHAUSTED: [403, 'This permit has used all of its executions.'],
  SKILL_NEEDS_PERMIT: [
    403,
    'This skill calls capabilities: run it under a permit bound to it (POST /permit with skill_id).',
  ],
  SKILL_OWNED_BY_ANOTHER: [403, 'This skill id belongs to another publisher.'],
  NOT_YOUR_AGENT: [
    403,
    'This agent is bound to another owner; only that owner decides its permits.',
  ],
  // 404 / 409 / 410
  NOT_FOUND: [404, 'Not found.'],
  ROUTE_NOT_FOUND: [404, 'No such endpoint. GET / lists them.'],
  METHOD_NOT_ALLOWED: [405, 'Method not allowed on this endpoint.'],
  SKILL_NOT_FOUND: [404, 'No such skill, or no version in that range.'],
  SKILL_VERSION_EXISTS: [409, 'This version is already published; versions are immutable.'],
  ALREADY_DECIDED: [409, 'This permit request has already been decided.'],
  MANIFEST_CHANGED: [
    409,
    'The manifest changed since it was shown; reload the approval page and review it again.',
  ],
  ALREADY_REVOKED: [409, 'This permit is already revoked.'],
  APPROVAL_EXPIRED: [410, 'This approval link has expired.'],
  // 413 / 429 / 5xx
  BODY_TOO_LARGE: [413, 'The request body is too large.'],
  TOO_MANY_SECRETS: [413, 'Too many secrets stored for this owner.'],
  RATE_LIMITED: [429, 'Too many requests; retry later.'],
  OVERLOADED: [429, 'The execution queue is full; retry later.'],
  TOO_MANY_LONG_POLLS: [429, 'Too many status requests held open; retry later.'],
  STORE_UNAVAILABLE: [503, 'The store is unavailable; retry later.'],
  INTERNAL: [500, 'Internal error.'],
} as const satisfies Record<string, readonly [number, string]>

export type ErrorCode = keyof typeof ERROR_CATALOG

export interface ErrorBody {
  error: string
  code: ErrorCode
  details?: Record<string, unknown>
}

/** Options a caller may attach: structured details for programs, a Retry-After for 429/503. */
export interface FailOptions {
  details?: Record<string, unknown>
  retryAfterSeconds?: number
}

/** The one way to raise an API error. */
export function fail(code: ErrorCode, options: FailOptions = {}): never {
  const [status, message] = ERROR_CATALOG[code]
  const body: ErrorBody = { error: message, code }
  if (options.details) body.details = options.details
  throw createError({
    statusCode: status,
    statusMessage: code,
    data: { body, retryAfterSeconds: options.retryAfterSeconds },
  })
}

export function isCatalogError(
  error: unknown,
): error is H3Error<{ body: ErrorBody; retryAfterSeconds?: number }> {
  const data = (error as H3Error | undefined)?.data as { body?: ErrorBody } | undefined
  return Boolean(data?.body && data.body.code in ERROR_CATALOG)
}

/** Map any thrown value to the body and status we answer; unknown errors become INTERNAL. */
export function toErrorResponse(error: unknown): {
  status: number
  body: ErrorBody
  retryAfterSeconds?: number
} {
  if (isCatalogError(error)) {
    return {
      status: error.statusCode,
      body: error.data!.body,
      retryAfterSeconds: error.data!.retryAfterSeconds,
    }
  }
  const status = (error as H3Error | undefined)?.statusCode
  // h3's own errors (unknown route, unparsable URL) arrive without our catalog body.
  if (status === 404)
    return { status, body: { error: ERROR_CATALOG.ROUTE_NOT_FOUND[1], code: 'ROUTE_NOT_FOUND' } }
  if (status === 405)
    return {
      status,
      body: { error: ERROR_CATALOG.METHOD_NOT_ALLOWED[1], code: 'METHOD_NOT_ALLOWED' },
    }
  if (status === 413)
    return { status, body: { error: ERROR_CATALOG.BODY_TOO_LARGE[1], code: 'BODY_TOO_LARGE' } }
  if (status === 400)
    return { status, body: { error: ERROR_CATALOG.INVALID_BODY[1], code: 'INVALID_BODY' } }
  return { status: 500, body: { error: ERROR_CATALOG.INTERNAL[1], code: 'INTERNAL' } }
}
