import { defineEventHandler } from 'h3'
import { describeTenant } from '../utils/accounts'
import { useApp } from '../utils/app'
import { requireTenant } from '../utils/auth'

export default defineEventHandler(async (event) => {
  const app = await useApp()
  return describeTenant(await requireTenant(event, app))
})
