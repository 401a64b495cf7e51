/**
 * The README's Quick Start through a client generated from GET /openapi.json alone
 * (openapi-typescript types, openapi-fetch calls): an agent signs up and asks for a permit, its
 * owner approves it, the agent runs code under it with `Prefer: wait` and reads the status. It
 * compiles only if every answer it reads is typed (test/typed-client.test.ts compiles it strictly,
 * then runs it against a server).
 */
import createClient from 'openapi-fetch'
import type { paths } from './api.js'

export async function quickStart(baseUrl: string) {
  const api = createClient<paths>({ baseUrl })
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

  const agent = await api.POST('/signup', { body: { role: 'agent', name: 'typed-agent' } })
  if (!agent.data) throw new Error(`signup: ${agent.error?.code}`)
  const agentToken: string = agent.data.token

  const permit = await api.POST('/permit', {
    headers: bearer(agentToken),
    body: {
      description: 'File issues on GitHub',
      capabilities: [
        {
          name: 'github.createIssue',
          endpoint: 'https://api.github.com/repos/{owner}/{repo}/issues',
          method: 'POST',
          auth: { header: 'Authorization', value: 'token {GH_TOKEN}' },
          params: {
            owner: { in: 'path' },
            repo: { in: 'path' },
            title: { in: 'body' },
          },
        },
      ],
    },
  })
  if (!permit.data) throw new Error(`permit: ${permit.error?.code}`)
  const { request_id, approval_url, manifest_sha256, permit_id } = permit.data
  const signature: string = permit.data.capabilities[0].signature

  const owner = await api.POST('/signup', { body: { role: 'owner', name: 'typed-owner' } })
  if (!owner.data) throw new Error(`owner signup: ${owner.error?.code}`)
  const linkToken = new URL(approval_url).searchParams.get('token') ?? ''
  const decision = await api.POST('/approve/{id}', {
    params: { path: { id: request_id } },
    headers: bearer(owner.data.token),
    body: {
      action: 'approve',
      token: linkToken,
      manifest_sha256,
      secrets: { GH_TOKEN: 'ghp_typed_client_example' },
    },
  })
  if (!decision.data) throw new Error(`approve: ${decision.error?.code}`)
  const decided: 'completed' | 'denied' = decision.data.status

  const run = await api.POST('/execute', {
    headers: { ...bearer(agentToken), Prefer: 'wait=20' },
    body: { permit_id, skill_id: 'typed', skill_code: "console.log('hi'); return 6 * 7" },
  })
  if (!run.data) throw new Error(`execute: ${run.error?.code}`)
  const statusUrl: string = run.data.status_url ?? ''
  const preference = run.response.headers.get('preference-applied')

  const status = await api.GET('/execute/{id}/status', {
    params: { path: { id: run.data.request_id }, query: { wait: 'true', timeout: 20_000 } },
    headers: bearer(agentToken),
  })
  if (!status.data) throw new Error(`status: ${status.error?.code}`)
  const result = status.data.result
  return {
    signature,
    decided,
    statusUrl,
    preference,
    runStatus: run.response.status,
    status: status.data.status,
    stdout: result?.stdout,
    value: result?.value,
    receiptAlg: result?.receipt?.alg,
    calls: result?.calls.length,
  }
}
