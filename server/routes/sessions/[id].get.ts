import { defineEventHandler, getRouterParam } from 'h3'
import { useApp } from '../../utils/app'
import { requireTenant } from '../../utils/auth'
import { describePermit, readVisiblePermit } from '../../utils/sessions'

export default defineEventHandler(async (event) => {
  const app = await useApp()
  const tenant = await requireTenant(event, app)
  return describePermit(await readVisiblePermit(app, tenant, getRouterParam(event, 'id') ?? ''))
})
