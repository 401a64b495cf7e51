import { defineEventHandler, getRouterParam } from 'h3'
import { useApp } from '../../utils/app'
import { requireTenant } from '../../utils/auth'
import { revokePermit } from '../../utils/sessions'

export default defineEventHandler(async (event) => {
  const app = await useApp()
  const tenant = await requireTenant(event, app)
  return revokePermit(app, tenant, getRouterParam(event, 'id') ?? '')
})
