/**
 * /mcp with a real client from @modelcontextprotocol/sdk over Streamable HTTP: it lists the tools
 * (one per skill, its input schema from the skill's args schema), requests a permit for
 * httpbin-echo, waits while the human approves, runs the skill against a local stand-in for
 * httpbin and gets the result with its receipt — the token redacted; a bad token is refused.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decide, signup } from './helpers/flow'
import { startFakeWorld, type FakeWorld } from './helpers/fake-world'
import { client } from './helpers/http'
import { useTestServer } from './helpers/server'

let world: FakeWorld
beforeAll(async () => {
  world = await startFakeWorld()
})
afterAll(() => world?.close())
const server = useTestServer(() => ({
  env: { NITRO_UPSTREAM_MAP: JSON.stringify(world.upstreamMap) },
}))
const api = client(() => server.url)

async function connect(token: string) {
  const mcp = new Client({ name: 'oauth3-test', version: '1.0.0' })
  const transport = new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), {
    requestInit: { headers: { authorization: `Bearer ${token}` } },
  })
  await mcp.connect(transport)
  return mcp
}

const textOf = (result: Awaited<ReturnType<Client['callTool']>>) =>
  (result.content as Array<{ type: string; text: string }>)[0].text

describe('/mcp', () => {
  it('lists the tools, with each skill’s args schema as its input schema', async () => {
    const agent = await signup(api)
    const mcp = await connect(agent.token)
    try {
      const { tools } = await mcp.listTools()
      const names = tools.map((tool) => tool.name)
      for (const name of [
        'list_skills',
        'describe_skill',
        'request_permit',
        'wait_for_permit',
        'execute_code',
        'get_result',
        'run_httpbin-echo',
        'run_hello',
      ])
        expect(names).toContain(name)
      const echo = tools.find((tool) => tool.name === 'run_httpbin-echo')!
      expect(echo.inputSchema).toMatchObject({
        required: ['permit_id', 'args'],
        properties: {
          args: { required: ['message'], properties: { message: { type: 'string' } } },
        },
      })
    } finally {
      await mcp.close()
    }
  })

  it('requests a permit, waits for the human, runs httpbin-echo and gets the result with its receipt', async () => {
    const agent = await signup(api)
    const owner = await signup(api, 'owner')
    const mcp = await connect(agent.token)
    try {
      const requested = await mcp.callTool({
        name: 'request_permit',
        arguments: { skill_id: 'httpbin-echo', description: 'Echo through httpbin' },
      })
      const permit = JSON.parse(textOf(requested))
      expect(permit.approval_url).toMatch(/\/approve\/preq_/)
      const waiting = mcp.callTool({
        name: 'wait_for_permit',
        arguments: { request_id: permit.request_id },
      })
      expect(
        (
          await decide(api, owner.token, permit, 'approve', {
            secrets: { HTTPBIN_TOKEN: 'tok_mcp_secret' },
          })
        ).status,
      ).toBe(200)
      expect(JSON.parse(textOf(await waiting)).status).toBe('completed')

      const ran = await mcp.callTool({
        name: 'run_httpbin-echo',
        arguments: { permit_id: permit.permit_id, args: { message: 'hello from MCP' } },
      })
      expect(ran.isError).toBeFalsy()
      const result = JSON.parse(textOf(ran))
      expect(result.status).toBe('completed')
      expect(result.result.value.json).toEqual({ message: 'hello from MCP' })
      expect(result.result.value.headers.Authorization).toBe('[REDACTED]')
      expect(result.result.receipt).toMatchObject({ alg: 'ed25519', request_id: result.request_id })
      expect(textOf(ran)).not.toContain('tok_mcp_secret')
      expect(world.servers.httpbin.seen.at(-1)?.headers.authorization).toBe('Bearer tok_mcp_secret')

      const again = await mcp.callTool({
        name: 'get_result',
        arguments: { request_id: result.request_id },
      })
      expect(JSON.parse(textOf(again)).result.receipt.signature).toBe(
        result.result.receipt.signature,
      )
    } finally {
      await mcp.close()
    }
  })

  it('executes code, and reports a refusal as a tool error with its code', async () => {
    const agent = await signup(api)
    const mcp = await connect(agent.token)
    try {
      const ran = await mcp.callTool({ name: 'execute_code', arguments: { code: 'return 6 * 7' } })
      expect(JSON.parse(textOf(ran)).result.value).toBe(42)
      const refused = await mcp.callTool({
        name: 'execute_code',
        arguments: { code: 'return 1', permit_id: 'permit_000000000000000000000000' },
      })
      expect(refused.isError).toBe(true)
      expect(textOf(refused)).toMatch(/^NOT_FOUND: /)
    } finally {
      await mcp.close()
    }
  })

  it('refuses a bad token', async () => {
    await expect(connect(`oa3_agent_${'A'.repeat(43)}`)).rejects.toThrow(
      /401|Unauthorized|invalid bearer/i,
    )
    const raw = await api.post(
      '/mcp',
      { jsonrpc: '2.0', id: 1, method: 'tools/list' },
      { headers: { accept: 'application/json, text/event-stream' } },
    )
    expect(raw.status).toBe(401)
  })
})
