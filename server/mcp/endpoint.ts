/**
 * POST /mcp: the Model Context Protocol over Streamable HTTP, stateless — one MCP server and
 * transport per request — acting as the agent of the bearer token. The body was read, parsed and
 * checked as JSON-RPC by the route. The answer is one JSON document, or an event stream when a
 * tool call asked for progress (a progressToken): its progress notifications, then its result.
 */
import { Server } from '@modelcontextprotocol/sdk/server/index.js'
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js'
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js'
import type { Tenant } from '../accounts/tenants'
import type { App } from '../app'
import { SERVER_VERSION } from '../attestation/attestation'
import { callTool, listTools } from './tools'
import type { WaitProgress } from './waits'

/** `headers`: the request's, as the transport reads them (Accept, MCP-Protocol-Version, …). */
export async function answerMcp(
  app: App,
  agent: Tenant,
  body: unknown,
  request: { publicOrigin: string; headers: Headers },
): Promise<Response> {
  const { publicOrigin } = request
  const server = new Server(
    { name: 'oauth3', version: SERVER_VERSION, title: 'OAuth3' },
    {
      capabilities: { tools: {} },
      instructions:
        'Run skills and code under permits your human approves. request_permit answers an approval_url: give it to your human, then call wait_for_permit until the status is no longer pending.',
    },
  )
  server.setRequestHandler(ListToolsRequestSchema, async () => ({
    tools: await listTools(app, agent),
  }))
  server.setRequestHandler(CallToolRequestSchema, (call, extra) => {
    const token = call.params._meta?.progressToken
    const progress: WaitProgress | undefined =
      token === undefined
        ? undefined
        : (waitedMs, message) =>
            void extra
              .sendNotification({
                method: 'notifications/progress',
                params: { progressToken: token, progress: waitedMs / 1000, message },
              })
              .catch(() => {})
    return callTool(
      { app, agent, publicOrigin, progress },
      call.params.name,
      call.params.arguments ?? {},
    )
  })
  const streamed = asksForProgress(body)
  const transport = new WebStandardStreamableHTTPServerTransport({
    sessionIdGenerator: undefined,
    enableJsonResponse: !streamed,
  })
  await server.connect(transport)
  const forwarded = new Request(`${publicOrigin}/mcp`, { method: 'POST', headers: request.headers })
  const close = () => void server.close()
  let answer: Response
  try {
    answer = await transport.handleRequest(forwarded, { parsedBody: body })
  } catch (error) {
    close()
    throw error
  }
  if (!streamed || !answer.body) {
    close()
    return answer
  }
  // The stream outlives handleRequest: the server closes once the stream is done or dropped.
  const closing = new TransformStream<Uint8Array, Uint8Array>({ flush: close })
  void answer.body.pipeTo(closing.writable).catch(close)
  return new Response(closing.readable, { status: answer.status, headers: answer.headers })
}

/** A tool call carrying a progressToken: the client will read progress from an event stream. */
function asksForProgress(body: unknown): boolean {
  const messages = Array.isArray(body) ? body : [body]
  return messages.some((message) => {
    const meta = (message as { params?: { _meta?: { progressToken?: unknown } } })?.params?._meta
    return meta?.progressToken !== undefined
  })
}
