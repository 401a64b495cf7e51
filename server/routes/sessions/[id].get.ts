import { getRouterParam } from 'h3'
import { defineApiRoute } from '../../http/define-route'
import { readSession } from '../../permits/sessions'

export default defineApiRoute(
  { auth: 'tenant', answers: { 200: 'permit' }, summary: 'One permit.', returns: 'The permit.' },
  ({ event, app, caller }) => readSession(app, caller, getRouterParam(event, 'id') ?? ''),
)
