import { defineEventHandler } from 'h3'
import { useApp } from '../../utils/app'
import { requireTenant } from '../../utils/auth'
import { readJsonBody } from '../../utils/body'
import { uploadCookies } from '../../utils/cookies'
import { assertCookiesUploadRequest } from '../../utils/schemas'

export default defineEventHandler(async (event) => {
  const app = await useApp()
  const owner = await requireTenant(event, app, 'owner')
  return uploadCookies(app, owner.tenant_id, await readJsonBody(event, assertCookiesUploadRequest))
})
