/**
 * The owner's dashboard in real Chromium: a request from a bound agent appears on an open
 * dashboard within seconds, without a reload, and is decided from it; revoking a permit there makes
 * the agent's next execution fail with 403; secrets, cookies, agents and passkeys are managed in
 * the page; each execution and call shows in the permit's activity.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { expectCount, expectText, hasChromium, screenshots, usePageWorld } from '../helpers/browser'
import { execute } from '../helpers/exec'
import { GITHUB_CAPABILITY, pathOf, requestPermit } from '../helpers/flow'
import { client } from '../helpers/http'
import { fakeGithub, startUpstream, type Upstream } from '../helpers/upstream'

describe.skipIf(!hasChromium)('the dashboard', () => {
  let github: Upstream
  let agentToken: string
  beforeAll(async () => {
    github = await startUpstream(fakeGithub())
  })
  afterAll(() => github?.close())
  const world = usePageWorld(() => ({
    env: { NITRO_UPSTREAM_MAP: JSON.stringify({ 'https://api.github.com': github.origin }) },
    owner: 'Grace',
    colorScheme: 'dark',
  }))
  const api = client(() => world.server.url)

  it('opens on the signed-in owner', async () => {
    await world.session.page.goto(`${world.base}/dashboard`)
    await expectText(world.session.page.locator('h1'), 'Your dashboard')
    await expectText(world.session.page.locator('main'), 'Signed in as Grace')
  })

  it('mints an agent bound to the owner, its token shown once', async () => {
    const { page } = world.session
    await page.getByLabel("New agent's name").fill('helper-bot')
    await page.getByRole('button', { name: 'Create an agent bound to you' }).click()
    await expectText(page.locator('#agent-token'), 'shown this once')
    agentToken = (await page.locator('#agent-token code').innerText()).trim()
    expect(agentToken).toMatch(/^oa3_agent_/)
    await expectText(page.locator('#agents'), 'helper-bot')
  })

  it('a new request from that agent appears on the open dashboard, and is decided from it', async () => {
    const { page } = world.session
    await expectText(page.locator('#pending'), 'Nothing is waiting for you.')
    const permit = await requestPermit(api, agentToken, {
      description: 'Open issues for me',
      capabilities: [GITHUB_CAPABILITY],
    })
    const waiting = api.get(pathOf(permit.status_url))
    // No reload: the dashboard polls.
    await expectText(page.locator('#pending'), 'Open issues for me', 8_000)
    await screenshots(page, 'dashboard-pending')
    await page.getByRole('link', { name: 'Review and decide' }).click()
    // The bound owner reviews it without the approval link's token.
    await expectText(page.locator('h1'), /helper-bot asks for your permission/)
    await expectText(page.locator('dl.facts'), 'you')
    await page.getByLabel('Value for GH_TOKEN').fill('ghp_from_dashboard')
    await page.getByRole('button', { name: 'Approve' }).click()
    await expectText(page.locator('#outcome'), 'Approved')
    expect((await waiting).body.status).toBe('completed')
    const ran = await execute(api, agentToken, {
      permit_id: permit.permit_id,
      code: 'return await createIssue("grace", "repo", "Hi", "There")',
    })
    expect(ran.status).toBe('completed')
  })

  it("shows the permit's terms, use and activity", async () => {
    const { page } = world.session
    await page.goto(`${world.base}/dashboard`)
    const row = page.locator('#permits tr', { hasText: 'Open issues for me' })
    await expectText(row, 'active')
    await expectText(row, '1 / 1000')
    await row.getByRole('button', { name: 'Activity' }).click()
    await expectText(page.locator('#activity'), 'POST api.github.com/repos/grace/repo/issues')
    await expectText(page.locator('#activity'), '201')
    await screenshots(page, 'dashboard')
  })

  it("revoking from the dashboard makes the agent's next execution fail with 403", async () => {
    const { page } = world.session
    const row = page.locator('#permits tr', { hasText: 'Open issues for me' })
    const permitId = await row.getAttribute('data-permit-id')
    await row.getByRole('button', { name: 'Revoke Open issues for me' }).click()
    // It asks first (test/browser/human-side.test.ts has the rest of that story).
    await row.getByRole('group').getByRole('button', { name: 'Revoke' }).click()
    await expectText(page.locator('#status'), 'Revoked')
    await expectText(page.locator('#permits tr', { hasText: 'Open issues for me' }), 'revoked')
    const refused = await api.post(
      '/execute',
      { permit_id: permitId, code: 'return 1' },
      { token: agentToken },
    )
    expect(refused.status).toBe(403)
    expect(refused.body.code).toBe('PERMIT_REVOKED')
  })

  it('adds and deletes a secret, uploads cookies, lists passkeys', async () => {
    const { page } = world.session
    await page.getByLabel('Name', { exact: true }).fill('MY_API_KEY')
    await page.getByLabel('Value', { exact: true }).fill('value-never-shown')
    await page.getByRole('button', { name: 'Save secret' }).click()
    await expectText(page.locator('#secrets'), 'MY_API_KEY')
    expect(await page.content()).not.toContain('value-never-shown')

    await page.getByLabel('Site').fill('www.tiktok.com')
    await page
      .getByRole('textbox', { name: 'Cookies' })
      .fill('sessionid\tabc123secret\t.tiktok.com\t/\t2027-01-01T00:00:00.000Z\t31\t✓\t✓\tNone')
    await page.getByRole('button', { name: 'Upload cookies' }).click()
    await expectText(page.locator('#status'), 'as COOKIES_TIKTOK_COM')
    await expectText(
      page.locator('#secrets tr', { hasText: 'COOKIES_TIKTOK_COM' }),
      /cookies for (www\.)?tiktok\.com/,
    )

    await page.getByRole('button', { name: 'Delete MY_API_KEY' }).click()
    await page
      .getByRole('group', { name: /Delete MY_API_KEY\?/ })
      .getByRole('button', { name: 'Delete' })
      .click()
    await expectCount(page.locator('#secrets tr', { hasText: 'MY_API_KEY' }), 0)
    await expectText(page.locator('#passkeys'), 'passkey, added')
  })

  it('no request from the pages left the server origin', () => {
    expect(world.session.requests.filter((url) => !url.startsWith(`${world.base}/`))).toEqual([])
  })
})
