/**
 * The capability types, each with its JSON Schema and the checks that turn an agent's spec into
 * a NormalizedCapability. New types register here; GET /plugins lists them.
 */
import {
  SCHEMAS,
  assertApiGatewayCapability,
  assertCookieSessionCapability,
  assertTiktokHistoryCapability,
} from '../schemas'
import { fail } from '../errors'
import type { Params } from '../../../schemas/types'
import { assertConstraint } from './constraints'
import { parseEndpointTemplate } from './endpoint'
import { KNOWN_SECRET_ORIGINS } from './known-secrets'
import type {
  CapabilityContext,
  CapabilityType,
  NormalizedCapability,
  NormalizedParam,
} from './spec'

export type { NormalizedCapability, CapabilityType } from './spec'
export { KNOWN_SECRET_ORIGINS } from './known-secrets'

/** Headers an agent's params may never set (SECURITY.md rule 7). */
const FORBIDDEN_HEADERS = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'te',
  'trailer',
  'expect',
  'forwarded',
  'x-forwarded-for',
  'x-forwarded-host',
])
const SECRET_PLACEHOLDER = /\{([^{}]*)\}/g
const TIKTOK_ORIGIN = 'https://www.tiktok.com'

interface CapabilityTypeDefinition {
  description: string
  schema: object
  normalize(spec: unknown, context: CapabilityContext): NormalizedCapability
}

export const CAPABILITY_TYPES: Record<CapabilityType, CapabilityTypeDefinition> = {
  'api-gateway': {
    description:
      'An HTTPS endpoint template called with the owner secret named in auth.value, in that one header.',
    schema: SCHEMAS.apiGateway,
    normalize(raw, context) {
      const spec = assertApiGatewayCapability(raw)
      const secrets = spec.auth ? secretsInAuth(spec.auth.value) : []
      if (spec.auth) assertHeaderName(spec.auth.header, { allowAuthorization: true })
      return buildHttpCapability('api-gateway', spec, context, secrets)
    },
  },
  'cookie-session': {
    description:
      "An HTTPS endpoint called with the owner's uploaded cookies for its domain and the owner's user agent.",
    schema: SCHEMAS.cookieSession,
    normalize(raw, context) {
      const spec = assertCookieSessionCapability(raw)
      for (const header of Object.keys(spec.extra_headers ?? {}))
        assertHeaderName(header, { allowAuthorization: false })
      const capability = buildHttpCapability('cookie-session', spec, context, [spec.cookie_secret])
      assertCookieDomain(spec.cookie_secret, new URL(capability.origin).hostname)
      return {
        ...capability,
        cookie_secret: spec.cookie_secret,
        ...(spec.extra_headers ? { extra_headers: { ...spec.extra_headers } } : {}),
      }
    },
  },
  'tiktok-history': {
    description:
      "The owner's TikTok watch history with uploaded cookies: watchHistory(count, max_cursor) → {videos, has_more, next_cursor}.",
    schema: SCHEMAS.tiktokHistory,
    normalize(raw) {
      const spec = assertTiktokHistoryCapability(raw)
      assertCookieDomain(spec.cookie_secret, 'www.tiktok.com')
      const params: Record<string, NormalizedParam> = {
        count: {
          in: 'query',
          type: 'integer',
          required: false,
          description: 'Videos per page, 1 to 20.',
          constraint: {
            type: 'predicate',
            op: '<=',
            value: 20,
            rationale: 'TikTok pages hold at most 20 videos',
          },
        },
        max_cursor: {
          in: 'query',
          type: 'string',
          required: false,
          description: 'Cursor from the previous page.',
        },
      }
      return {
        type: 'tiktok-history',
        name: spec.name,
        function: lastSegment(spec.name),
        signature: `async function ${lastSegment(spec.name)}(count, max_cursor)`,
        ...(spec.description ? { description: spec.description } : {}),
        ...(spec.doc_url ? { doc_url: spec.doc_url } : {}),
        endpoint: `${TIKTOK_ORIGIN}/api/user/watch/history/`,
        method: 'GET',
        origin: TIKTOK_ORIGIN,
        host: 'www.tiktok.com',
        params,
        response: 'json',
        cookie_secret: spec.cookie_secret,
        secrets: [spec.cookie_secret],
      }
    },
  },
}

/** Validate and normalise a list of capability specs; function names must be unique. */
export function normalizeCapabilities(
  specs: unknown[],
  context: CapabilityContext,
): NormalizedCapability[] {
  const seen = new Set<string>()
  return specs.map((spec, index) => {
    const type = ((spec as { type?: unknown }).type ?? 'api-gateway') as string
    const definition = Object.hasOwn(CAPABILITY_TYPES, type)
      ? CAPABILITY_TYPES[type as CapabilityType]
      : undefined
    if (!definition)
      fail('INVALID_CAPABILITY', {
        details: { index, reason: 'unknown capability type', types: Object.keys(CAPABILITY_TYPES) },
      })
    const capability = withIndex(index, () => definition.normalize(spec, context))
    if (seen.has(capability.function))
      fail('INVALID_CAPABILITY', {
        details: { index, reason: 'two capabilities expose the same function name' },
      })
    seen.add(capability.function)
    assertKnownSecretOrigins(capability, index)
    return capability
  })
}

/**
 * Each secret goes to one origin within a permit. Cookie jars are bound to their site instead
 * (checked per capability when the permit is requested, and again at every call).
 */
export function secretOrigins(capabilities: NormalizedCapability[]): Record<string, string> {
  const origins: Record<string, string> = {}
  capabilities.forEach((capability, index) => {
    for (const secret of capability.secrets) {
      if (secret === capability.cookie_secret) continue
      if (origins[secret] && origins[secret] !== capability.origin) {
        fail('SECRET_ORIGIN_MISMATCH', {
          details: { index, secret, reason: 'one secret may serve one origin only' },
        })
      }
      origins[secret] = capability.origin
    }
  })
  return origins
}

function buildHttpCapability(
  type: CapabilityType,
  spec: {
    name: string
    description?: string
    doc_url?: string
    endpoint: string
    method: NormalizedCapability['method']
    params?: Params
    response?: NormalizedCapability['response']
    auth?: { header: string; value: string }
  },
  context: CapabilityContext,
  secrets: string[],
): NormalizedCapability {
  const params = normalizeParams(spec.params ?? {})
  const pathParams = new Set(Object.keys(params).filter((key) => params[key].in === 'path'))
  const endpoint = parseEndpointTemplate(spec.endpoint, {
    allowHttp: context.allowHttp,
    pathParams,
  })
  const fn = lastSegment(spec.name)
  return {
    type,
    name: spec.name,
    function: fn,
    signature: `async function ${fn}(${Object.keys(params).join(', ')})`,
    ...(spec.description ? { description: spec.description } : {}),
    ...(spec.doc_url ? { doc_url: spec.doc_url } : {}),
    endpoint: endpoint.template,
    method: spec.method,
    origin: endpoint.origin,
    host: endpoint.host,
    params,
    response: spec.response ?? 'json',
    ...(spec.auth ? { auth: { header: spec.auth.header, value: spec.auth.value } } : {}),
    secrets,
  }
}

function normalizeParams(params: Params): Record<string, NormalizedParam> {
  const out: Record<string, NormalizedParam> = {}
  for (const [key, param] of Object.entries(params)) {
    if (param.in === 'header')
      assertHeaderName(key.replaceAll('_', '-'), { allowAuthorization: false })
    if (
      param.in === 'path' &&
      param.type &&
      !['string', 'number', 'integer'].includes(param.type)
    ) {
      fail('INVALID_CAPABILITY', {
        details: { param: key, reason: 'path params are strings or numbers' },
      })
    }
    assertConstraint(param)
    out[key] = {
      in: param.in,
      type: param.type ?? 'string',
      required: param.in === 'path' ? true : (param.required ?? false),
      ...(param.description ? { description: param.description } : {}),
      ...(param.constraint ? { constraint: param.constraint } : {}),
    }
  }
  return out
}

/** auth.value holds only literal text and {SECRET} placeholders; params never flow into it. */
function secretsInAuth(value: string): string[] {
  if (/[\r\n\0]/.test(value))
    fail('INVALID_CAPABILITY', { details: { reason: 'auth.value may not contain CR, LF or NUL' } })
  const names: string[] = []
  for (const [, name] of value.matchAll(SECRET_PLACEHOLDER)) {
    if (!/^[A-Z][A-Z0-9_]{0,63}$/.test(name))
      fail('INVALID_CAPABILITY', {
        details: { reason: 'auth.value placeholders must name secrets in UPPER_SNAKE case' },
      })
    if (!names.includes(name)) names.push(name)
  }
  if (/[{}]/.test(value.replace(SECRET_PLACEHOLDER, '')))
    fail('INVALID_CAPABILITY', { details: { reason: 'unbalanced braces in auth.value' } })
  return names
}

function assertHeaderName(name: string, options: { allowAuthorization: boolean }) {
  const lower = name.toLowerCase()
  if (!/^[a-z0-9-]{1,64}$/.test(lower))
    fail('INVALID_CAPABILITY', { details: { reason: 'a header name is not valid' } })
  if (
    FORBIDDEN_HEADERS.has(lower) &&
    !(options.allowAuthorization && (lower === 'authorization' || lower === 'proxy-authorization'))
  ) {
    fail('INVALID_CAPABILITY', {
      details: { reason: 'this header cannot be set by a capability', header: lower },
    })
  }
}

/** COOKIES_TIKTOK_COM may be sent to tiktok.com and its subdomains only. */
function assertCookieDomain(secret: string, hostname: string) {
  const labels = hostname.split('.')
  for (let i = 0; i < labels.length - 1; i++) {
    if (`COOKIES_${labels.slice(i).join('_').replaceAll('-', '_').toUpperCase()}` === secret) return
  }
  fail('SECRET_ORIGIN_MISMATCH', {
    details: { secret, reason: 'cookies of one domain are sent only to that domain' },
  })
}

function assertKnownSecretOrigins(capability: NormalizedCapability, index: number) {
  for (const secret of capability.secrets) {
    const allowed = KNOWN_SECRET_ORIGINS[secret]
    if (allowed && !allowed.includes(capability.origin)) {
      fail('SECRET_ORIGIN_MISMATCH', { details: { index, secret, allowed_origins: [...allowed] } })
    }
  }
}

function lastSegment(name: string): string {
  return name.split('.').at(-1)!
}

function withIndex<T>(index: number, task: () => T): T {
  try {
    return task()
  } catch (error) {
    const data = (error as { data?: { body?: { details?: Record<string, unknown> } } }).data
    if (data?.body) data.body.details = { index, ...data.body.details }
    throw error
  }
}
