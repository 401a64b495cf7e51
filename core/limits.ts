/**
 * Named limits with units, in one place (operator settings, with their bounds, are in
 * server/settings/table.ts). Requested values are clamped between MIN and MAX;
 * everything a caller controls has a cap here.
 */
export const LIMITS = {
  /** Largest JSON request body accepted before parsing. */
  BODY_MAX_BYTES: 256 * 1024,
  /** Deepest nesting of arrays/objects in any JSON body. */
  JSON_MAX_DEPTH: 32,
  /** Capabilities in one permit request. */
  CAPABILITIES_MAX: 32,
  /** Params in one capability. */
  PARAMS_MAX: 32,
  /** Permit description, shown to the approver. */
  DESCRIPTION_MAX_CHARS: 2000,
  /** Stored secret value (GW-11). */
  SECRET_VALUE_MAX_BYTES: 8 * 1024,
  /** Secrets one owner may hold. */
  SECRETS_PER_OWNER_MAX: 200,
  /** Requested permit lifetime. */
  PERMIT_TTL_MIN_S: 60,
  PERMIT_TTL_DEFAULT_S: 24 * 3600,
  PERMIT_TTL_MAX_S: 365 * 24 * 3600,
  /** Requested executions per permit. */
  MAX_EXECUTIONS_MIN: 1,
  MAX_EXECUTIONS_DEFAULT: 1000,
  MAX_EXECUTIONS_MAX: 1_000_000,
  /** Long-poll: the longest a status request blocks, and the per-tenant number held open. */
  LONG_POLL_MAX_MS: 120_000,
  LONG_POLL_MIN_MS: 0,
  LONG_POLLS_PER_TENANT_MAX: 100,
  /** Skill versions one tenant may publish per hour (rule 21). */
  SKILL_PUBLISHES_PER_HOUR: 20,
  /** Failed approval-token attempts per permit request per window before 429 (AP-06). */
  APPROVAL_FAILURES_MAX: 10,
  APPROVAL_FAILURE_WINDOW_MS: 10 * 60_000,
  /** Execution code, and the nesting of brackets in it (checked before parsing, IN-04). */
  CODE_MAX_CHARS: 100_000,
  CODE_MAX_NESTING: 200,
  /** Idempotency keys. */
  IDEMPOTENCY_KEY_MAX_CHARS: 200,
  IDEMPOTENCY_TTL_MS: 24 * 3600_000,
  /** Page size of list endpoints. */
  PAGE_SIZE_DEFAULT: 50,
  PAGE_SIZE_MAX: 200,
} as const

export function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value))
}
