import { defineApiRoute } from '../http/define-route'
import { answerMcp } from '../mcp/endpoint'

export default defineApiRoute(
  {
    auth: 'agent',
    answers: { 200: 'jsonRpcAnswer', 202: null },
    summary:
      'The Model Context Protocol (Streamable HTTP, stateless): tools to list and describe skills, request and wait for a permit, run a skill or code, get a result.',
    body: 'mcpMessage',
    returns: 'A JSON-RPC answer (tools/list, tools/call, …).',
  },
  ({ event, app, caller, body }) => answerMcp(event, app, caller, body),
)
