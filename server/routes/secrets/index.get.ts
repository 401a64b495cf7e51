import { defineEventHandler } from 'h3'
import { useApp } from '../../utils/app'
import { requireTenant } from '../../utils/auth'
import { listSecretNames } from '../../utils/secrets'

export default defineEventHandler(async (event) => {
  const app = await useApp()
  const owner = await requireTenant(event, app, 'owner')
  return { secrets: await listSecretNames(app, owner.tenant_id) }
})
