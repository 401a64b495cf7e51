/**
 * Executions over HTTP: submit, then wait on status_url like an agent would.
 */
import { expect } from 'vitest'
import { approvalTokenOf, decide, pathOf, requestPermit, signup, type PermitAnswer } from './flow'
import type { Client } from './http'

export async function execute(api: Client, agentToken: string, body: Record<string, unknown>) {
  const submitted = await api.post('/execute', body, { token: agentToken })
  expect(submitted.status, submitted.text).toBe(202)
  const status = await api.get(pathOf(submitted.body.status_url), { token: agentToken })
  expect(status.status, status.text).toBe(200)
  return status.body
}

/** Code with no permit: the SDK's "hello" path. */
export async function run(api: Client, agentToken: string, code: string, args?: unknown) {
  return execute(api, agentToken, { code, ...(args === undefined ? {} : { args }) })
}

/** An agent with an approved permit for `capabilities`, its owner holding `secrets`. */
export async function approvedAgent(
  api: Client,
  capabilities: unknown[],
  secrets: Record<string, string> = {},
  approveExtra: Record<string, unknown> = {},
) {
  const agent = await signup(api)
  const owner = await signup(api, 'owner')
  const permit: PermitAnswer = await requestPermit(api, agent.token, {
    description: 'test',
    capabilities,
  })
  const reply = await decide(api, owner.token, permit, 'approve', {
    ...(Object.keys(secrets).length ? { secrets } : {}),
    ...approveExtra,
  })
  expect(reply.status, reply.text).toBe(200)
  return { agent, owner, permit, approvalToken: approvalTokenOf(permit) }
}
