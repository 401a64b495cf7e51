import { defineEventHandler, setResponseStatus } from 'h3'
import { useApp } from '../utils/app'
import { requireTenant } from '../utils/auth'
import { assertVisibleText, readJsonBody } from '../utils/body'
import { getPublicOrigin } from '../utils/origin'
import { requestPermit } from '../utils/permits'
import { assertPermitRequest } from '../utils/schemas'

export default defineEventHandler(async (event) => {
  const app = await useApp()
  const agent = await requireTenant(event, app, 'agent')
  const body = await readJsonBody(event, assertPermitRequest)
  assertVisibleText(body)
  const answer = await requestPermit(app, agent, body, getPublicOrigin(event, app))
  setResponseStatus(event, 202)
  return answer
})
