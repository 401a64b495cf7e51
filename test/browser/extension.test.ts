/**
 * The browser extension, unpacked in real Chromium (--load-extension), against the real server:
 * the popup connects (the server's page opens; the owner creates a passkey there, sees the same
 * code and grants), cookies set for the granted site reach the vault (checked by name and by the
 * extension's mark, never by value), a cookie change syncs again, a site this browser did not
 * grant is never read, the dashboard lists the browser, and disconnecting it there stops syncs
 * with a clear state in the popup. Screenshots of the popup at each step.
 *
 * The browser asks a person before granting host permissions, and no automation can answer it:
 * the copy of the extension loaded here declares the granted site and the server as host
 * permissions already, so the popup's request for them is answered at once, as after a yes.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { client } from '../helpers/http'
import { addPasskeyAuthenticator, CHROMIUM, expectText, hasChromium } from '../helpers/browser'
import { startServer, type RunningServer } from '../helpers/server'

const root = fileURLToPath(new URL('../../', import.meta.url))
const SCREENSHOTS = join(root, '.test-results', 'screenshots')
const GRANTED = 'site-a.example'
const NOT_GRANTED = 'site-b.example'

interface SecretEntry {
  name: string
  updated_at: number
  source?: { kind: string; label: string }
}

describe.skipIf(!hasChromium)('the browser extension', () => {
  let server: RunningServer
  let context: BrowserContext
  let work: string
  let base: string
  let popup: Page
  let ownerToken = ''
  const api = client(() => server.url)

  beforeAll(async () => {
    server = await startServer()
    base = `http://localhost:${server.port}`
    work = mkdtempSync(join(tmpdir(), 'oauth3-extension-'))
    const unpacked = join(work, 'extension')
    cpSync(join(root, 'extension'), unpacked, { recursive: true })
    const manifest = JSON.parse(readFileSync(join(unpacked, 'manifest.json'), 'utf8'))
    manifest.host_permissions = [
      'http://localhost/*',
      `https://${GRANTED}/*`,
      `https://*.${GRANTED}/*`,
    ]
    writeFileSync(join(unpacked, 'manifest.json'), JSON.stringify(manifest, null, 2))
    context = await chromium.launchPersistentContext(join(work, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 420, height: 640 },
      args: [
        `--disable-extensions-except=${unpacked}`,
        `--load-extension=${unpacked}`,
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
      ],
    })
    const worker = context.serviceWorkers()[0] ?? (await context.waitForEvent('serviceworker'))
    const id = new URL(worker.url()).host
    popup = await context.newPage()
    await popup.goto(`chrome-extension://${id}/popup.html`)
    mkdirSync(SCREENSHOTS, { recursive: true })
  }, 60_000)
  afterAll(async () => {
    await context?.close()
    await server?.stop()
    if (work) rmSync(work, { recursive: true, force: true })
  })

  const shot = (name: string) =>
    popup.screenshot({ path: join(SCREENSHOTS, `extension-${name}.png`), fullPage: true })

  async function secrets(): Promise<SecretEntry[]> {
    return (await api.get('/secrets', { token: ownerToken })).body.entries
  }
  const jar = (site: string) => popup.locator(`#jars li[data-site="${site}"]`)

  it('connects: the server’s page opens, the owner creates a passkey, sees the same code, grants', async () => {
    await popup.locator('#server').fill(base)
    await popup.locator('#sites').fill(`www.${GRANTED}`)
    await popup.locator('#label').fill('Test Chromium')
    await shot('connect')
    const opened = context.waitForEvent('page', (page) => page.url().includes('/extension/connect'))
    await popup.getByRole('button', { name: 'Connect' }).click()
    const page = await opened
    const code = (await popup.locator('#code').innerText()).trim()
    expect(code).toMatch(/^\d{4}-\d{4}$/)
    await shot('connecting')

    await addPasskeyAuthenticator(context, page)
    await page.waitForLoadState()
    expect((await page.locator('#pairing-code').innerText()).trim()).toBe(code)
    await expectText(page.locator('main'), 'COOKIES_SITE_A_EXAMPLE')
    await page.getByRole('link', { name: 'Sign in or create a passkey' }).click()
    await page.getByLabel('Your name').fill('Ada')
    await page.getByRole('button', { name: 'Create account with a passkey' }).click()
    await page.locator('#created').waitFor()
    ownerToken = (await page.locator('#owner-token-value').innerText()).trim()
    await page.getByRole('link', { name: 'Continue' }).click()
    await page.getByRole('button', { name: 'Grant' }).click()
    await expectText(page.locator('#outcome'), 'Connected')

    // The extension collects its credential on its own: connected, nothing to sync yet.
    await expect
      .poll(() => jar(GRANTED).getAttribute('data-status'), { timeout: 20_000 })
      .toBe('empty')
    await expectText(popup.locator('main'), 'as Ada')
  })

  it('a granted site’s cookies reach the vault, and a change syncs again', async () => {
    const expires = Math.floor(Date.now() / 1000) + 3600
    await context.addCookies([
      {
        name: 'sessionid',
        value: 'v1',
        domain: `.${GRANTED}`,
        path: '/',
        secure: true,
        sameSite: 'Lax',
        expires,
      },
    ])
    const named = () =>
      secrets().then((entries) => entries.find((entry) => entry.name === 'COOKIES_SITE_A_EXAMPLE'))
    await expect.poll(named, { timeout: 20_000 }).toMatchObject({
      source: { kind: 'extension', label: 'Test Chromium' },
    })
    await expect
      .poll(() => jar(GRANTED).getAttribute('data-status'), { timeout: 10_000 })
      .toBe('ok')
    await expectText(jar(GRANTED), 'synced just now · 1 cookies')
    await shot('synced')
    const first = (await named())!.updated_at

    await context.addCookies([
      {
        name: 'theme',
        value: 'dark',
        domain: `.${GRANTED}`,
        path: '/',
        secure: true,
        sameSite: 'Lax',
        expires,
      },
    ])
    await expect
      .poll(async () => (await named())!.updated_at, { timeout: 20_000 })
      .toBeGreaterThan(first)
    await expectText(jar(GRANTED), '2 cookies', 10_000)
  })

  it('never reads a site this browser did not grant', async () => {
    await context.addCookies([
      {
        name: 'secret',
        value: 'b',
        domain: `.${NOT_GRANTED}`,
        path: '/',
        secure: true,
        sameSite: 'Lax',
      },
    ])
    // A jar for it (as if its permission had been withdrawn in chrome://extensions), synced now.
    const answer = await popup.evaluate(async (site) => {
      const chromeApi = (globalThis as unknown as { chrome: any }).chrome
      const { jars } = await chromeApi.storage.local.get('jars')
      await chromeApi.storage.local.set({ jars: { ...jars, [site]: { status: 'pending' } } })
      return chromeApi.runtime.sendMessage({ type: 'sync', site })
    }, NOT_GRANTED)
    expect(answer).toMatchObject({ ok: true })
    await expect.poll(() => jar(NOT_GRANTED).getAttribute('data-status')).toBe('not-granted')
    await expectText(jar(NOT_GRANTED), 'this browser has not granted the site')
    expect((await secrets()).map((entry) => entry.name)).not.toContain('COOKIES_SITE_B_EXAMPLE')
  })

  it('listed on the dashboard; disconnected there, it stops syncing and says so', async () => {
    const dashboard = await context.newPage()
    await dashboard.goto(`${base}/dashboard`)
    const row = dashboard.locator('#extensions tr', { hasText: 'Test Chromium' })
    await expectText(row, GRANTED)
    await expectText(dashboard.locator('#secrets'), 'from the extension in Test Chromium')
    await row.getByRole('button', { name: 'Disconnect Test Chromium' }).click()
    await dashboard
      .getByRole('group', { name: /Disconnect Test Chromium\?/ })
      .getByRole('button', { name: 'Disconnect' })
      .click()
    await expectText(dashboard.locator('#extensions'), 'No browser is connected.')
    const before = (await secrets()).find(
      (entry) => entry.name === 'COOKIES_SITE_A_EXAMPLE',
    )!.updated_at

    await context.addCookies([
      {
        name: 'sessionid',
        value: 'v2',
        domain: `.${GRANTED}`,
        path: '/',
        secure: true,
        sameSite: 'Lax',
      },
    ])
    await expectText(popup.locator('#revoked'), 'disconnected on the server', 20_000)
    await shot('revoked')
    const after = (await secrets()).find(
      (entry) => entry.name === 'COOKIES_SITE_A_EXAMPLE',
    )!.updated_at
    expect(after).toBe(before)
    await dashboard.close()
  })
})
