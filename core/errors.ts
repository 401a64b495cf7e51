/**
 * The error catalog: every failure a client can see, in one table, raised through one helper.
 *
 * - API errors (UPPER_SNAKE) answer an HTTP request: `{ error, code, details? }` with their status.
 * - Execution failures (lower_snake) end an execution: its `error` reads `<code>: <detail>`.
 * - Capability-call failures (lower_snake) reject a call inside the code with an Error that
 *   carries `code` (and `status` for an upstream answer); its message reads `<code>: <detail>`.
 * - Verification failures (lower_snake) say why a quote, an attestation or a receipt was not
 *   proved; the verifier returns them as data in its checks, never throws them.
 *
 * Failures cross the guest boundary as data (`toFailure`), never as text parsed back. A few
 * messages keep the form the wire contract fixed (`HTTP <status>: <body>`, argument checks, the
 * error the code itself threw): those entries are `prefixed: false`. Messages never carry user
 * input verbatim, secrets or tokens. docs/errors.md is generated from this table.
 */

interface ApiEntry {
  readonly kind: 'api'
  readonly status: number
  readonly message: string
}

interface ExecutionEntry {
  readonly kind: 'execution'
  /** The result's exitCode, when the execution has a result. */
  readonly exitCode?: 1 | 124 | 137
  readonly message: string
  readonly prefixed: boolean
}

interface CallEntry {
  readonly kind: 'call'
  readonly message: string
  readonly prefixed: boolean
}

interface CheckEntry {
  readonly kind: 'check'
  readonly message: string
}

type Entry = ApiEntry | ExecutionEntry | CallEntry | CheckEntry

const api = (status: number, message: string) => ({ kind: 'api', status, message }) as const
const execution = <E extends 1 | 124 | 137 | undefined>(
  exitCode: E,
  message: string,
  prefixed = true,
) =>
  ({
    kind: 'execution',
    ...(exitCode === undefined ? {} : { exitCode }),
    message,
    prefixed,
  }) as const
const call = (message: string, prefixed = true) => ({ kind: 'call', message, prefixed }) as const
const check = (message: string) => ({ kind: 'check', message }) as const

export const ERROR_CATALOG = {
  // API errors: 400
  INVALID_JSON: api(400, 'The request body is not valid JSON.'),
  INVALID_BODY: api(400, 'The request body does not match the schema for this endpoint.'),
  INVALID_QUERY: api(400, 'A query parameter is missing or has the wrong type.'),
  TOO_DEEP: api(400, 'The request body is nested too deeply.'),
  FORBIDDEN_KEY: api(400, 'Keys named __proto__, constructor or prototype are not accepted.'),
  INVISIBLE_CHARACTERS: api(
    400,
    'Text shown to the approver may not contain control, bidirectional or zero-width characters.',
  ),
  INVALID_CAPABILITY: api(400, 'A capability spec is invalid.'),
  UNSAFE_ENDPOINT: api(
    400,
    'A capability endpoint is not allowed: https only, a public host name, placeholders only in the path.',
  ),
  UNSAFE_PATTERN: api(400, 'A constraint pattern is not a valid linear-time regular expression.'),
  SECRET_IN_URL: api(
    400,
    'A secret may be used only in the auth header of a capability, never in the URL.',
  ),
  SECRET_ORIGIN_MISMATCH: api(
    400,
    'A secret is bound to another origin than the endpoint that would receive it.',
  ),
  INVALID_SECRET: api(
    400,
    'Secret names match ^[A-Z][A-Z0-9_]{0,63}$ and values are at most 8 KiB without CR, LF or NUL.',
  ),
  INVALID_COOKIES: api(
    400,
    'The cookies could not be accepted: check the domain, the names and the values.',
  ),
  SKILL_YAML_INVALID: api(
    400,
    'skill.yaml is not safe, well-formed YAML: no duplicate keys, custom tags or aliases.',
  ),
  SKILL_MANIFEST_INVALID: api(400, 'skill.yaml does not match the skill manifest schema.'),
  SKILL_ID_MISMATCH: api(400, 'The id in skill.yaml does not match the folder it is in.'),
  SKILL_VERSION_MISMATCH: api(400, 'The version in skill.yaml does not match the folder it is in.'),
  SKILL_CODE_HASH_MISMATCH: api(400, 'The sha256 in skill.yaml is not the SHA-256 of index.js.'),
  SKILL_CODE_INVALID: api(400, 'index.js does not parse as the body of an async function.'),
  SKILL_CAPABILITY_INVALID: api(400, 'A capability declared by the skill is invalid.'),
  SKILL_ARGS_SCHEMA_INVALID: api(
    400,
    'The args schema of the skill does not compile (strict JSON Schema, RE2 patterns).',
  ),
  INVALID_ARGS: api(400, "The args do not match the skill's args schema; nothing ran."),
  SKILL_PERMIT_RUNS_ITS_SKILL: api(
    400,
    "This permit is bound to a skill: it runs that skill's code only.",
  ),
  SYNTAX_ERROR: api(400, 'The code does not parse as the body of an async function.'),
  SES_IMPORT_REJECTED: api(
    400,
    'The code contains `import(` (or `import` before a comment): the sandbox loads no modules and rejects that text anywhere, even in a string or a comment. Build such a string another way.',
  ),
  SES_EVAL_REJECTED: api(
    400,
    'The code calls eval directly: the sandbox rejects direct eval; use (0, eval)(…) if you need it.',
  ),
  SES_HTML_COMMENT_REJECTED: api(
    400,
    'The code contains `<!--` or `-->`, which the sandbox rejects anywhere, even in a string.',
  ),
  CODE_REQUIRED: api(400, 'Send the code to run in `code` (or `skill_code`).'),
  CODE_AMBIGUOUS: api(400, 'Send the code once: `code` or `skill_code`, not both.'),
  SECRET_NOT_IN_PERMIT: api(
    400,
    "A secret named in `secrets` is not one of the permit's secrets; only those can serve the code.",
  ),
  DRY_RUN_UNSUPPORTED: api(
    400,
    'dry_run is not supported: this server would run the code. Request a permit and read its approval page instead.',
  ),
  SKILL_URL_UNSUPPORTED: api(
    400,
    'skill_url is not supported: send the code in `code`, or run a published skill by `skill_id`.',
  ),
  PASSKEY_CHALLENGE_INVALID: api(
    400,
    'The passkey challenge is unknown, already used, expired or for something else: start again.',
  ),
  UNSUPPORTED_MEDIA_TYPE: api(415, 'Send the body as application/json.'),
  // API errors: 401 / 403
  UNAUTHORIZED: api(401, 'Missing or invalid bearer token.'),
  FORBIDDEN_ROLE: api(403, 'This endpoint is not available to your role.'),
  INVALID_APPROVAL_TOKEN: api(403, 'The approval token is wrong.'),
  PASSKEY_REJECTED: api(
    401,
    'The passkey did not verify: an unknown passkey, another origin, or no user verification.',
  ),
  CROSS_SITE_REQUEST: api(403, "This request did not come from this server's own pages."),
  PERMIT_NOT_APPROVED: api(403, 'This permit has not been approved.'),
  PERMIT_EXPIRED: api(403, 'This permit has expired.'),
  PERMIT_REVOKED: api(403, 'This permit has been revoked.'),
  PERMIT_EXHAUSTED: api(403, 'This permit has used all of its executions.'),
  SKILL_NEEDS_PERMIT: api(
    403,
    'This skill calls capabilities: run it under a permit bound to it (POST /permit with skill_id).',
  ),
  SKILL_OWNED_BY_ANOTHER: api(403, 'This skill id belongs to another publisher.'),
  NOT_YOUR_AGENT: api(
    403,
    'This agent is bound to another owner; only that owner decides its permits.',
  ),
  // API errors: 404 / 405 / 409 / 410
  NOT_FOUND: api(404, 'Not found.'),
  ROUTE_NOT_FOUND: api(404, 'No such endpoint. GET / lists them.'),
  METHOD_NOT_ALLOWED: api(405, 'Method not allowed on this endpoint.'),
  SKILL_NOT_FOUND: api(404, 'No such skill, or no version in that range.'),
  SKILL_VERSION_EXISTS: api(409, 'This version is already published; versions are immutable.'),
  ALREADY_DECIDED: api(409, 'This permit request has already been decided.'),
  MANIFEST_CHANGED: api(
    409,
    'The manifest changed since it was shown; reload the approval page and review it again.',
  ),
  ALREADY_REVOKED: api(409, 'This permit is already revoked.'),
  PAIRING_GONE: api(
    410,
    'This extension pairing was declined, already collected, or has expired: connect again from the extension.',
  ),
  SITE_NOT_GRANTED: api(
    403,
    'This browser extension was not granted this site: connect it again with the site added.',
  ),
  LAST_PASSKEY: api(
    409,
    'This is your only passkey: without it these pages have no way in. Confirm its removal with this passkey itself.',
  ),
  APPROVAL_EXPIRED: api(410, 'This approval link has expired.'),
  SCOPE_GONE: api(
    410,
    'POST /scope is gone: request a permit with POST /permit (capabilities, or a skill_id) instead.',
  ),
  IDEMPOTENCY_KEY_REUSED: api(
    422,
    'This idempotency key was used with a different request; use a new key for a new request.',
  ),
  // API errors: 413 / 429 / 5xx
  BODY_TOO_LARGE: api(413, 'The request body is too large.'),
  TOO_MANY_SECRETS: api(413, 'Too many secrets stored for this owner.'),
  TOO_MANY_CREDENTIALS: api(
    413,
    'Too many browser extensions are connected to this owner: revoke one on the dashboard first.',
  ),
  RATE_LIMITED: api(429, 'Too many requests; retry later.'),
  OVERLOADED: api(
    429,
    'You hold your share of the execution queue, or it is full; retry after Retry-After seconds.',
  ),
  TOO_MANY_LONG_POLLS: api(429, 'Too many status requests held open; retry later.'),
  STORE_UNAVAILABLE: api(503, 'The store is unavailable; retry later.'),
  SHUTTING_DOWN: api(503, 'The server is shutting down; retry in a moment.'),
  NOT_READY: api(
    503,
    'The server is starting (marking executions interrupted by a stop); retry in a moment.',
  ),
  SANDBOX_UNAVAILABLE: api(503, 'The sandbox cannot start processes; the operator must act.'),
  INTERNAL: api(500, 'Internal error.'),

  // Execution failures: a failed execution's `error`, with result.exitCode
  timed_out: execution(124, 'The execution ran over its wall-time limit and was stopped.'),
  memory: execution(137, 'The execution used more memory than its limit.'),
  killed: execution(137, 'The sandbox process ended while the execution ran.'),
  output_limit: execution(
    1,
    'stdout and stderr went over the output limit; the output ends with a truncation marker.',
  ),
  result_too_large: execution(1, 'The returned value, as JSON, is over the result limit.'),
  result_not_json: execution(1, 'The returned value is not JSON data.'),
  threw: execution(
    1,
    'The code threw (or rejected with) an error: `error` reads `Name: message`.',
    false,
  ),
  left_running: execution(
    1,
    'The code returned but left work running (a promise loop); the sandbox stopped it and replaced its process.',
  ),
  interrupted: execution(
    undefined,
    'The server restarted while the execution was pending or running; it was not re-run.',
  ),
  shutdown: execution(
    137,
    'The server stopped before the execution could finish (exitCode 1 when it had not started).',
  ),
  internal: execution(1, 'The execution could not run.'),

  // Capability-call failures: the Error a call rejects with inside the code
  upstream_status: call(
    'The upstream answered a non-2xx, non-3xx status: `HTTP <status>: <body>` (redacted); the error carries `status`.',
    false,
  ),
  invalid_argument: call(
    'An argument has the wrong type, breaks its approved constraint or is not a single path segment; the message names it.',
    false,
  ),
  unknown_capability: call('The function is not a capability of this permit.'),
  invalid_call: call('Capability arguments must be a list of JSON data.'),
  subrequest_limit: call('Too many capability calls in this execution, or too many at once.'),
  request_too_large: call('The request body (or the arguments) is over the limit.'),
  response_too_large: call('The decoded upstream response is over the limit.'),
  upstream_timeout: call('The upstream gave no complete answer within the call deadline.'),
  upstream_unreachable: call('The upstream host does not resolve or refused the connection.'),
  upstream_error: call('The upstream connection failed or its answer could not be decoded.'),
  blocked_address: call('The upstream host resolves to a non-public address.'),
  permit_inactive: call('The permit was revoked or expired while the execution ran.'),
  store_unavailable: call(
    'The server could not read its store to check this call, so nothing was sent upstream; retry later.',
  ),
  rate_limited: call("The approver's calls-per-minute limit for this permit is reached."),
  missing_secret: call('The permit owner has not stored a secret this capability uses.'),
  missing_cookie: call('The uploaded cookies lack the session cookie this capability needs.'),
  secret_origin_mismatch: call('A secret (or cookie jar) is bound to another origin.'),
  revoked: call('The execution ended: its calls are revoked.'),
  tiktok_error: call('TikTok refused the request; the session cookies may have expired.'),

  // Verification failures: why a quote, an attestation or a receipt was not proved (the CLI, the SDK)
  quote_malformed: check(
    'The quote is not a well-formed TDX v4 or v5 quote with ECDSA certification data.',
  ),
  quote_signature_invalid: check('The quote is not signed by its attestation key.'),
  qe_report_signature_invalid: check("The Quoting Enclave's report is not signed by the PCK key."),
  attestation_key_unbound: check("The Quoting Enclave's report does not bind the attestation key."),
  pck_chain_invalid: check('The PCK certificate chain does not verify.'),
  root_ca_untrusted: check('The chain does not end at the pinned Intel SGX Root CA.'),
  certificate_expired: check('A certificate of the chain is not valid at the time checked.'),
  collateral_invalid: check("Intel's collateral is malformed (TCB info, QE identity or a CRL)."),
  collateral_mismatch: check("The collateral is for another platform or CA than the quote's."),
  collateral_signature_invalid: check(
    "A signature of the collateral (TCB info, QE identity, a CRL) or its chain to Intel's root does not verify.",
  ),
  collateral_expired: check(
    'The collateral, a CRL or one of its certificates is not valid at the time checked.',
  ),
  certificate_revoked: check("Intel's CRLs revoke the PCK certificate or an Intel CA certificate."),
  qe_identity_mismatch: check(
    "The Quoting Enclave is not the one Intel's QE identity describes, or its SVN is below every level.",
  ),
  tcb_level_unmatched: check(
    "No TCB level of Intel's TCB info covers this platform and TDX module.",
  ),
  tcb_out_of_date: check("The platform's TCB status is not one of those accepted (--accept-tcb)."),
  tcb_revoked: check("Intel lists this platform's TCB as revoked."),
  os_image_invalid: check(
    "dstack's OS image measurement document does not hold together (checksum, format, VM config).",
  ),
  os_image_mismatch: check(
    'MRTD or RTMR0–2 recomputed from the OS image measurement are not the quote’s.',
  ),
  os_image_hash_mismatch: check('The proved OS image hash is not one of those pinned.'),
  os_image_unchecked: check(
    'The OS image cannot be confirmed: a pin was given but nothing to prove the image with, or the measurement document is of a kind this verifier cannot check.',
  ),
  td_debuggable: check('The TD runs in debug mode: its memory is open to the host.'),
  report_data_mismatch: check("The quote's report_data does not bind the expected key and nonce."),
  event_log_invalid: check('The event log does not parse, or an event does not match its digest.'),
  rtmr_mismatch: check('The event log does not replay to the RTMRs the quote carries.'),
  compose_hash_mismatch: check('The compose hash in RTMR3 is not the one expected.'),
  build_digest_mismatch: check(
    'The build digest the server reports is not the one built locally from the commit (or it reports none).',
  ),
  attestation_unavailable: check(
    'The server attests nothing: it does not run in a TEE (tee is none).',
  ),
  attestation_simulated: check(
    "The server's quote comes from a dstack simulator, not TDX hardware.",
  ),
  receipt_invalid: check('The receipt is malformed, or its signature does not verify.'),
  receipt_key_mismatch: check('The receipt was signed by another key than the one expected.'),
  receipt_result_mismatch: check('The receipt does not match the execution it is attached to.'),
} as const satisfies Record<string, Entry>

type Catalog = typeof ERROR_CATALOG
export type ErrorCode = keyof Catalog
type CodeOfKind<K extends Entry['kind']> = {
  [C in ErrorCode]: Catalog[C]['kind'] extends K ? C : never
}[ErrorCode]
export type ApiErrorCode = CodeOfKind<'api'>
export type ExecutionFailureCode = CodeOfKind<'execution'>
export type CallFailureCode = CodeOfKind<'call'>
export type CheckCode = CodeOfKind<'check'>

export interface ErrorBody {
  error: string
  code: ApiErrorCode
  details?: Record<string, unknown>
  /** This request's id (also the X-Request-Id header): what a user quotes to the operator. */
  request_id?: string
}

/** A failure as it crosses the guest boundary or is stored: data, never text to parse. */
export interface Failure {
  code: ExecutionFailureCode | CallFailureCode
  /** The text the agent reads (already in its wire form). */
  message: string
  /** For upstream_status: the upstream's HTTP status. */
  status?: number
}

export type CallFailure = Failure & { code: CallFailureCode }
export type ExecutionFailure = Failure & { code: ExecutionFailureCode }

export interface FailOptions {
  /** Structured data for programs (API errors). */
  details?: Record<string, unknown>
  /** Seconds, for 429 and 503. */
  retryAfterSeconds?: number
  /** The specific sentence for an execution or call failure (API errors keep their message). */
  detail?: string
  /** For upstream_status. */
  status?: number
}

export class OAuth3Error extends Error {
  readonly code: ErrorCode
  readonly details?: Record<string, unknown>
  readonly retryAfterSeconds?: number
  readonly upstreamStatus?: number

  constructor(code: ErrorCode, options: FailOptions = {}) {
    const entry: Entry = ERROR_CATALOG[code]
    super(entry.kind === 'api' ? entry.message : wireMessage(entry, code, options.detail))
    this.name = 'OAuth3Error'
    this.code = code
    if (options.details) this.details = options.details
    if (options.retryAfterSeconds) this.retryAfterSeconds = options.retryAfterSeconds
    if (options.status !== undefined) this.upstreamStatus = options.status
  }

  /** The HTTP status of an API error. */
  get httpStatus(): number | undefined {
    const entry: Entry = ERROR_CATALOG[this.code]
    return entry.kind === 'api' ? entry.status : undefined
  }
}

/** The one way to raise an error of the catalog. */
export function fail(code: ErrorCode, options: FailOptions = {}): never {
  throw new OAuth3Error(code, options)
}

export function isOAuth3Error(error: unknown): error is OAuth3Error {
  return error instanceof OAuth3Error
}

export function isApiError(error: unknown): error is OAuth3Error & { code: ApiErrorCode } {
  return isOAuth3Error(error) && ERROR_CATALOG[error.code].kind === 'api'
}

/** A capability call's failure as data; anything else (a bug, an API error) becomes `fallback`. */
export function toCallFailure(error: unknown, fallback: CallFailureCode): CallFailure {
  // The call's own checks (the permit in force, its rate limit) could not read the store: the
  // call never left the server, and says so.
  if (isOAuth3Error(error) && error.code === 'STORE_UNAVAILABLE')
    return failure('store_unavailable')
  if (isOAuth3Error(error) && ERROR_CATALOG[error.code].kind === 'call') {
    return {
      code: error.code as CallFailureCode,
      message: error.message,
      ...(error.upstreamStatus !== undefined ? { status: error.upstreamStatus } : {}),
    }
  }
  return failure(fallback)
}

/** A failure built in place: `failure('interrupted', 'the server restarted …')`. */
export function failure<C extends Failure['code']>(
  code: C,
  detail?: string,
): Failure & { code: C } {
  return { code, message: wireMessage(ERROR_CATALOG[code], code, detail) }
}

function wireMessage(entry: Exclude<Entry, ApiEntry>, code: string, detail?: string): string {
  const text = detail ?? entry.message
  return 'prefixed' in entry && entry.prefixed ? `${code}: ${text}` : text
}
