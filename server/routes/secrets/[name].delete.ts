import { defineEventHandler, getRouterParam } from 'h3'
import { useApp } from '../../utils/app'
import { requireTenant } from '../../utils/auth'
import { deleteSecret } from '../../utils/secrets'

export default defineEventHandler(async (event) => {
  const app = await useApp()
  const owner = await requireTenant(event, app, 'owner')
  return deleteSecret(app, owner.tenant_id, getRouterParam(event, 'name', { decode: true }) ?? '')
})
