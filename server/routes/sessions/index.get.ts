import { defineEventHandler } from 'h3'
import { useApp } from '../../utils/app'
import { requireTenant } from '../../utils/auth'
import { LIMITS } from '../../utils/limits'
import { readQueryInteger, readQueryString } from '../../utils/query'
import { listPermits } from '../../utils/sessions'

export default defineEventHandler(async (event) => {
  const app = await useApp()
  const tenant = await requireTenant(event, app)
  const cursor = readQueryString(event, 'cursor', 64)
  const limit = readQueryInteger(event, 'limit', 1, LIMITS.PAGE_SIZE_MAX)
  return listPermits(app, tenant, { ...(cursor ? { cursor } : {}), ...(limit ? { limit } : {}) })
})
