/**
 * The home page in real Chromium: it says where this server runs in plain words and how to check
 * it, and a visitor runs each of the product page's three demos — Httpbin Echo, Check API Key,
 * TikTok Watch History — against local stand-ins for those services, approving in the page and
 * seeing the result with every secret masked. Agents asking for `/` still get the Markdown guide.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { expectText, hasChromium, screenshots, usePageWorld } from '../helpers/browser'
import { FAKE_KEYS, FAKE_SESSION_ID, startFakeWorld, type FakeWorld } from '../helpers/fake-world'
import { client } from '../helpers/http'

describe.skipIf(!hasChromium)('the home page', () => {
  let world: FakeWorld
  beforeAll(async () => {
    world = await startFakeWorld()
  })
  afterAll(() => world?.close())
  const pages = usePageWorld(() => ({
    env: { NITRO_UPSTREAM_MAP: JSON.stringify(world.upstreamMap) },
  }))

  it('opens for a visitor', async () => {
    await pages.session.page.goto(`${pages.base}/`)
    await expectText(pages.session.page.locator('h1'), 'Attested execution for AI agents')
  })

  it('says in plain words that this server is not attested, and how to check a server', async () => {
    const { page } = pages.session
    await expectText(page.locator('#trust'), 'does not run in a TEE: nothing about it is attested')
    await expectText(page.locator('#trust'), `npx oauth3 attest verify --url ${pages.base}`)
    await expectText(page.locator('header .tee'), 'Not in a TEE')
    await screenshots(page, 'home')
  })

  it('Httpbin Echo: one click, the echoed token is redacted', async () => {
    const demo = pages.session.page.locator('[data-demo="httpbin"]')
    await demo.getByRole('button', { name: 'Run Httpbin Echo' }).click()
    await demo.getByRole('button', { name: 'Approve' }).click()
    await expectText(demo.locator('[data-result]'), 'httpbin echoed POST')
    const result = await demo.locator('[data-result]').innerText()
    expect(result).toContain('[REDACTED]')
    const sent = world.servers.httpbin.seen.at(-1)!.headers.authorization as string
    expect(sent).toMatch(/^Bearer demo-[0-9a-f]{24}$/)
    // The page's own log masks the token too: it is nowhere in the page.
    expect(await pages.session.page.content()).not.toContain(sent.slice('Bearer '.length))
    await screenshots(pages.session.page, 'home-httpbin')
  })

  it('Check API Key: the pasted key is used inside the server and never shown', async () => {
    const demo = pages.session.page.locator('[data-demo="apikey"]')
    await demo.getByLabel('Service').selectOption('github')
    await demo.getByLabel('API key').fill(FAKE_KEYS.GH_TOKEN)
    await demo.getByRole('button', { name: 'Check this key' }).click()
    await demo.getByRole('button', { name: 'Approve' }).click()
    await expectText(demo.locator('[data-result]'), 'github: ok')
    expect(world.servers.github.seen.at(-1)?.headers.authorization).toBe(
      `token ${FAKE_KEYS.GH_TOKEN}`,
    )
    const steps = await demo.locator('[data-steps]').innerText()
    expect(steps).not.toContain(FAKE_KEYS.GH_TOKEN)
  })

  it('TikTok Watch History: pasted DevTools cookies fetch the history', async () => {
    const demo = pages.session.page.locator('[data-demo="tiktok"]')
    await demo
      .getByLabel('Cookies')
      .fill(
        `sessionid\t${FAKE_SESSION_ID}\t.tiktok.com\t/\t2027-06-01T00:00:00.000Z\t41\t✓\t✓\tNone\n` +
          'tt_csrf_token\tcsrf-value\t.tiktok.com\t/\tSession\t27\t✓\t✓\tLax',
      )
    await demo.getByRole('button', { name: 'Fetch my watch history' }).click()
    await demo.getByRole('button', { name: 'Approve' }).click()
    await expectText(demo.locator('[data-result]'), '10 videos')
    await expectText(demo.locator('[data-result]'), 'video 0')
    const steps = await demo.locator('[data-steps]').innerText()
    expect(steps).not.toContain(FAKE_SESSION_ID)
    await screenshots(pages.session.page, 'home-demos')
  })

  it('TikTok Watch History: signed in, with the session the extension keeps in the vault, no paste', async () => {
    const { page } = pages.session
    await page.goto(`${pages.base}/signin`)
    await page.getByLabel('Your name').fill('Ada')
    await page.getByRole('button', { name: 'Create account with a passkey' }).click()
    await page.locator('#created').waitFor()
    const ownerToken = (await page.locator('#owner-token-value').innerText()).trim()
    // The extension, as the API sees it: a pairing granted, cookies uploaded with its credential.
    const api = client(() => pages.server.url)
    const pairing = (
      await api.post('/extension/pairings', { sites: ['www.tiktok.com'], label: 'Test browser' })
    ).body
    await api.post(
      `/extension/pairings/${pairing.pairing_id}/decision`,
      { grant: true },
      { token: ownerToken },
    )
    const collected = (
      await api.post(`/extension/pairings/${pairing.pairing_id}/collect`, {
        pairing_token: pairing.pairing_token,
      })
    ).body
    const uploaded = await api.post(
      '/cookies/upload',
      {
        domain: 'www.tiktok.com',
        cookies: [{ name: 'sessionid', value: FAKE_SESSION_ID, domain: '.tiktok.com' }],
      },
      { token: collected.token },
    )
    expect(uploaded.status, uploaded.text).toBe(200)

    await page.goto(`${pages.base}/`)
    const demo = page.locator('[data-demo="tiktok"]')
    await expectText(
      demo,
      'Your TikTok session is in your vault, kept by the OAuth3 extension in Test browser',
    )
    expect(await demo.getByLabel('Cookies').isVisible()).toBe(false)
    await demo.getByRole('button', { name: 'Fetch my watch history' }).click()
    await demo.getByRole('button', { name: 'Approve' }).click()
    await expectText(demo.locator('[data-result]'), '10 videos')
    const steps = await demo.locator('[data-steps]').innerText()
    expect(steps).toContain('You approve it with your passkey')
    expect(steps).not.toContain('You get an owner account for this demo')
    expect(steps).not.toContain(FAKE_SESSION_ID)
  })

  it('no request from the page left the server origin', () => {
    expect(pages.session.requests.filter((url) => !url.startsWith(`${pages.base}/`))).toEqual([])
  })

  it('agents asking for / still get the Markdown guide', async () => {
    const response = await fetch(`${pages.base}/`)
    expect(response.headers.get('content-type')).toMatch(/^text\/markdown/)
    expect(await response.text()).toMatch(/^# OAuth3/)
  })
})
