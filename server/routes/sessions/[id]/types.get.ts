import { getRouterParam, setResponseHeader } from 'h3'
import { defineApiRoute } from '../../../http/define-route'
import { readPermitTypings } from '../../../permits/typings'

export default defineApiRoute(
  {
    auth: 'tenant',
    summary:
      "A permit's capability functions and args as TypeScript declarations, to type-check code before sending it.",
    returns: 'A .d.ts file.',
    produces: 'text/plain',
  },
  async ({ event, app, caller }) => {
    setResponseHeader(event, 'content-type', 'text/plain; charset=utf-8')
    return readPermitTypings(app, caller, getRouterParam(event, 'id') ?? '')
  },
)
