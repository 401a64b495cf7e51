import { defineEventHandler } from 'h3'
import { useApp } from '../../utils/app'
import { requireTenant } from '../../utils/auth'
import { readJsonBody } from '../../utils/body'
import { assertSecretPutRequest } from '../../utils/schemas'
import { putSecret } from '../../utils/secrets'

export default defineEventHandler(async (event) => {
  const app = await useApp()
  const owner = await requireTenant(event, app, 'owner')
  return putSecret(app, owner.tenant_id, await readJsonBody(event, assertSecretPutRequest))
})
