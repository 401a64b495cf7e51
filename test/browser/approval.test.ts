/**
 * The approval page in real Chromium, with a virtual passkey authenticator: an owner registers a
 * passkey, opens an approval link, reads the capability in plain words, adds the missing secret
 * and approves — the agent's waiting long-poll answers `completed`, and the secret works. Deny
 * likewise. Once decided, the page offers no second decision. The token leaves the address bar.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { execute } from '../helpers/exec'
import { GITHUB_CAPABILITY, pathOf, requestPermit, signup } from '../helpers/flow'
import { client } from '../helpers/http'
import { expectCount, expectText, hasChromium, screenshots, usePageWorld } from '../helpers/browser'
import { fakeGithub, startUpstream, type Upstream } from '../helpers/upstream'

describe.skipIf(!hasChromium)('the approval page', () => {
  let github: Upstream
  beforeAll(async () => {
    github = await startUpstream(fakeGithub())
  })
  afterAll(() => github?.close())
  const world = usePageWorld(() => ({
    env: { NITRO_UPSTREAM_MAP: JSON.stringify({ 'https://api.github.com': github.origin }) },
    owner: 'Ada',
  }))
  const api = client(() => world.server.url)

  it('the sign-in page registered the owner with a passkey', async () => {
    await world.session.page.goto(`${world.base}/signin`)
    await expectText(world.session.page.locator('h1'), 'Signed in as Ada')
    await screenshots(world.session.page, 'signin')
  })

  it('approve: the owner reads the capability, adds the missing secret, confirms with a passkey', async () => {
    const agent = await signup(api)
    const permit = await requestPermit(api, agent.token, {
      description: 'File issues on GitHub',
      capabilities: [GITHUB_CAPABILITY],
    })
    // The agent waits on its status_url, as agents do.
    const waiting = api.get(pathOf(permit.status_url))

    const { page } = world.session
    await page.goto(permit.approval_url)
    await expect.poll(() => page.url()).toBe(`${world.base}/approve/${permit.request_id}`)
    await expectText(page.locator('h1'), /asks for your permission/)
    const capability = page.locator('section.capability')
    await expectText(
      capability,
      'Changes data at api.github.com (POST /repos/{owner}/{repo}/issues), using your GH_TOKEN.',
    )
    await expectText(capability.locator('.badge.missing'), 'missing')
    await expectText(page.locator('dl.facts'), 'not yet bound — approving binds this agent to you')
    await screenshots(page, 'approval')

    await page.getByLabel('Value for GH_TOKEN').fill('ghp_browser_approved')
    await page.getByLabel('Maximum executions').fill('5')
    await page.getByRole('button', { name: 'Approve' }).click()
    await expectText(page.locator('#outcome'), 'Approved')
    await screenshots(page, 'approval-approved')

    const decided = await waiting
    expect(decided.body.status).toBe('completed')
    const session = await api.get(`/sessions/${permit.permit_id}`, { token: agent.token })
    expect(session.body).toMatchObject({ status: 'active', max_executions: 5 })
    // The secret given on the page is the one the capability uses.
    const ran = await execute(api, agent.token, {
      permit_id: permit.permit_id,
      code: 'return await createIssue("ada", "repo", "Hi", "From the page")',
    })
    expect(ran.status, JSON.stringify(ran)).toBe('completed')
    expect(github.seen.at(-1)?.headers.authorization).toBe('token ghp_browser_approved')
  })

  it('deny: the agent learns it at once', async () => {
    const agent = await signup(api)
    const permit = await requestPermit(api, agent.token, {
      description: 'Something I will refuse',
      capabilities: [GITHUB_CAPABILITY],
    })
    const waiting = api.get(pathOf(permit.status_url))
    const { page } = world.session
    await page.goto(permit.approval_url)
    await page.getByRole('button', { name: 'Deny' }).click()
    await expectText(page.locator('#outcome'), 'Denied')
    expect((await waiting).body.status).toBe('denied')
  })

  it('once decided, the page offers no second decision', async () => {
    const agent = await signup(api)
    const permit = await requestPermit(api, agent.token, {
      description: 'Decide me once',
      capabilities: [GITHUB_CAPABILITY],
    })
    const { page } = world.session
    await page.goto(permit.approval_url)
    await page.getByRole('button', { name: 'Deny' }).click()
    await expectText(page.locator('#outcome'), 'Denied')
    await expectCount(page.getByRole('button', { name: 'Approve' }), 0)

    await page.goto(permit.approval_url)
    await expectText(page.locator('h1'), 'Nothing left to decide')
    await expectCount(page.getByRole('button', { name: 'Approve' }), 0)
    await expectCount(page.getByRole('button', { name: 'Deny' }), 0)
    await screenshots(page, 'approval-decided')
    const after = await api.get(pathOf(permit.status_url))
    expect(after.body.status).toBe('denied')
  })

  it('a wrong token gets a clear page and no form', async () => {
    const agent = await signup(api)
    const permit = await requestPermit(api, agent.token, {
      description: 'Wrong token',
      capabilities: [GITHUB_CAPABILITY],
    })
    const { page } = world.session
    const response = await page.goto(
      `${world.base}/approve/${permit.request_id}?token=oa3_approval_${'A'.repeat(43)}`,
    )
    expect(response?.status()).toBe(403)
    await expectText(page.locator('h1'), 'This approval link is not valid')
    await expectCount(page.locator('form'), 0)
  })

  it('a reload after the token left the address bar still shows the request', async () => {
    const agent = await signup(api)
    const permit = await requestPermit(api, agent.token, {
      description: 'Reload me',
      capabilities: [GITHUB_CAPABILITY],
    })
    const { page } = world.session
    await page.goto(permit.approval_url)
    await expect.poll(() => page.url()).toBe(`${world.base}/approve/${permit.request_id}`)
    await page.reload()
    await expectText(page.locator('h1'), /asks for your permission/)
    await expect.poll(() => page.url()).toBe(`${world.base}/approve/${permit.request_id}`)
  })

  it('no request from the pages left the server origin', () => {
    expect(world.session.requests.length).toBeGreaterThan(10)
    expect(world.session.requests.filter((url) => !url.startsWith(`${world.base}/`))).toEqual([])
  })
})
