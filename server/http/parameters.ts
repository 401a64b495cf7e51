/**
 * The query parameters and request headers routes read, named once: a route lists the ones it
 * takes (RouteMeta.query, .headers) and OpenAPI describes them from here.
 */
import { LIMITS } from '../../core/limits'

interface Parameter {
  description: string
  schema: Record<string, unknown>
}

export const QUERY_PARAMETERS = {
  pairing: {
    description: "A browser extension's pairing (pair_…), from the connect_url it was answered.",
    schema: { type: 'string', pattern: '^pair_[a-f0-9]{24}$' },
  },
  token: {
    description:
      "The link's own token: a status link's (status_url) or an approval link's (approval_url).",
    schema: { type: 'string', maxLength: 200 },
  },
  wait: {
    description: 'Answer once the state is terminal (or at the timeout), instead of at once.',
    schema: { type: 'string', enum: ['', 'true', '1', 'false', '0'] },
  },
  timeout: {
    description: `With wait: the longest wait, in milliseconds (at least ${LIMITS.LONG_POLL_MIN_MS}).`,
    schema: { type: 'integer', minimum: LIMITS.LONG_POLL_MIN_MS },
  },
  limit: {
    description: `Items per page (1–${LIMITS.PAGE_SIZE_MAX}, ${LIMITS.PAGE_SIZE_DEFAULT} by default).`,
    schema: { type: 'integer', minimum: 1, maximum: LIMITS.PAGE_SIZE_MAX },
  },
  cursor: {
    description: 'The next_cursor of the previous page.',
    schema: { type: 'string', maxLength: 64 },
  },
  nonce: {
    description: 'Your fresh random nonce, hex, at most 32 bytes: report_data binds it.',
    schema: { type: 'string', pattern: '^([0-9a-fA-F]{2}){0,32}$' },
  },
} satisfies Record<string, Parameter>

export const REQUEST_HEADERS = {
  Prefer: {
    description:
      '`wait=N` (RFC 7240): answer 200 with the terminal status body if the execution ends within N seconds (Preference-Applied says so); otherwise 202 as without it.',
    schema: { type: 'string', examples: ['wait=30'] },
  },
  'Idempotency-Key': {
    description:
      'A retry with the same key (and the same body) answers the first execution instead of starting another.',
    schema: { type: 'string', maxLength: LIMITS.IDEMPOTENCY_KEY_MAX_CHARS },
  },
  'Last-Event-ID': {
    description:
      'The `id` of the last event a reconnecting client received (`<stdout chars>.<stderr chars>.<calls>`): only what follows it is sent.',
    schema: { type: 'string', pattern: '^\\d+\\.\\d+\\.\\d+$', examples: ['12.0.1'] },
  },
} satisfies Record<string, Parameter>

export type QueryName = keyof typeof QUERY_PARAMETERS
export type HeaderName = keyof typeof REQUEST_HEADERS
