import { defineEventHandler, getRouterParam } from 'h3'
import { useApp } from '../../utils/app'
import { decidePermit } from '../../utils/approval'
import { getClientAddress, requireTenant } from '../../utils/auth'
import { readJsonBody } from '../../utils/body'
import { assertApproveRequest } from '../../utils/schemas'

export default defineEventHandler(async (event) => {
  const app = await useApp()
  const owner = await requireTenant(event, app, 'owner')
  const body = await readJsonBody(event, assertApproveRequest)
  return decidePermit(app, owner, getRouterParam(event, 'id') ?? '', body, getClientAddress(event))
})
