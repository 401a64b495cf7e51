/**
 * `api-gateway`: an HTTPS endpoint template called with the owner's secrets, which appear only as
 * `{NAME}` placeholders in the one header `auth` names and go only to the endpoint's origin.
 */
import apiGatewaySchema from '../../../schemas/capability-api-gateway.schema.json'
import { fail } from '../../errors'
import { defineAssert } from '../../schemas'
import { fillPlaceholders, isSecretName, placeholdersIn } from '../../secret-names'
import { buildUpstreamRequest } from '../build-request'
import { assertHeaderName, normalizeHttpSpec } from '../http-spec'
import type { ApiGatewayCapability } from '../../../schemas/types'
import { defineCapabilityPlugin, type Credentials, type NormalizedCapability } from '../plugin'

const assertSpec = defineAssert<ApiGatewayCapability>(apiGatewaySchema, 'INVALID_CAPABILITY')

export default defineCapabilityPlugin({
  type: 'api-gateway',
  description:
    'An HTTPS endpoint template called with the owner secret named in auth.value, in that one header.',
  schema: apiGatewaySchema,

  normalize(raw, context) {
    const spec = assertSpec(raw)
    const secrets = spec.auth ? secretsInAuth(spec.auth.value) : []
    if (spec.auth) assertHeaderName(spec.auth.header, { allowAuthorization: true })
    return normalizeHttpSpec('api-gateway', spec, context, secrets)
  },

  prepareRequest: (capability, args, limits) =>
    buildUpstreamRequest(capability, args, limits.maxBodyBytes),

  attachCredentials(request, capability, credentials) {
    if (!capability.auth) return
    // Last, so nothing an argument set can replace or merge with it.
    request.headers[capability.auth.header.toLowerCase()] = authValue(capability, credentials)
  },

  // The whole header too: `token X`, and Basic credentials once base64-encoded upstream.
  derivedSecrets: (capability, credentials) =>
    capability.auth
      ? [fillPlaceholders(capability.auth.value, (name) => credentials.get(name)?.value ?? '')]
      : [],
})

/** auth.value holds only literal text and {SECRET} placeholders; params never flow into it. */
function secretsInAuth(value: string): string[] {
  const reject = (reason: string): never => fail('INVALID_CAPABILITY', { details: { reason } })
  if (/[\r\n\0]/.test(value)) reject('auth.value may not contain CR, LF or NUL')
  const { names, rest } = placeholdersIn(value)
  if (!names.every(isSecretName))
    reject('auth.value placeholders must name secrets in UPPER_SNAKE case')
  if (/[{}]/.test(rest)) reject('unbalanced braces in auth.value')
  return [...new Set(names)]
}

/** The header value with the owner's secrets filled in, each checked against its origin. */
function authValue(capability: NormalizedCapability, credentials: Credentials): string {
  return fillPlaceholders(capability.auth!.value, (name) => {
    const secret = credentials.get(name)
    if (!secret) fail('missing_secret', { detail: `the permit owner has not stored ${name}` })
    if (secret.origin && secret.origin !== capability.origin) {
      fail('secret_origin_mismatch', { detail: `${name} is bound to another origin` })
    }
    return secret.value
  })
}
