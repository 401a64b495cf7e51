import { setResponseHeader } from 'h3'
import { fail } from '../../core/errors'
import { defineApiRoute } from '../http/define-route'

export default defineApiRoute(
  {
    auth: 'agent',
    summary: 'MCP clients open no event stream here (the server is stateless): 405.',
    status: 405,
    returns: '405 METHOD_NOT_ALLOWED',
  },
  ({ event }) => {
    setResponseHeader(event, 'allow', 'POST')
    return fail('METHOD_NOT_ALLOWED')
  },
)
