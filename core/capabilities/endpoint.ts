/**
 * Endpoint templates, checked when a permit is requested (rules 5 and 6): https only
 * (http only when the operator allows it for development), a public DNS host name — never an IP
 * literal, a single-label name or a local suffix — no userinfo, query or fragment, and {param}
 * placeholders only in the path, each a declared path param. Hosts are kept in punycode.
 */
import { isIP } from 'node:net'
import { fail } from '../errors'
import { isSecretName } from '../secret-names'

export interface EndpointTemplate {
  /** Normalised template text (punycode host, placeholders kept). */
  template: string
  origin: string
  host: string
  /** Path placeholders in order of appearance. */
  placeholders: string[]
}

const SHAPE = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)(\/[^?#]*)?([?#].*)?$/i
const PLACEHOLDER = /\{([^{}]*)\}/g
const PLACEHOLDER_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/
const LOCAL_SUFFIXES = [
  'localhost',
  'local',
  'localdomain',
  'internal',
  'intranet',
  'lan',
  'home',
  'corp',
  'private',
  'home.arpa',
  'test',
  'invalid',
  'example',
  'onion',
  'in-addr.arpa',
  'ip6.arpa',
]

export function parseEndpointTemplate(
  endpoint: string,
  options: { allowHttp: boolean; pathParams: Set<string> },
): EndpointTemplate {
  const reject = (reason: string): never => fail('UNSAFE_ENDPOINT', { details: { reason } })
  const match = SHAPE.exec(endpoint)
  if (!match) return reject('not an absolute URL')
  const [, scheme, authority, rawPath = '/', rest] = match
  const protocol = scheme.toLowerCase()
  if (protocol !== 'https' && !(protocol === 'http' && options.allowHttp))
    reject('only https endpoints are allowed')
  if (rest) reject('query strings and fragments are not allowed in an endpoint; use query params')
  if (authority.includes('{') || authority.includes('}'))
    reject('placeholders are allowed only in the path')
  if (authority.includes('@')) reject('user info is not allowed in an endpoint')
  if (/[\\\s%]/.test(authority)) reject('the host contains characters that are not allowed')
  if (!/^[\x21-\x7e]*$/.test(rawPath) || /%2e|%2f|%5c/i.test(rawPath))
    reject('the path contains characters that are not allowed')
  if (rawPath.split('/').some((segment) => segment === '.' || segment === '..'))
    reject('dot segments are not allowed in the path')

  const placeholders: string[] = []
  for (const [, name] of rawPath.matchAll(PLACEHOLDER)) {
    if (isSecretName(name) && !options.pathParams.has(name)) fail('SECRET_IN_URL')
    if (!PLACEHOLDER_NAME.test(name)) reject('a placeholder name is not valid')
    if (!options.pathParams.has(name)) reject('every placeholder must be a param with in: path')
    if (placeholders.includes(name)) reject('a placeholder appears twice')
    placeholders.push(name)
  }
  if (/[{}]/.test(rawPath.replace(PLACEHOLDER, ''))) reject('unbalanced braces in the path')
  for (const name of options.pathParams)
    if (!placeholders.includes(name)) reject('a path param has no placeholder in the endpoint')

  let url: URL
  try {
    url = new URL(`${protocol}://${authority}${rawPath.replace(PLACEHOLDER, 'x')}`)
  } catch {
    return reject('not a valid URL')
  }
  assertPublicHostName(url.hostname, reject)
  return {
    template: `${url.origin}${rawPath}`,
    origin: url.origin,
    host: url.host,
    placeholders,
  }
}

/** A host an endpoint may name: a DNS name with a public-looking suffix, never an address. */
function assertPublicHostName(hostname: string, reject: (reason: string) => never): void {
  const bare = hostname
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '')
    .toLowerCase()
  if (isIP(bare) || /^[0-9.]+$/.test(bare) || /^0x/i.test(bare))
    reject('IP addresses are not allowed; name the host')
  if (!bare.includes('.')) reject('single-label host names are not allowed')
  if (LOCAL_SUFFIXES.some((suffix) => bare === suffix || bare.endsWith(`.${suffix}`)))
    reject('local host names are not allowed')
  if (!/^[a-z0-9.-]+$/.test(bare) || bare.split('.').some((label) => !label || label.length > 63))
    reject('the host name is not valid')
  if (/^[0-9]+$/.test(bare.split('.').at(-1)!)) reject('the top-level domain is not valid')
}
