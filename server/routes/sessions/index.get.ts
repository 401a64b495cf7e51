import { defineEventHandler } from 'h3'
import { useApp } from '../../utils/app'
import { requireTenant } from '../../utils/auth'
import { readPageQuery } from '../../utils/pagination'
import { listPermits } from '../../utils/sessions'

export default defineEventHandler(async (event) => {
  const app = await useApp()
  const tenant = await requireTenant(event, app)
  return listPermits(app, tenant, readPageQuery(event))
})
