import { defineEventHandler, getRouterParam } from 'h3'
import { useApp } from '../../utils/app'
import { describeApproval, readRequestWithToken } from '../../utils/approval'
import { getClientAddress, readTenant } from '../../utils/auth'
import { readQueryString } from '../../utils/query'

export default defineEventHandler(async (event) => {
  const app = await useApp()
  const token = readQueryString(event, 'token')
  const permit = await readRequestWithToken(
    app,
    getRouterParam(event, 'id') ?? '',
    token,
    getClientAddress(event),
  )
  return describeApproval(app, permit, await readTenant(event, app))
})
