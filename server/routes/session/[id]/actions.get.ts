import { defineEventHandler, getRouterParam } from 'h3'
import { listActions, readPermitForActivity } from '../../../utils/activity'
import { useApp } from '../../../utils/app'
import { readTenant } from '../../../utils/auth'
import { LIMITS } from '../../../utils/limits'
import { readQueryInteger, readQueryString } from '../../../utils/query'

export default defineEventHandler(async (event) => {
  const app = await useApp()
  const permit = await readPermitForActivity(app, getRouterParam(event, 'id') ?? '', await readTenant(event, app), readQueryString(event, 'token'))
  const cursor = readQueryString(event, 'cursor', 64)
  const limit = readQueryInteger(event, 'limit', 1, LIMITS.PAGE_SIZE_MAX)
  return listActions(app, permit, { ...(cursor ? { cursor } : {}), ...(limit ? { limit } : {}) })
})
