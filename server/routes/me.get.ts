import { describeTenant } from '../accounts/tenants'
import { defineApiRoute } from '../http/define-route'

export default defineApiRoute(
  {
    auth: 'tenant',
    answers: { 200: 'tenant' },
    summary: 'The caller: tenant_id, role, name, created_at.',
    returns: '{ tenant_id, role, name, created_at, owner_id? }',
  },
  ({ caller }) => describeTenant(caller),
)
