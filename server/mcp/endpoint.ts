/**
 * POST /mcp: the Model Context Protocol over Streamable HTTP, stateless — one MCP server and
 * transport per request, JSON answers — acting as the agent of the bearer token. The body was
 * read and size-checked by the route; the transport gets it parsed.
 */
import { Server } from '@modelcontextprotocol/sdk/server/index.js'
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js'
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js'
import type { Tenant } from '../accounts/tenants'
import type { App } from '../app'
import { SERVER_VERSION } from '../attestation/attestation'
import { callTool, listTools } from './tools'

/** `headers`: the request's, as the transport reads them (Accept, MCP-Protocol-Version, …). */
export async function answerMcp(
  app: App,
  agent: Tenant,
  body: unknown,
  request: { publicOrigin: string; headers: Headers },
): Promise<Response> {
  const { publicOrigin } = request
  const server = new Server(
    { name: 'oauth3', version: SERVER_VERSION },
    {
      capabilities: { tools: {} },
      instructions:
        'Run skills and code under permits your human approves. request_permit answers an approval_url: give it to your human, then wait_for_permit.',
    },
  )
  server.setRequestHandler(ListToolsRequestSchema, async () => ({
    tools: await listTools(app, agent),
  }))
  server.setRequestHandler(CallToolRequestSchema, (request) =>
    callTool({ app, agent, publicOrigin }, request.params.name, request.params.arguments ?? {}),
  )
  const transport = new WebStandardStreamableHTTPServerTransport({
    sessionIdGenerator: undefined,
    enableJsonResponse: true,
  })
  await server.connect(transport)
  const forwarded = new Request(`${publicOrigin}/mcp`, { method: 'POST', headers: request.headers })
  try {
    return await transport.handleRequest(forwarded, { parsedBody: body })
  } finally {
    void server.close()
  }
}
