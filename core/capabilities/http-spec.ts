/**
 * What the HTTP capability types share at permit time: params (positional arguments, each placed
 * in the path, query, body or a header) and an endpoint template checked by the endpoint rules.
 */
import { fail } from '../errors'
import type { Params } from '../../schemas/types'
import { assertConstraint } from './constraints'
import { parseEndpointTemplate } from './endpoint'
import type { NormalizedCapability, NormalizedParam, SpecContext } from './plugin'

/** Headers a capability's params or fixed headers may never set (rule 7). */
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

export interface HttpSpec {
  name: string
  description?: string
  doc_url?: string
  endpoint: string
  method: NormalizedCapability['method']
  params?: Params
  response?: NormalizedCapability['response']
  auth?: { header: string; value: string }
}

export function normalizeHttpSpec(
  type: string,
  spec: HttpSpec,
  context: SpecContext,
  secrets: string[],
): NormalizedCapability {
  const params = normalizeParams(spec.params ?? {})
  const pathParams = new Set(Object.keys(params).filter((key) => params[key].in === 'path'))
  const endpoint = parseEndpointTemplate(spec.endpoint, {
    allowHttp: context.allowHttp,
    pathParams,
  })
  const fn = functionNameOf(spec.name)
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
    if (param.in === 'header') {
      assertHeaderName(key.replaceAll('_', '-'), { allowAuthorization: false })
    }
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

export function assertHeaderName(name: string, options: { allowAuthorization: boolean }) {
  const lower = name.toLowerCase()
  if (!/^[a-z0-9-]{1,64}$/.test(lower)) {
    fail('INVALID_CAPABILITY', { details: { reason: 'a header name is not valid' } })
  }
  const isAuthorization = lower === 'authorization' || lower === 'proxy-authorization'
  if (FORBIDDEN_HEADERS.has(lower) && !(options.allowAuthorization && isAuthorization)) {
    fail('INVALID_CAPABILITY', {
      details: { reason: 'this header cannot be set by a capability', header: lower },
    })
  }
}

/** `github.createIssue` → `createIssue`: the name the sandbox exposes. */
export function functionNameOf(name: string): string {
  return name.split('.').at(-1)!
}
