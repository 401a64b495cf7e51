import { defineApiRoute } from '../http/define-route'
import { buildOpenApi } from '../http/openapi'
import { getPublicOrigin } from '../http/origin'
import { useApiRoutes } from '../http/route-index'

export default defineApiRoute(
  {
    auth: 'none',
    answers: { 200: 'jsonDocument' },
    summary: 'OpenAPI 3.1 description built from the JSON Schemas.',
    returns: 'The OpenAPI document.',
  },
  ({ event, app }) => buildOpenApi(getPublicOrigin(event, app), useApiRoutes()),
)
