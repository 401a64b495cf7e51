import { getRouterParam, setResponseHeader } from 'h3'
import { readStdout } from '../../../executions/status'
import { defineApiRoute } from '../../../http/define-route'

export default defineApiRoute(
  {
    auth: 'tenant',
    summary: 'The stdout of an execution, as text/plain.',
    returns: 'The stdout text.',
    produces: 'text/plain',
  },
  async ({ event, app, caller }) => {
    const stdout = await readStdout(app, caller, getRouterParam(event, 'id') ?? '')
    setResponseHeader(event, 'content-type', 'text/plain; charset=utf-8')
    return stdout
  },
)
