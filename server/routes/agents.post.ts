import { defineEventHandler, setResponseStatus } from 'h3'
import { mintAgent } from '../utils/accounts'
import { useApp } from '../utils/app'
import { requireTenant } from '../utils/auth'
import { readOptionalJsonBody } from '../utils/body'
import { assertAgentCreateRequest } from '../utils/schemas'

export default defineEventHandler(async (event) => {
  const app = await useApp()
  const owner = await requireTenant(event, app, 'owner')
  const body = await readOptionalJsonBody(event, assertAgentCreateRequest)
  const agent = await mintAgent(app, owner, body)
  setResponseStatus(event, 201)
  return agent
})
