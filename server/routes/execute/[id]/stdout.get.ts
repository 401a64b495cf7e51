import { defineEventHandler, getRouterParam, setResponseHeader } from 'h3'
import { useApp } from '../../../utils/app'
import { requireTenant } from '../../../utils/auth'
import { fail } from '../../../utils/errors'
import { readVisibleExecution } from '../../../utils/status'

export default defineEventHandler(async (event) => {
  const app = await useApp()
  const tenant = await requireTenant(event, app)
  const record = await readVisibleExecution(app, tenant, getRouterParam(event, 'id') ?? '')
  if (!record) fail('NOT_FOUND')
  setResponseHeader(event, 'content-type', 'text/plain; charset=utf-8')
  return record.result?.stdout ?? ''
})
