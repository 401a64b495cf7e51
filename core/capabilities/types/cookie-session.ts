/**
 * `cookie-session`: an HTTPS endpoint called with the owner's uploaded cookies for its site (the
 * secret COOKIES_<DOMAIN>, sent to that domain and its subdomains only) and the owner's user agent.
 */
import cookieSessionSchema from '../../../schemas/capability-cookie-session.schema.json'
import { fail } from '../../errors'
import { defineAssert } from '../../schemas'
import { isCookieSecretFor } from '../../secret-names'
import { buildUpstreamRequest } from '../build-request'
import { attachCookieJar } from '../cookie-jar'
import { assertHeaderName, normalizeHttpSpec } from '../http-spec'
import type { CookieSessionCapability } from '../../../schemas/types'
import { defineCapabilityPlugin } from '../plugin'

const assertSpec = defineAssert<CookieSessionCapability>(cookieSessionSchema, 'INVALID_CAPABILITY')

export default defineCapabilityPlugin({
  type: 'cookie-session',
  description:
    "An HTTPS endpoint called with the owner's uploaded cookies for its domain and the owner's user agent.",
  schema: cookieSessionSchema,

  normalize(raw, context) {
    const spec = assertSpec(raw)
    for (const header of Object.keys(spec.extra_headers ?? {})) {
      assertHeaderName(header, { allowAuthorization: false })
    }
    const capability = normalizeHttpSpec('cookie-session', spec, context, [spec.cookie_secret])
    if (!isCookieSecretFor(spec.cookie_secret, new URL(capability.origin).hostname)) {
      fail('SECRET_ORIGIN_MISMATCH', {
        details: {
          secret: spec.cookie_secret,
          reason: 'cookies of one domain are sent only to that domain',
        },
      })
    }
    return {
      ...capability,
      cookie_secret: spec.cookie_secret,
      ...(spec.extra_headers ? { extra_headers: { ...spec.extra_headers } } : {}),
    }
  },

  prepareRequest: (capability, args, limits) =>
    buildUpstreamRequest(capability, args, limits.maxBodyBytes),

  attachCredentials: (request, capability, credentials) =>
    attachCookieJar(request, capability, credentials),
})
