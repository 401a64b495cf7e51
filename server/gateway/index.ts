/**
 * The capability gateway: the host side of every capability call. It re-checks that the call
 * belongs to this execution's permit and that the permit is still in force, checks the human's
 * rate limit, lets the capability's plugin build the request from the approved template and
 * attach the owner's credentials last, calls upstream with limits, and hands back plain,
 * redacted data — or a failure as data. Every call is recorded for the permit's activity feed.
 */
import { failure, toCallFailure, type CallFailure } from '../../core/errors'
import { pluginFor } from '../../core/capabilities/registry'
import { readPermitInForce } from '../permits/access'
import { decodeAnswer } from './answer'
import { takeCallSlot } from './call-rate'
import type { CallRecord, GatewayContext } from './context'
import { unsafeHostFetch } from './upstream-fetch'
import { capabilityCalls, upstreamSeconds } from '../telemetry/metrics'

export { openGatewayContext, type CallRecord, type GatewayContext } from './context'

export type CallReply = { ok: true; value: unknown } | { ok: false; error: CallFailure }

/** One capability call; never throws: a failure is answered as data for the guest. */
export async function callCapability(
  ctx: GatewayContext,
  fn: string,
  args: unknown[],
  signal: AbortSignal,
): Promise<CallReply> {
  const capability = ctx.permit.capabilities.find((candidate) => candidate.function === fn)
  if (!capability) {
    const error = failure('unknown_capability', `${fn} is not a capability of this permit`)
    return { ok: false, error }
  }
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
    await assertCallAllowed(ctx)
    const { settings } = ctx.app
    const plugin = pluginFor(capability)
    const limits = { maxBodyBytes: settings.gatewayMaxRequestBytes }
    const request = plugin.prepareRequest(capability, args, limits)
    record.url = request.url.host + request.url.pathname
    plugin.attachCredentials(request, capability, ctx.credentials)
    const mapped = settings.upstreamMap[capability.origin]
    const response = await unsafeHostFetch(
      request,
      { origin: mapped ?? capability.origin, mapped: Boolean(mapped) },
      { timeoutMs: settings.gatewayTimeoutMs, maxResponseBytes: settings.gatewayMaxResponseBytes },
      signal,
    )
    record.status = response.status
    const answer = decodeAnswer(capability, response, ctx.redact)
    return { ok: true, value: plugin.shapeAnswer ? plugin.shapeAnswer(answer) : answer }
  } catch (error) {
    const cause = toCallFailure(error, 'upstream_error')
    if (!record.status) record.error = cause.code
    return { ok: false, error: { ...cause, message: ctx.redact.text(cause.message) } }
  } finally {
    const ms = performance.now() - started
    record.duration = Math.round(ms * 10) / 10
    capabilityCalls.inc([record.status ? String(record.status) : (record.error ?? 'error')])
    if (record.status) upstreamSeconds.observe(ms / 1000)
  }
}

/** Revocation, expiry and the human's per-minute limit apply to running executions too (AP-12, GW-24). */
async function assertCallAllowed(ctx: GatewayContext) {
  const current = await readPermitInForce(ctx.app, ctx.permit.permit_id)
  if (current.calls_per_minute === undefined) return
  await takeCallSlot(ctx.app.store, current.permit_id, current.calls_per_minute)
}
