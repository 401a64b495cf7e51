import { getRequestHeaders } from 'h3'
import { defineApiRoute } from '../http/define-route'
import { getPublicOrigin } from '../http/origin'
import { answerMcp } from '../mcp/endpoint'

export default defineApiRoute(
  {
    auth: 'agent',
    answers: { 200: 'jsonRpcAnswer', 202: null, 400: 'jsonRpcAnswer', 406: 'jsonRpcAnswer' },
    summary:
      'The Model Context Protocol (Streamable HTTP, stateless): tools to list and describe skills, request and wait for a permit, run a skill or code, get a result. A tool call with a progressToken is answered as an event stream carrying its progress.',
    body: 'mcpMessage',
    jsonRpc: true,
    returns: 'A JSON-RPC answer (tools/list, tools/call, …), as JSON or as an event stream.',
  },
  ({ event, app, caller, body }) => {
    const headers = new Headers()
    for (const [name, value] of Object.entries(getRequestHeaders(event))) {
      // The body was read and parsed here: its length is not the transport's to check.
      if (value !== undefined && name !== 'content-length') headers.set(name, value)
    }
    return answerMcp(app, caller, body, { publicOrigin: getPublicOrigin(event, app), headers })
  },
)
