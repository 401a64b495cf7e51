/**
 * The seed's Quick Start end to end with plain HTTP as the product page shows it: sign up,
 * request the GitHub permit, a human approves, the long-poll answers completed, then execute
 * createIssue(...) against a local fake GitHub and poll the result. The owner's token reaches
 * GitHub in the header and appears in no byte the agent can read.
 */
import { afterAll, beforeAll, expect, it } from 'vitest'
import { fakeGithub, startUpstream, type Upstream } from './helpers/upstream'
import { startServer, type RunningServer } from './helpers/server'

const GH_TOKEN = 'ghp_quickstart_owner_token_0123456789'
let server: RunningServer
let github: Upstream
beforeAll(async () => {
  github = await startUpstream(fakeGithub())
  server = await startServer({
    env: { NITRO_UPSTREAM_MAP: JSON.stringify({ 'https://api.github.com': github.origin }) },
  })
})
afterAll(async () => {
  await server?.stop()
  await github?.close()
})

const read = async (reply: Response): Promise<any> => reply.json()

const json = (body: unknown, token?: string) => ({
  method: 'POST',
  headers: {
    'Content-Type': 'application/json',
    ...(token ? { Authorization: `Bearer ${token}` } : {}),
  },
  body: JSON.stringify(body),
})

it('Quick Start 1–5: signup, permit, approval, execute createIssue, poll the result', async () => {
  const agentCanRead: string[] = []
  // 1. Sign up
  const signup = await read(await fetch(`${server.url}/signup`, json({ name: 'my-agent' })))
  expect(signup).toMatchObject({ tenant_id: expect.any(String), token: expect.any(String) })

  // 2. Request a permit (the product page's body, verbatim)
  const permitReply = await fetch(
    `${server.url}/permit`,
    json(
      {
        description: 'File issues on GitHub',
        capabilities: [
          {
            name: 'github.createIssue',
            doc_url: 'https://docs.github.com/en/rest/issues',
            endpoint: 'https://api.github.com/repos/{owner}/{repo}/issues',
            method: 'POST',
            auth: { header: 'Authorization', value: 'token {GH_TOKEN}' },
            params: {
              owner: { in: 'path' },
              repo: { in: 'path' },
              title: { in: 'body' },
              body: { in: 'body' },
            },
          },
        ],
      },
      signup.token,
    ),
  )
  expect(permitReply.status).toBe(202)
  const { status_url, approval_url, permit_id } = await read(permitReply)
  expect(permit_id).toMatch(/^permit_/)

  // 3. Wait for human approval: fetch(status_url) long-polls; meanwhile the human approves.
  const poll = fetch(status_url, { headers: { Authorization: `Bearer ${signup.token}` } }).then(
    read,
  )

  const owner = await read(
    await fetch(`${server.url}/signup`, json({ name: 'human', role: 'owner' })),
  )
  const approval = await read(await fetch(approval_url))
  expect(approval.scope_request.capabilities[0].signature).toBe(
    'async function createIssue(owner, repo, title, body)',
  )
  const token = new URL(approval_url).searchParams.get('token')
  const decision = await fetch(
    new URL(approval_url).origin + new URL(approval_url).pathname,
    json(
      {
        token,
        action: 'approve',
        manifest_sha256: approval.manifest_sha256,
        secrets: { GH_TOKEN },
      },
      owner.token,
    ),
  )
  expect(await read(decision)).toEqual({ id: approval.id, status: 'completed', permit_id })

  expect(await poll).toMatchObject({ status: 'completed', permit_id })

  // 4. Execute code (the product page's body, verbatim)
  const executeReply = await fetch(
    `${server.url}/execute`,
    json(
      {
        permit_id,
        code: 'const r = await createIssue("amiller","test","Hello","From TEE"); console.log(JSON.stringify(r))',
        args: {},
      },
      signup.token,
    ),
  )
  expect(executeReply.status).toBe(202)
  const executeText = await executeReply.text()
  agentCanRead.push(executeText)
  const execution = JSON.parse(executeText)
  expect(execution).toMatchObject({
    request_id: expect.stringMatching(/^exec_/),
    status: 'approved',
    permit_id,
  })
  expect(execution.status_url).toMatch(
    /\/execute\/exec_[a-f0-9]{24}\/status\?wait=true&token=oa3_status_[\w-]{43}$/,
  )

  // 5. Poll for the result
  const resultText = await (
    await fetch(execution.status_url, { headers: { Authorization: `Bearer ${signup.token}` } })
  ).text()
  agentCanRead.push(resultText)
  const result = JSON.parse(resultText)
  expect(result).toMatchObject({
    status: 'completed',
    permit_id,
    result: { success: true, exitCode: 0 },
  })
  const created = JSON.parse(result.result.stdout)
  expect(created).toMatchObject({ number: 1, title: 'Hello', body: 'From TEE', state: 'open' })
  expect(result.result.calls).toEqual([
    {
      capability: 'github.createIssue',
      method: 'POST',
      url: 'api.github.com/repos/amiller/test/issues',
      status: 201,
      duration: expect.any(Number),
    },
  ])

  // Upstream got the issue, with the owner's token in its header.
  expect(github.seen).toHaveLength(1)
  expect(github.seen[0]).toMatchObject({
    method: 'POST',
    url: '/repos/amiller/test/issues',
    headers: { authorization: `token ${GH_TOKEN}` },
  })
  expect(JSON.parse(github.seen[0].body)).toEqual({ title: 'Hello', body: 'From TEE' })

  // …and the token is in nothing the agent can read.
  for (const path of [
    `/execute/${execution.request_id}/stdout`,
    `/sessions/${permit_id}`,
    `/session/${permit_id}/actions`,
    '/sessions',
    `/execute/${execution.request_id}/status`,
  ]) {
    agentCanRead.push(
      await (
        await fetch(`${server.url}${path}`, {
          headers: { Authorization: `Bearer ${signup.token}` },
        })
      ).text(),
    )
  }
  for (const text of agentCanRead) {
    expect(text).not.toContain(GH_TOKEN)
    expect(text).not.toContain(Buffer.from(GH_TOKEN).toString('base64'))
  }
  expect(server.logs()).not.toContain(GH_TOKEN)
})
