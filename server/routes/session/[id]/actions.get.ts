import { defineEventHandler, getRouterParam } from 'h3'
import { listActions, readPermitForActivity } from '../../../utils/activity'
import { useApp } from '../../../utils/app'
import { readTenant } from '../../../utils/auth'
import { readPageQuery } from '../../../utils/pagination'
import { readQueryString } from '../../../utils/query'

export default defineEventHandler(async (event) => {
  const app = await useApp()
  const permit = await readPermitForActivity(
    app,
    getRouterParam(event, 'id') ?? '',
    await readTenant(event, app),
    readQueryString(event, 'token'),
  )
  return listActions(app, permit, readPageQuery(event))
})
