/**
 * /mcp against the MCP spec (2025-06-18, Streamable HTTP), with the official client at its default
 * settings: inputs checked against each tool's input schema (-32602 with the path, nothing runs),
 * JSON-RPC's own errors for bodies that are not JSON-RPC, a bearer challenge on 401, titles and
 * annotations, an output schema for every tool and structured content that fits it (the client
 * itself checks, and so does this test), short text for the model, progress while a call waits.
 */
import { createHash } from 'node:crypto'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js'
import Ajv from 'ajv'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { StatusBody } from '../schemas/types'
import { decide, signup, type PermitAnswer } from './helpers/flow'
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

type Tool = Awaited<ReturnType<Client['listTools']>>['tools'][number]
type ToolResult = Awaited<ReturnType<Client['callTool']>>

async function connect(token: string) {
  const mcp = new Client({ name: 'oauth3-spec-test', version: '1.0.0' })
  const transport = new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), {
    requestInit: { headers: { authorization: `Bearer ${token}` } },
  })
  await mcp.connect(transport)
  return mcp
}

const textOf = (result: ToolResult) =>
  (result.content as Array<{ type: string; text: string }>)[0].text

/** The JSON-RPC error a call is refused with. */
async function refusal(promise: Promise<unknown>): Promise<McpError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  )
  expect(error).toBeInstanceOf(McpError)
  return error as McpError
}

/** Our own check of structured content against the listed output schema (the client's is ajv too). */
function expectFitsOutput(tools: Tool[], name: string, result: ToolResult) {
  const tool = tools.find((candidate) => candidate.name === name)!
  const validate = new Ajv({ strict: false, allowUnionTypes: true }).compile(tool.outputSchema!)
  expect(result.structuredContent, name).toBeDefined()
  expect(validate(result.structuredContent), JSON.stringify(validate.errors)).toBe(true)
}

function publishOwnSkill(token: string, id: string, code: string, yaml: string) {
  const sha256 = createHash('sha256').update(code).digest('hex')
  const manifest = `id: ${id}\nversion: 1.0.0\ndescription: A skill of this test\nauthor: t\ncapabilities: []\n${yaml}sha256: ${sha256}\n`
  return api.post('/skills', { manifest, code }, { token })
}

describe('/mcp to the spec', () => {
  it('lists every tool with a title, annotations and self-contained input and output schemas', async () => {
    const agent = await signup(api)
    const mcp = await connect(agent.token)
    try {
      const { tools } = await mcp.listTools()
      const ajv = new Ajv({ strict: false, allowUnionTypes: true })
      for (const tool of tools) {
        expect(tool.title, tool.name).toBeTruthy()
        expect(tool.annotations?.title, tool.name).toBe(tool.title)
        expect(typeof tool.annotations?.readOnlyHint, tool.name).toBe('boolean')
        expect(tool.outputSchema?.type, tool.name).toBe('object')
        // Compiles alone: no reference leaves the schema.
        for (const schema of [tool.inputSchema, tool.outputSchema!]) {
          expect(JSON.stringify(schema), tool.name).not.toMatch(/"\$ref":"(?!#\/\$defs\/)/)
          expect(() => ajv.compile(schema), tool.name).not.toThrow()
        }
      }
      const byName = new Map(tools.map((tool) => [tool.name, tool]))
      expect(byName.get('list_skills')!.annotations).toMatchObject({ readOnlyHint: true })
      expect(byName.get('execute_code')!.annotations).toMatchObject({
        readOnlyHint: false,
        openWorldHint: true,
      })
      // request_permit's capabilities are typed by the capability types' schemas.
      const items = (
        byName.get('request_permit')!.inputSchema.properties as Record<string, { items: unknown }>
      ).capabilities.items as { anyOf: Array<{ $ref: string }> }
      expect(items.anyOf.map((ref) => ref.$ref)).toEqual(
        expect.arrayContaining(['#/$defs/apiGateway', '#/$defs/cookieSession']),
      )
      // A skill's result value is typed by its returns schema.
      const hello = byName.get('run_hello')!
      expect(hello.inputSchema).toMatchObject({ properties: { name: { type: 'string' } } })
      expect(JSON.stringify(hello.outputSchema)).toContain('"greeting"')
    } finally {
      await mcp.close()
    }
  })

  it('refuses input that does not fit the tool’s schema with -32602 and the path; nothing runs', async () => {
    const agent = await signup(api)
    const mcp = await connect(agent.token)
    const runs = async () =>
      ((await api.get('/history', { token: agent.token })).body as { executions: unknown[] })
        .executions.length
    try {
      const before = await runs()
      const cases: Array<[string, Record<string, unknown>, RegExp]> = [
        ['get_result', {}, /request_id/],
        ['wait_for_permit', { request_id: 7 }, /\/request_id/],
        ['list_skills', { extra: 1 }, /additional/],
        ['execute_code', { code: '' }, /\/code/],
        ['execute_code', { code: 'return 1', surprise: true }, /additional/],
        ['run_hello', { name: 5 }, /\/name/],
        ['run_hello', { name: 'x', nickname: 'y' }, /additional|nickname/],
        ['run_httpbin-echo', { message: 'hi' }, /permit_id/],
        ['request_permit', { capabilities: [{ name: 'x' }] }, /capabilit/],
        ['no_such_tool', {}, /Unknown tool/],
      ]
      for (const [name, args, pattern] of cases) {
        const error = await refusal(mcp.callTool({ name, arguments: args }))
        expect(error.code, `${name} ${JSON.stringify(args)}`).toBe(ErrorCode.InvalidParams)
        expect(error.message, `${name} ${JSON.stringify(args)}`).toMatch(pattern)
      }
      expect(await runs()).toBe(before)
    } finally {
      await mcp.close()
    }
  })

  it('takes a skill’s args flat, or nested under args as before', async () => {
    const agent = await signup(api)
    const mcp = await connect(agent.token)
    try {
      const { tools } = await mcp.listTools()
      const flat = await mcp.callTool({ name: 'run_hello', arguments: { name: 'flat' } })
      const nested = await mcp.callTool({
        name: 'run_hello',
        arguments: { args: { name: 'nested' } },
      })
      for (const [result, name] of [
        [flat, 'flat'],
        [nested, 'nested'],
      ] as const) {
        expect(result.isError).toBeFalsy()
        expectFitsOutput(tools, 'run_hello', result)
        const body = result.structuredContent as unknown as StatusBody
        expect(JSON.stringify(body.result!.value)).toContain(name)
      }
    } finally {
      await mcp.close()
    }
  })

  it('answers every tool with structured content that fits its output schema, and short text', async () => {
    const agent = await signup(api)
    const owner = await signup(api, 'owner')
    const mcp = await connect(agent.token)
    try {
      const { tools } = await mcp.listTools()
      const listed = await mcp.callTool({ name: 'list_skills', arguments: {} })
      expectFitsOutput(tools, 'list_skills', listed)
      expect(textOf(listed)).toMatch(/^check-api-key@1\.0\.0 — /m)
      const described = await mcp.callTool({ name: 'describe_skill', arguments: { id: 'hello' } })
      expectFitsOutput(tools, 'describe_skill', described)
      const requested = await mcp.callTool({
        name: 'request_permit',
        arguments: { skill_id: 'httpbin-echo', description: 'Echo' },
      })
      expectFitsOutput(tools, 'request_permit', requested)
      const permit = requested.structuredContent as unknown as PermitAnswer
      expect(textOf(requested)).toContain(permit.approval_url)
      await decide(api, owner.token, permit, 'approve', { secrets: { HTTPBIN_TOKEN: 'tok_x' } })
      const waited = await mcp.callTool({
        name: 'wait_for_permit',
        arguments: { request_id: permit.request_id },
      })
      expectFitsOutput(tools, 'wait_for_permit', waited)
      const ran = await mcp.callTool({
        name: 'run_httpbin-echo',
        arguments: { permit_id: permit.permit_id, message: 'hi' },
      })
      expectFitsOutput(tools, 'run_httpbin-echo', ran)
      const code = await mcp.callTool({
        name: 'execute_code',
        arguments: { code: 'console.log("out"); return { n: 1 }' },
      })
      expectFitsOutput(tools, 'execute_code', code)
      expect(textOf(code)).toContain('stdout:\nout')
      const body = code.structuredContent as unknown as StatusBody
      const again = await mcp.callTool({
        name: 'get_result',
        arguments: { request_id: body.request_id },
      })
      expectFitsOutput(tools, 'get_result', again)
      // The receipt is structured; the text stays short.
      expect(body.result!.receipt!.signature).toMatch(/\S{40}/)
      expect(textOf(code)).not.toContain(body.result!.receipt!.signature)
      expect(textOf(code).length).toBeLessThan(400)
      // A failed execution is a tool error that still fits.
      const failed = await mcp.callTool({
        name: 'execute_code',
        arguments: { code: 'throw new Error("boom")' },
      })
      expect(failed.isError).toBe(true)
      expect(textOf(failed)).toMatch(/^failed: .*boom/)
      expectFitsOutput(tools, 'execute_code', failed)
    } finally {
      await mcp.close()
    }
  })

  it('a value its skill’s returns schema does not describe stays out of the structured result', async () => {
    const agent = await signup(api)
    const id = `liar-${process.pid}-${Date.now().toString(36)}`
    const published = await publishOwnSkill(
      agent.token,
      id,
      'return { n: "not a number" }',
      'args: { type: object }\nreturns: { type: object, required: [n], properties: { n: { type: number } } }\n',
    )
    expect(published.status, published.text).toBe(201)
    const mcp = await connect(agent.token)
    try {
      const { tools } = await mcp.listTools()
      expect(
        JSON.stringify(tools.find((tool) => tool.name === `run_${id}`)!.outputSchema),
      ).toContain('"number"')
      const ran = await mcp.callTool({ name: `run_${id}`, arguments: {} })
      expectFitsOutput(tools, `run_${id}`, ran)
      const result = (ran.structuredContent as unknown as StatusBody).result!
      expect('value' in result).toBe(false)
      expect(result.receipt).toBeDefined()
      expect(textOf(ran)).toContain('not a number')
      expect(textOf(ran)).toMatch(/not what the skill's returns schema says \(\/n must be number\)/)
    } finally {
      await mcp.close()
    }
  })

  it('tells a client that asked for progress how long a wait has lasted, over an event stream', async () => {
    const agent = await signup(api)
    const owner = await signup(api, 'owner')
    const mcp = await connect(agent.token)
    try {
      const requested = await mcp.callTool({
        name: 'request_permit',
        arguments: { skill_id: 'httpbin-echo', description: 'Echo' },
      })
      const permit = requested.structuredContent as unknown as PermitAnswer
      const progress: Array<{ progress: number; message?: string }> = []
      const waiting = mcp.callTool(
        { name: 'wait_for_permit', arguments: { request_id: permit.request_id } },
        undefined,
        { onprogress: (note) => progress.push(note) },
      )
      await new Promise((resolve) => setTimeout(resolve, 6_500))
      await decide(api, owner.token, permit, 'approve', { secrets: { HTTPBIN_TOKEN: 'tok_x' } })
      const decided = await waiting
      expect((decided.structuredContent as { status?: string } | undefined)?.status).toBe(
        'completed',
      )
      expect(progress.length).toBeGreaterThanOrEqual(1)
      expect(progress[0].progress).toBeGreaterThan(4)
      expect(progress[0].message).toMatch(/waiting for your human's decision/)

      // On the wire: an event stream answers a call that carries a progressToken.
      const raw = await fetch(`${server.url}/mcp`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${agent.token}`,
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
        },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 9,
          method: 'tools/call',
          params: {
            name: 'get_result',
            arguments: { request_id: permit.request_id },
            _meta: { progressToken: 'p1' },
          },
        }),
      })
      expect(raw.headers.get('content-type')).toMatch(/^text\/event-stream/)
      expect(await raw.text()).toMatch(/^data: .*"id":9/m)
    } finally {
      await mcp.close()
    }
  }, 30_000)

  it('answers JSON-RPC errors for bodies that are not JSON-RPC, and a bearer challenge on 401', async () => {
    const agent = await signup(api)
    const headers = { accept: 'application/json, text/event-stream' }
    const post = (raw: string, token: string | null = agent.token) =>
      api.post('/mcp', undefined, { raw, token: token ?? undefined, headers })
    const cases: Array<[string, number]> = [
      ['{"jsonrpc": "2.0", "id": 1, "method": ', -32700],
      ['not json', -32700],
      ['{"foo": 1}', -32600],
      ['[]', -32600],
      ['"a string"', -32600],
      ['{"jsonrpc": "1.0", "id": 1, "method": "tools/list"}', -32600],
    ]
    for (const [raw, code] of cases) {
      const reply = await post(raw)
      expect(reply.status, raw).toBe(400)
      expect(reply.body, raw).toMatchObject({ jsonrpc: '2.0', id: null, error: { code } })
    }
    const list = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' })
    const missing = await post(list, null)
    expect(missing.status).toBe(401)
    expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="oauth3"')
    const bad = await post(list, `oa3_agent_${'A'.repeat(43)}`)
    expect(bad.status).toBe(401)
    expect(bad.headers.get('www-authenticate')).toBe('Bearer realm="oauth3", error="invalid_token"')
  })
})
