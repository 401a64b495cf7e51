/**
 * The capability gateway: the host side of every capability call. It re-checks that the call
 * belongs to this execution's permit and that the permit is still in force, checks the human's
 * rate limit, builds the request from the approved template, attaches the owner's secret last
 * and only for its own origin, calls upstream with limits, and hands back plain, redacted data.
 * Every call is recorded for the permit's activity feed.
 */
import type { App } from '../app'
import type { NormalizedCapability } from '../capabilities'
import { cookiesFor, type CookieJar } from '../cookies'
import { permitKey, permitStatusOf, type PermitRecord } from '../permits'
import { countAttempt } from '../rate-limit'
import { buildUpstreamRequest } from './build-request'
import { assertWatchHistoryArgs, toWatchHistory } from './tiktok'
import { CapabilityCallError } from './errors'
import type { Redactor } from './redact'
import { unsafeHostFetch } from './upstream-fetch'

export { CapabilityCallError } from './errors'
export { createRedactor, type Redactor } from './redact'

export interface CallRecord {
  capability: string
  method: string
  url: string
  status: number
  duration: number
  error?: string
}

export interface GatewayContext {
  app: App
  permit: PermitRecord
  /** The owner's secret values and bindings for this permit, loaded once per execution. */
  secrets: Map<string, { value: string; origin?: string; cookie_domain?: string }>
  redact: Redactor
  calls: CallRecord[]
}

const ERROR_BODY_MAX = 2000

export async function callCapability(
  ctx: GatewayContext,
  fn: string,
  args: unknown[],
  signal: AbortSignal,
): Promise<unknown> {
  const capability = ctx.permit.capabilities.find((candidate) => candidate.function === fn)
  if (!capability) throw new CapabilityCallError(`${fn} is not a capability of this permit`)
  const started = performance.now()
  const record: CallRecord = {
    capability: capability.name,
    method: capability.method,
    url: capability.host + capability.endpoint.slice(capability.origin.length),
    status: 0,
    duration: 0,
  }
  ctx.calls.push(record)
  try {
    await assertPermitInForce(ctx)
    const { settings } = ctx.app
    if (capability.type === 'tiktok-history') assertWatchHistoryArgs(args)
    const request = buildUpstreamRequest(capability, args, settings.gatewayMaxRequestBytes)
    record.url = request.url.host + request.url.pathname
    if (capability.type === 'api-gateway') attachSecret(ctx, capability, request.headers)
    else
      attachCookies(
        ctx,
        capability,
        request,
        capability.type === 'tiktok-history' ? 'sessionid' : undefined,
      )
    const mapped = settings.upstreamMap[capability.origin]
    const response = await unsafeHostFetch(
      request,
      { origin: mapped ?? capability.origin, mapped: Boolean(mapped) },
      { timeoutMs: settings.gatewayTimeoutMs, maxResponseBytes: settings.gatewayMaxResponseBytes },
      signal,
    )
    record.status = response.status
    const shaped = shapeResponse(ctx, capability, response)
    return capability.type === 'tiktok-history' ? toWatchHistory(shaped) : shaped
  } catch (error) {
    const message = ctx.redact(
      error instanceof CapabilityCallError ? error.message : 'upstream_error: the call failed',
    )
    if (!record.status) record.error = message.split(':')[0]
    throw new CapabilityCallError(message)
  } finally {
    record.duration = Math.round((performance.now() - started) * 10) / 10
  }
}

/** Revocation, expiry and the human's per-minute limit apply to running executions too (AP-12, GW-24). */
async function assertPermitInForce(ctx: GatewayContext) {
  const current = await ctx.app.store.get<PermitRecord>(permitKey(ctx.permit.permit_id))
  if (!current || permitStatusOf(current) !== 'active')
    throw new CapabilityCallError('permit_inactive: the permit is no longer in force')
  if (current.calls_per_minute !== undefined) {
    const { count } = await countAttempt(ctx.app.store, 'permit-calls', current.permit_id, 60_000)
    if (count > current.calls_per_minute)
      throw new CapabilityCallError(
        `rate_limited: at most ${current.calls_per_minute} calls per minute under this permit`,
      )
  }
}

function attachSecret(
  ctx: GatewayContext,
  capability: NormalizedCapability,
  headers: Record<string, string>,
) {
  if (!capability.auth) return
  const value = capability.auth.value.replace(/\{([A-Z][A-Z0-9_]*)\}/g, (_, name: string) => {
    const secret = ctx.secrets.get(name)
    if (!secret)
      throw new CapabilityCallError(`missing_secret: the permit owner has not stored ${name}`)
    if (secret.origin && secret.origin !== capability.origin)
      throw new CapabilityCallError(`secret_origin_mismatch: ${name} is bound to another origin`)
    return secret.value
  })
  // Last, so nothing an argument set can replace or merge with it.
  headers[capability.auth.header.toLowerCase()] = value
}

/** The owner's cookies for this host only, the owner's user agent, the spec's fixed headers (cookie last). */
function attachCookies(
  ctx: GatewayContext,
  capability: NormalizedCapability,
  request: { url: URL; headers: Record<string, string> },
  requiredCookie?: string,
) {
  const name = capability.cookie_secret!
  const secret = ctx.secrets.get(name)
  if (!secret)
    throw new CapabilityCallError(`missing_secret: the permit owner has not uploaded ${name}`)
  const jar = JSON.parse(secret.value) as CookieJar
  const host = request.url.hostname
  if (host !== jar.domain && !host.endsWith(`.${jar.domain}`))
    throw new CapabilityCallError(`secret_origin_mismatch: ${name} holds cookies of another site`)
  for (const [header, value] of Object.entries(capability.extra_headers ?? {}))
    request.headers[header.toLowerCase()] = value
  if (jar.user_agent) request.headers['user-agent'] = jar.user_agent
  const cookies = cookiesFor(jar, request.url)
  if (requiredCookie && !cookies.some((cookie) => cookie.name === requiredCookie)) {
    throw new CapabilityCallError(
      `missing_cookie: ${name} has no ${requiredCookie} cookie; upload the cookies of a logged-in session`,
    )
  }
  if (cookies.length)
    request.headers.cookie = cookies.map((cookie) => `${cookie.name}=${cookie.value}`).join('; ')
}

function shapeResponse(
  ctx: GatewayContext,
  capability: NormalizedCapability,
  response: { status: number; headers: Record<string, unknown>; body: Buffer },
) {
  if (response.status >= 300 && response.status < 400) {
    // Redirects are data, never followed: the secret goes nowhere else.
    return {
      status: response.status,
      location: ctx.redact(String(response.headers.location ?? '')),
    }
  }
  if (response.status < 200 || response.status >= 300) {
    const text = ctx.redact(response.body.toString('utf8'))
    throw new CapabilityCallError(
      `HTTP ${response.status}: ${text.length > ERROR_BODY_MAX ? text.slice(0, ERROR_BODY_MAX) + '…' : text}`,
    )
  }
  if (capability.response === 'binary') return ctx.redact(response.body.toString('base64'))
  const text = ctx.redact(response.body.toString('utf8'))
  if (capability.response === 'text') return text
  if (text.trim() === '') return null
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}
