/**
 * Real Chromium (Debian's package, driven by playwright-core; never a downloaded browser) for the
 * page tests: a virtual passkey authenticator through the DevTools protocol, every request the
 * pages make recorded, and screenshots of each page at 1280 px and 375 px in .test-results/.
 */
import { existsSync, mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import {
  chromium,
  type Browser,
  type BrowserContext,
  type CDPSession,
  type Locator,
  type Page,
} from 'playwright-core'
import { afterAll, beforeAll, expect } from 'vitest'
import { startServer, type RunningServer } from './server'

export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium'
export const hasChromium = existsSync(CHROMIUM)
if (!hasChromium) {
  console.log(
    `Chromium is not at ${CHROMIUM}: the browser tests are skipped (bash .ci/run installs it).`,
  )
}

const SCREENSHOTS = fileURLToPath(new URL('../../.test-results/screenshots/', import.meta.url))

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
}

export interface BrowserSession {
  context: BrowserContext
  page: Page
  cdp: CDPSession
  /** Every URL any page of this context requested. */
  requests: string[]
  close(): Promise<void>
}

/** A fresh profile with a virtual passkey authenticator (user verification always succeeds). */
export async function openSession(
  browser: Browser,
  options: { colorScheme?: 'light' | 'dark' } = {},
): Promise<BrowserSession> {
  const context = await browser.newContext({
    viewport: { width: 1280, height: 900 },
    colorScheme: options.colorScheme ?? 'light',
  })
  const requests: string[] = []
  context.on('request', (request) => requests.push(request.url()))
  const page = await context.newPage()
  const cdp = await addPasskeyAuthenticator(context, page)
  return { context, page, cdp, requests, close: () => context.close() }
}

/** A virtual passkey authenticator on `page` (user verification always succeeds). */
export async function addPasskeyAuthenticator(context: BrowserContext, page: Page) {
  const cdp = await context.newCDPSession(page)
  await cdp.send('WebAuthn.enable')
  await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  })
  return cdp
}

/** Full-page screenshots at 1280 px and 375 px: .test-results/screenshots/<name>-<width>.png */
export async function screenshots(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true })
  const original = page.viewportSize() ?? { width: 1280, height: 900 }
  for (const width of [1280, 375]) {
    await page.setViewportSize({ width, height: width === 375 ? 812 : 900 })
    await page.screenshot({ path: `${SCREENSHOTS}${name}-${width}.png`, fullPage: true })
  }
  await page.setViewportSize(original)
}

/** Wait until the first element of `locator` shows `expected` (a substring, or a pattern). */
export async function expectText(
  locator: Locator,
  expected: string | RegExp,
  timeout = 45_000,
): Promise<void> {
  const read = async () => ((await locator.count()) ? await locator.first().innerText() : '')
  const poll = expect.poll(read, { timeout, message: `text of ${locator}` })
  await (typeof expected === 'string' ? poll.toContain(expected) : poll.toMatch(expected))
}

/** Wait until `locator` matches exactly `count` elements. */
export async function expectCount(locator: Locator, count: number, timeout = 45_000) {
  await expect.poll(() => locator.count(), { timeout, message: `count of ${locator}` }).toBe(count)
}

/** Create an owner account with a passkey on /signin (the session then holds its passkey). */
export async function registerOwner(session: BrowserSession, base: string, name: string) {
  await session.page.goto(`${base}/signin`)
  await session.page.getByLabel('Your name').fill(name)
  await session.page.getByRole('button', { name: 'Create account with a passkey' }).click()
  await session.page.locator('#created').waitFor()
}

export interface PageWorld {
  server: RunningServer
  browser: Browser
  /** A browser profile with a virtual authenticator, signed in as `owner` when one was named. */
  session: BrowserSession
  /** The public origin (localhost: a passkey's relying party must be a host name). */
  base: string
}

/**
 * For one test file: the built server, Chromium and one browser session, started before the tests
 * (an owner registered when `owner` is named) and all stopped after them.
 */
export function usePageWorld(
  options: () => { env?: Record<string, string>; owner?: string; colorScheme?: 'light' | 'dark' },
): PageWorld {
  const world: Partial<PageWorld> = {}
  beforeAll(async () => {
    const { env, owner, colorScheme } = options()
    world.server = await startServer({ env })
    world.base = `http://localhost:${world.server.port}`
    world.browser = await launchBrowser()
    world.session = await openSession(world.browser, { colorScheme })
    if (owner) await registerOwner(world.session, world.base, owner)
  })
  afterAll(async () => {
    await world.session?.close()
    await world.browser?.close()
    await world.server?.stop()
  })
  return new Proxy({} as PageWorld, {
    get(_, property) {
      const value = world[property as keyof PageWorld]
      if (value === undefined) throw new Error('the page world has not started yet')
      return value
    },
  })
}
