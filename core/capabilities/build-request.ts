/**
 * Turning a capability call into an upstream request, from the approved template only
 * (rules 3, 5, 7): the guest's arguments arrive as parsed JSON (plain data, copied once by the
 * IPC channel), each is checked against its declared type and constraint, path values must be
 * single safe segments and are percent-encoded, and the built URL must keep the template's
 * origin and path shape. Credentials are not attached here.
 */
import { fail } from '../errors'
import { satisfiesConstraint } from './constraints'
import type { NormalizedCapability, NormalizedParam, UpstreamRequest } from './plugin'

const STRING_MAX = 8192
const UNSAFE_SEGMENT = /[/\\%?#\u0000-\u001f\u007f\s]/
const HEADER_VALUE_FORBIDDEN = /[\r\n\0]/

/** A refused argument: the message names the argument, never its value. */
const refuse = (detail: string): never => fail('invalid_argument', { detail })

export function buildUpstreamRequest(
  capability: NormalizedCapability,
  args: unknown[],
  maxBodyBytes: number,
): UpstreamRequest {
  const names = Object.keys(capability.params)
  if (args.length > names.length) refuse(`${capability.function} takes ${names.length} arguments`)
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
    refuse('the built URL does not match the approved endpoint')
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
      for (const item of Array.isArray(value) ? value : [value]) {
        url.searchParams.append(name, String(item))
      }
    } else if (param.in === 'header') {
      const text = String(value)
      if (HEADER_VALUE_FORBIDDEN.test(text)) {
        refuse(`argument ${name} contains a character not allowed in a header`)
      }
      headers[name.replaceAll('_', '-').toLowerCase()] = text
    } else if (param.in === 'body') {
      body[name] = value
      hasBody = true
    }
  }
  const request: UpstreamRequest = { url, method: capability.method, headers }
  if (hasBody) {
    request.body = JSON.stringify(body)
    if (Buffer.byteLength(request.body) > maxBodyBytes) {
      fail('request_too_large', { detail: 'the request body is over the limit' })
    }
    headers['content-type'] = 'application/json'
  }
  return request
}

function checkValue(name: string, param: NormalizedParam, value: unknown) {
  if (value === undefined || value === null) {
    if (param.required) refuse(`argument ${name} is required`)
    return
  }
  if (!hasType(param.type, value)) {
    const article = ['integer', 'object', 'array'].includes(param.type) ? 'an' : 'a'
    refuse(`argument ${name} must be ${article} ${param.type}`)
  }
  if (param.in === 'query' || param.in === 'header') {
    if (param.in === 'header' && Array.isArray(value)) {
      refuse(`argument ${name} must be a single value`)
    }
    const items = Array.isArray(value) ? value : [value]
    if (items.some((item) => item === null || typeof item === 'object')) {
      refuse(`argument ${name} must hold plain values`)
    }
  }
  if (param.constraint && !satisfiesConstraint(param.constraint, value)) {
    refuse(`argument ${name} violates its approved constraint: ${param.constraint.rationale}`)
  }
}

function hasType(type: NormalizedParam['type'], value: unknown): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'string' && value.length <= STRING_MAX
    case 'number':
      return typeof value === 'number' && Number.isFinite(value)
    case 'integer':
      return Number.isSafeInteger(value)
    case 'boolean':
      return typeof value === 'boolean'
    case 'array':
      return Array.isArray(value)
    case 'object':
      return typeof value === 'object' && !Array.isArray(value)
    default:
      return false
  }
}

/** A path value is one segment: no separators, no dot segments, no pre-encoded bytes. */
function encodeSegment(name: string, value: unknown): string {
  const text = String(value)
  if (text === '' || text === '.' || text === '..' || UNSAFE_SEGMENT.test(text)) {
    refuse(`argument ${name} must be a single path segment`)
  }
  return encodeURIComponent(text)
}

function samePathShape(capability: NormalizedCapability, pathname: string): boolean {
  const template = capability.endpoint.slice(capability.origin.length).split('?')[0]
  const expected = template.split('/')
  const actual = pathname.split('/')
  if (expected.length !== actual.length) return false
  return expected.every((segment, index) => {
    if (!segment.includes('{')) {
      return new URL(capability.origin + '/' + segment).pathname.slice(1) === actual[index]
    }
    const shape = segment
      .split(/\{\w+\}/)
      .map((literal) => literal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('[^/]+')
    return new RegExp(`^${shape}$`).test(actual[index])
  })
}
