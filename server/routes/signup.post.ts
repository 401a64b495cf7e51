import { defineEventHandler, setResponseStatus } from 'h3'
import { signUp } from '../utils/accounts'
import { useApp } from '../utils/app'
import { getClientAddress } from '../utils/auth'
import { readOptionalJsonBody } from '../utils/body'
import { assertSignupRequest } from '../utils/schemas'

export default defineEventHandler(async (event) => {
  const app = await useApp()
  const body = await readOptionalJsonBody(event, assertSignupRequest)
  const account = await signUp(app, body, getClientAddress(event))
  setResponseStatus(event, 201)
  return account
})
