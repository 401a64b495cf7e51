import { defineEventHandler, getRouterParam } from 'h3'
import { useApp } from '../../../utils/app'
import { requireTenant } from '../../../utils/auth'
import { LIMITS } from '../../../utils/limits'
import { readQueryFlag, readQueryInteger } from '../../../utils/query'
import { readStatus, waitForStatus } from '../../../utils/status'

export default defineEventHandler(async (event) => {
  const app = await useApp()
  const tenant = await requireTenant(event, app)
  const id = getRouterParam(event, 'id') ?? ''
  const wait = readQueryFlag(event, 'wait')
  const timeoutMs =
    readQueryInteger(event, 'timeout', LIMITS.LONG_POLL_MIN_MS, Number.MAX_SAFE_INTEGER) ??
    LIMITS.LONG_POLL_MAX_MS
  if (!wait) return (await readStatus(app, tenant, id)).body
  // The client may have left while auth was being checked: 'close' then fired already.
  const gone = new AbortController()
  event.node.res.once('close', () => gone.abort())
  if (event.node.res.closed || event.node.req.socket?.destroyed) gone.abort()
  return waitForStatus(app, tenant, id, {
    timeoutMs: Math.min(timeoutMs, LIMITS.LONG_POLL_MAX_MS),
    signal: gone.signal,
  })
})
