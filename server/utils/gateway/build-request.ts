/**
 * Turning a capability call into an upstream request, from the approved template only
 * (SECURITY.md rules 3, 5, 7): the guest's arguments arrive as parsed JSON (plain data, copied
 * once by the IPC channel), each is checked against its declared type and constraint, path
 * values must be single safe segments and are percent-encoded, and the built URL must keep the
 * template's origin and path shape. The secret is not attached here.
 */
import { RE2JS } from 're2js'
import type { NormalizedCapability, NormalizedParam } from '../capabilities/spec'
import { compileAnchored } from '../capabilities/constraints'
import { CapabilityCallError } from './errors'

export interface UpstreamRequest {
  url: URL
  method: string
  headers: Record<string, string>
  body?: string
}

const STRING_MAX = 8192
const UNSAFE_SEGMENT = /[/\\%?#\u0000-\u001f\u007f\s]/
const HEADER_VALUE_FORBIDDEN = /[\r\n\0]/
const patterns = new Map<string, RE2JS>()

export function buildUpstreamRequest(
  capability: NormalizedCapability,
  args: unknown[],
  maxBodyBytes: number,
): UpstreamRequest {
  const names = Object.keys(capability.params)
  if (args.length > names.length)
    throw new CapabilityCallError(`${capability.function} takes ${names.length} arguments`)
  const values: Record<string, unknown> = {}
  names.forEach((name, index) => {
    const value = args[index] ?? undefined
    checkValue(name, capability.params[name], value)
    if (value !== undefined && value !== null) values[name] = value
  })

  const path = capability.endpoint
    .slice(capability.origin.length)
    .replace(/\{(\w+)\}/g, (_, name: string) => encodeSegment(name, values[name]))
  const url = new URL(capability.origin + path)
  if (url.origin !== capability.origin || !samePathShape(capability, url.pathname)) {
    throw new CapabilityCallError('the built URL does not match the approved endpoint')
  }

  const headers: Record<string, string> = {
    accept: capability.response === 'json' ? 'application/json' : '*/*',
    'user-agent': 'oauth3-gateway',
  }
  const body: Record<string, unknown> = {}
  let hasBody = false
  for (const [name, param] of Object.entries(capability.params)) {
    if (!(name in values)) continue
    const value = values[name]
    if (param.in === 'query') {
      for (const item of Array.isArray(value) ? value : [value])
        url.searchParams.append(name, String(item))
    } else if (param.in === 'header') {
      const text = String(value)
      if (HEADER_VALUE_FORBIDDEN.test(text))
        throw new CapabilityCallError(
          `argument ${name} contains a character not allowed in a header`,
        )
      headers[name.replaceAll('_', '-').toLowerCase()] = text
    } else if (param.in === 'body') {
      body[name] = value
      hasBody = true
    }
  }
  const request: UpstreamRequest = { url, method: capability.method, headers }
  if (hasBody) {
    request.body = JSON.stringify(body)
    if (Buffer.byteLength(request.body) > maxBodyBytes)
      throw new CapabilityCallError('request_too_large: the request body is over the limit')
    headers['content-type'] = 'application/json'
  }
  return request
}

function checkValue(name: string, param: NormalizedParam, value: unknown) {
  if (value === undefined || value === null) {
    if (param.required) throw new CapabilityCallError(`argument ${name} is required`)
    return
  }
  const ok =
    param.type === 'string'
      ? typeof value === 'string' && value.length <= STRING_MAX
      : param.type === 'number'
        ? typeof value === 'number' && Number.isFinite(value)
        : param.type === 'integer'
          ? Number.isSafeInteger(value)
          : param.type === 'boolean'
            ? typeof value === 'boolean'
            : param.type === 'array'
              ? Array.isArray(value)
              : param.type === 'object'
                ? typeof value === 'object' && !Array.isArray(value)
                : false
  if (!ok)
    throw new CapabilityCallError(
      `argument ${name} must be a${param.type === 'integer' || param.type === 'object' || param.type === 'array' ? 'n' : ''} ${param.type}`,
    )
  if (param.in === 'query' || param.in === 'header') {
    const items = Array.isArray(value) ? value : [value]
    if (param.in === 'header' && Array.isArray(value))
      throw new CapabilityCallError(`argument ${name} must be a single value`)
    if (items.some((item) => item === null || typeof item === 'object'))
      throw new CapabilityCallError(`argument ${name} must hold plain values`)
  }
  if (param.constraint && !satisfies(param.constraint, value)) {
    throw new CapabilityCallError(
      `argument ${name} violates its approved constraint: ${param.constraint.rationale}`,
    )
  }
}

function satisfies(
  constraint: NonNullable<NormalizedParam['constraint']>,
  value: unknown,
): boolean {
  switch (constraint.type) {
    case 'regex': {
      let pattern = patterns.get(constraint.pattern)
      if (!pattern)
        patterns.set(constraint.pattern, (pattern = compileAnchored(constraint.pattern)))
      return (
        (typeof value === 'string' || typeof value === 'number') && pattern.matches(String(value))
      )
    }
    case 'enum':
      return (constraint.values as unknown[]).includes(value)
    case 'predicate':
      return predicate(constraint.op, value, constraint.value)
    default:
      // natural_language rules are shown to the approver, not machine-enforced.
      return true
  }
}

function predicate(op: string, value: unknown, expected: unknown): boolean {
  if (op === 'in') return Array.isArray(expected) && expected.includes(value as never)
  if (op === '==') return value === expected
  if (op === '!=') return value !== expected
  if (op === 'prefix')
    return typeof value === 'string' && typeof expected === 'string' && value.startsWith(expected)
  if (op === 'suffix')
    return typeof value === 'string' && typeof expected === 'string' && value.endsWith(expected)
  if (typeof value !== 'number' || typeof expected !== 'number') return false
  return op === '>='
    ? value >= expected
    : op === '<='
      ? value <= expected
      : op === '>'
        ? value > expected
        : value < expected
}

/** A path value is one segment: no separators, no dot segments, no pre-encoded bytes. */
function encodeSegment(name: string, value: unknown): string {
  const text = String(value)
  if (text === '' || text === '.' || text === '..' || UNSAFE_SEGMENT.test(text)) {
    throw new CapabilityCallError(`argument ${name} must be a single path segment`)
  }
  return encodeURIComponent(text)
}

function samePathShape(capability: NormalizedCapability, pathname: string): boolean {
  const template = capability.endpoint.slice(capability.origin.length).split('?')[0]
  const expected = template.split('/')
  const actual = pathname.split('/')
  if (expected.length !== actual.length) return false
  return expected.every((segment, index) => {
    if (!segment.includes('{'))
      return new URL(capability.origin + '/' + segment).pathname.slice(1) === actual[index]
    const shape = segment
      .split(/\{\w+\}/)
      .map((literal) => literal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('[^/]+')
    return new RegExp(`^${shape}$`).test(actual[index])
  })
}
