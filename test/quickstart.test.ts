/**
 * The seed's Quick Start, steps 1–3, with plain HTTP as the product page shows them:
 * sign up, request the GitHub permit, a human approves, the long-poll answers completed.
 */
import { afterAll, beforeAll, expect, it } from 'vitest'
import { startServer, type RunningServer } from './helpers/server'

let server: RunningServer
beforeAll(async () => (server = await startServer()))
afterAll(() => server?.stop())

const read = async (reply: Response): Promise<any> => reply.json()

const json = (body: unknown, token?: string) => ({
  method: 'POST',
  headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
  body: JSON.stringify(body),
})

it('Quick Start 1–3: signup, permit, approval, long-poll completed', async () => {
  // 1. Sign up
  const signup = await read(await fetch(`${server.url}/signup`, json({ name: 'my-agent' })))
  expect(signup).toMatchObject({ tenant_id: expect.any(String), token: expect.any(String) })

  // 2. Request a permit (the product page's body, verbatim)
  const permitReply = await fetch(`${server.url}/permit`, json({
    description: 'File issues on GitHub',
    capabilities: [{
      name: 'github.createIssue',
      doc_url: 'https://docs.github.com/en/rest/issues',
      endpoint: 'https://api.github.com/repos/{owner}/{repo}/issues',
      method: 'POST',
      auth: { header: 'Authorization', value: 'token {GH_TOKEN}' },
      params: { owner: { in: 'path' }, repo: { in: 'path' }, title: { in: 'body' }, body: { in: 'body' } },
    }],
  }, signup.token))
  expect(permitReply.status).toBe(202)
  const { status_url, approval_url, permit_id } = await read(permitReply)
  expect(permit_id).toMatch(/^permit_/)

  // 3. Wait for human approval: fetch(status_url) long-polls; meanwhile the human approves.
  const poll = fetch(status_url, { headers: { Authorization: `Bearer ${signup.token}` } }).then(read)

  const owner = await read(await fetch(`${server.url}/signup`, json({ name: 'human', role: 'owner' })))
  const approval = await read(await fetch(approval_url))
  expect(approval.scope_request.capabilities[0].signature).toBe('async function createIssue(owner, repo, title, body)')
  const token = new URL(approval_url).searchParams.get('token')
  const decision = await fetch(new URL(approval_url).origin + new URL(approval_url).pathname, json({
    token, action: 'approve', manifest_sha256: approval.manifest_sha256, secrets: { GH_TOKEN: 'ghp_quickstart' },
  }, owner.token))
  expect(await read(decision)).toEqual({ id: approval.id, status: 'completed', permit_id })

  expect(await poll).toMatchObject({ status: 'completed', permit_id })
})
