/**
 * The permit manifest lives in the pure core (core/manifest.ts): from what GET /approve/:id shows,
 * a client recomputes the manifest_sha256 the server will bind the decision to — equal for the
 * real view, different for any change to what is shown — and `oauth3 approve` refuses a server
 * whose view does not hash to the manifest it asks to approve, sending no decision.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { manifestOfApproval, manifestSha256 } from '../core/manifest'
import type { ApprovalView } from '../schemas/types'
import { approvalTokenOf, requestPermit, signup } from './helpers/flow'
import { client } from './helpers/http'
import { useTestServer } from './helpers/server'
import { root } from './helpers/verify-cli'

describe('the permit manifest, recomputed by clients', () => {
  const server = useTestServer()
  const api = client(() => server.url)
  const home = mkdtempSync(join(tmpdir(), 'oauth3-manifest-'))
  afterAll(() => rmSync(home, { recursive: true, force: true }))

  async function pendingView(): Promise<ApprovalView> {
    const agent = await signup(api)
    const permit = await requestPermit(api, agent.token)
    const view = await api.get<ApprovalView>(
      `/approve/${permit.request_id}?token=${approvalTokenOf(permit)}`,
    )
    expect(view.status).toBe(200)
    expect(view.body.manifest_sha256).toBe(permit.manifest_sha256)
    return view.body
  }

  it('equals the hash the server binds decisions to, and changes with what is shown', async () => {
    const view = await pendingView()
    expect(await manifestSha256(manifestOfApproval(view))).toBe(view.manifest_sha256)
    const changed: Array<(copy: ApprovalView) => void> = [
      (copy) => (copy.scope_request.description += '!'),
      (copy) => (copy.scope_request.capabilities[0].endpoint += '/x'),
      (copy) => (copy.scope_request.capabilities[0].method = 'DELETE'),
      (copy) => (copy.scope_request.max_executions += 1),
      (copy) => (copy.scope_request.ttl_seconds -= 1),
    ]
    for (const change of changed) {
      const copy = structuredClone(view)
      change(copy)
      expect(await manifestSha256(manifestOfApproval(copy))).not.toBe(view.manifest_sha256)
    }
  })

  it('oauth3 approve refuses a view that does not hash to its manifest, and decides nothing', async () => {
    const view = await pendingView()
    // A server that shows an innocent description but asks to approve the real manifest.
    const lying = { ...view, scope_request: { ...view.scope_request, description: 'Read only' } }
    const posts: string[] = []
    const liar = createServer((request, response) => {
      if (request.method === 'POST') posts.push(request.url ?? '')
      response.writeHead(200, { 'content-type': 'application/json' })
      response.end(JSON.stringify(request.method === 'GET' ? lying : { status: 'completed' }))
    })
    await new Promise<void>((resolve) => liar.listen(0, '127.0.0.1', resolve))
    const url = `http://127.0.0.1:${(liar.address() as AddressInfo).port}`
    try {
      const child = spawn(
        process.execPath,
        [join(root, 'bin', 'oauth3.mjs'), 'approve', `${url}/approve/${view.id}?token=t`, '--yes'],
        {
          env: { PATH: process.env.PATH, HOME: home, OAUTH3_URL: url, OAUTH3_TOKEN: 'oa3_owner_x' },
        },
      )
      let stderr = ''
      child.stderr.on('data', (chunk) => (stderr += chunk))
      const status = await new Promise((resolve) => child.once('close', resolve))
      expect(status).not.toBe(0)
      expect(stderr).toMatch(/other than the one its manifest_sha256 covers: nothing decided/)
      expect(posts).toEqual([])
    } finally {
      liar.close()
    }
  })
})
