import { fail } from '../../core/errors'
import { defineApiRoute } from '../http/define-route'

export default defineApiRoute(
  {
    auth: 'none',
    summary: 'Gone: the older permit call. Request a permit with POST /permit.',
    status: 410,
    returns: 'Always 410 SCOPE_GONE.',
  },
  () => fail('SCOPE_GONE'),
)
