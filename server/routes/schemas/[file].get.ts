import { getRouterParam } from 'h3'
import { defineApiRoute } from '../../http/define-route'
import { getPublicOrigin } from '../../http/origin'
import { readSchema } from '../../http/schemas'

export default defineApiRoute(
  {
    auth: 'none',
    answers: { 200: 'jsonDocument' },
    summary:
      'One JSON Schema (request bodies, skill manifests, capability types), with an absolute $id.',
    returns: 'The JSON Schema.',
  },
  ({ event, app }) => readSchema(getPublicOrigin(event, app), getRouterParam(event, 'file') ?? ''),
)
