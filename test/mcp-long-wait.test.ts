/**
 * The official MCP client at its default settings (a 60 s request timeout) waits for a human who
 * decides after 70 s: every wait_for_permit answers well before the timeout — "pending", and the
 * agent calls again — until the answer is "approved". Real time, in a file of its own so the rest
 * of the suite runs beside it.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { expect, it } from 'vitest'
import { decide, signup, type PermitAnswer } from './helpers/flow'
import { client } from './helpers/http'
import { useTestServer } from './helpers/server'

const server = useTestServer()
const api = client(() => server.url)

const DECIDES_AFTER_MS = 70_000

it('wait_for_permit answers "pending" before any client timeout, then "approved"', async () => {
  const agent = await signup(api)
  const owner = await signup(api, 'owner')
  const mcp = new Client({ name: 'oauth3-long-wait', version: '1.0.0' })
  await mcp.connect(
    new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${agent.token}` } },
    }),
  )
  try {
    const requested = await mcp.callTool({
      name: 'request_permit',
      arguments: { skill_id: 'hello', description: 'Say hello, after a long think' },
    })
    const permit = requested.structuredContent as unknown as PermitAnswer
    const started = Date.now()
    const human = new Promise((resolve) => setTimeout(resolve, DECIDES_AFTER_MS)).then(() =>
      decide(api, owner.token, permit),
    )
    const answers: string[] = []
    for (;;) {
      const waited = await mcp.callTool({
        name: 'wait_for_permit',
        arguments: { request_id: permit.request_id },
      })
      const text = (waited.content as Array<{ text: string }>)[0].text
      answers.push(text.split(':')[0])
      if ((waited.structuredContent as { status?: string } | undefined)?.status !== 'pending') break
      expect(text).toMatch(/Call wait_for_permit again/)
    }
    expect((await human).status).toBe(200)
    expect(Date.now() - started).toBeGreaterThanOrEqual(DECIDES_AFTER_MS)
    expect(answers[0]).toBe('pending')
    expect(answers.at(-1)).toBe('approved')
    expect(answers.slice(0, -1).every((answer) => answer === 'pending')).toBe(true)
  } finally {
    await mcp.close()
  }
}, 150_000)
