import { defineEventHandler, setResponseStatus } from 'h3'
import { useApp } from '../../utils/app'
import { requireTenant } from '../../utils/auth'
import { readJsonBody } from '../../utils/body'
import { executeCode } from '../../utils/executions'
import { getPublicOrigin } from '../../utils/origin'
import { assertExecuteRequest } from '../../utils/schemas'

export default defineEventHandler(async (event) => {
  const app = await useApp()
  const agent = await requireTenant(event, app, 'agent')
  const body = await readJsonBody(event, assertExecuteRequest)
  const answer = await executeCode(app, agent, body, getPublicOrigin(event, app))
  setResponseStatus(event, 202)
  return answer
})
