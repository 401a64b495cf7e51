/**
 * The human side, as an approver meets it in real Chromium: the way to sign in leads back to the
 * request; a visitor without a passkey is led to one before any decision; an empty missing secret
 * holds Approve back; constraints read as words; one time zone, the viewer's; an expired link says
 * what to do next; Revoke and Delete ask first; the last passkey goes only with its own assertion
 * (and a removed passkey is named as such at sign-in); the Permits table is live; tables keep
 * words whole on a phone; every column has a header; a favicon; axe finds nothing on any page.
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decide, GITHUB_CAPABILITY, requestPermit, signup } from '../helpers/flow'
import { client } from '../helpers/http'
import { expectCount, expectText, hasChromium, openSession, usePageWorld } from '../helpers/browser'
import { fakeGithub, startUpstream, type Upstream } from '../helpers/upstream'

/** Approval links last this long here, so that one can expire within the test. */
const APPROVAL_TTL_S = 12

// What page.evaluate callbacks use, run in the page: the test program has no DOM library.
declare const document: any
declare const window: any
declare const NodeFilter: any
declare const getComputedStyle: any

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')

/** axe-core's violations on the page as it is now (injected past the CSP, as DevTools does). */
async function axeViolations(page: Page): Promise<string[]> {
  await page.evaluate(AXE)
  const violations = await page.evaluate(async () => {
    const result = await (
      window as unknown as {
        axe: {
          run(): Promise<{ violations: Array<{ id: string; nodes: Array<{ target: string[] }> }> }>
        }
      }
    ).axe.run()
    return result.violations.map(
      (violation) =>
        `${violation.id}: ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`,
    )
  })
  return violations
}

/** A new owner with a passkey in a fresh profile, signed in; answers its token (shown once). */
async function newOwner(context: { page: Page }, base: string, name: string): Promise<string> {
  const { page } = context
  await page.goto(`${base}/signin`)
  await page.getByLabel('Your name').fill(name)
  await page.getByRole('button', { name: 'Create account with a passkey' }).click()
  await page.locator('#created').waitFor()
  return (await page.locator('#owner-token-value').innerText()).trim()
}

describe.skipIf(!hasChromium)('the human side', () => {
  let github: Upstream
  beforeAll(async () => {
    github = await startUpstream(fakeGithub())
  })
  afterAll(() => github?.close())
  const world = usePageWorld(() => ({
    env: {
      NITRO_UPSTREAM_MAP: JSON.stringify({ 'https://api.github.com': github.origin }),
      NITRO_APPROVAL_TTL_SECONDS: String(APPROVAL_TTL_S),
    },
  }))
  const api = client(() => world.server.url)
  const sessions: Array<{ close(): Promise<void> }> = []
  afterAll(async () => {
    for (const session of sessions) await session.close()
  })
  async function freshSession(options: { timezoneId?: string } = {}) {
    const session = await openSession(world.browser)
    sessions.push(session)
    if (options.timezoneId) {
      await session.cdp.send('Emulation.setTimezoneOverride', { timezoneId: options.timezoneId })
    }
    return session
  }
  const approvalPath = (url: string) => {
    const parsed = new URL(url)
    return `${world.base}${parsed.pathname}${parsed.search}`
  }

  it('serves a favicon, linked from every page', async () => {
    const ico = await fetch(`${world.server.url}/favicon.ico`)
    expect(ico.status).toBe(200)
    expect(ico.headers.get('content-type')).toBe('image/x-icon')
    const bytes = new Uint8Array(await ico.arrayBuffer())
    expect([...bytes.slice(0, 4)]).toEqual([0, 0, 1, 0])
    expect([...bytes.slice(22, 26)]).toEqual([0x89, 0x50, 0x4e, 0x47])
    const svg = await fetch(`${world.server.url}/favicon.svg`)
    expect(svg.headers.get('content-type')).toBe('image/svg+xml')
    const { page } = await freshSession()
    await page.goto(`${world.base}/`)
    expect(await page.locator('link[rel="icon"]').getAttribute('href')).toBe('/favicon.svg')
  })

  it('a visitor without a passkey is led to create one, and back to the request', async () => {
    const agent = await signup(api)
    const permit = await requestPermit(api, agent.token, {
      description: 'File issues on GitHub',
      capabilities: [GITHUB_CAPABILITY],
    })
    const session = await freshSession()
    const { page } = session
    await page.goto(approvalPath(permit.approval_url))
    await expectText(page.locator('h1'), /asks for your permission/)
    // No decision buttons before a passkey: the way to one instead.
    await expectCount(page.getByRole('button', { name: 'Approve' }), 0)
    await expectText(page.locator('#signin-first'), 'Sign in to decide')
    const back = `/signin?next=${encodeURIComponent(`/approve/${permit.request_id}`)}`
    expect(
      await page.getByRole('link', { name: 'Sign in', exact: true }).getAttribute('href'),
    ).toBe(back)
    await page.getByRole('link', { name: 'Sign in or create a passkey' }).click()
    await page.getByLabel('Your name').fill('Grace')
    await page.getByRole('button', { name: 'Create account with a passkey' }).click()
    await page.locator('#created').waitFor()
    await page.getByRole('link', { name: 'Continue' }).click()
    await expect.poll(() => new URL(page.url()).pathname).toBe(`/approve/${permit.request_id}`)
    await expectText(page.locator('h1'), /asks for your permission/)
    await expectCount(page.getByRole('button', { name: 'Approve' }), 1)
  })

  it('an empty missing secret holds Approve back until given or waived', async () => {
    const session = await freshSession()
    await newOwner(session, world.base, 'Hopper')
    const agent = await signup(api)
    const permit = await requestPermit(api, agent.token, {
      description: 'File issues on GitHub',
      capabilities: [GITHUB_CAPABILITY],
    })
    const { page } = session
    await page.goto(approvalPath(permit.approval_url))
    await page.getByRole('button', { name: 'Approve' }).click()
    await expectText(page.locator('#status'), 'GH_TOKEN is missing: enter its value')
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('secret-GH_TOKEN')
    const still = await api.get(`/execute/${permit.request_id}/status`, { token: agent.token })
    expect(still.body.status).toBe('pending')
    await page.getByLabel(/Approve without GH_TOKEN/).check()
    await page.getByRole('button', { name: 'Approve' }).click()
    await expectText(page.locator('#outcome'), 'Approved')
  })

  it('reads a constraint in words, and every time in the viewer’s own time zone', async () => {
    const agent = await signup(api)
    const constrained = {
      ...GITHUB_CAPABILITY,
      params: {
        ...GITHUB_CAPABILITY.params,
        owner: {
          in: 'path',
          constraint: { type: 'regex', pattern: '^ada$', rationale: 'Only my own repos' },
        },
      },
    }
    const permit = await requestPermit(api, agent.token, {
      description: 'Only in my repos',
      capabilities: [constrained],
    })
    const { page } = await freshSession({ timezoneId: 'Asia/Tokyo' })
    await page.goto(approvalPath(permit.approval_url))
    await expectText(
      page.locator('section.capability'),
      'owner is exactly "ada" (pattern "^ada$").',
    )
    const time = page.locator('dd time')
    const iso = (await time.getAttribute('datetime'))!
    const expected = new Date(iso).toLocaleString('en-US', {
      timeZone: 'Asia/Tokyo',
      dateStyle: 'medium',
      timeStyle: 'short',
    })
    await expectText(time, expected)
  })

  it('an expired approval link points to the dashboard', async () => {
    const agent = await signup(api)
    const permit = await requestPermit(api, agent.token, {
      description: 'Too slow',
      capabilities: [GITHUB_CAPABILITY],
    })
    await new Promise((resolve) => setTimeout(resolve, APPROVAL_TTL_S * 1000 + 500))
    const { page } = await freshSession()
    await page.goto(approvalPath(permit.approval_url))
    await expectText(page.locator('main'), /expired/i)
    expect(await page.getByRole('link', { name: 'Open your dashboard' }).count()).toBeGreaterThan(0)
  })

  it('the dashboard: live permits, Revoke and Delete ask first, headers for every column', async () => {
    const session = await freshSession()
    const ownerToken = await newOwner(session, world.base, 'Lovelace')
    const { page } = session
    await page.goto(`${world.base}/dashboard`)
    await expectText(page.locator('#permits'), 'No permits yet.')
    // Approved elsewhere (the API): the table shows it without a reload.
    const agent = await signup(api)
    const permit = await requestPermit(api, agent.token, {
      description: 'File issues on GitHub',
      capabilities: [GITHUB_CAPABILITY],
    })
    expect(
      (await decide(api, ownerToken, permit, 'approve', { secrets: { GH_TOKEN: 'ghp_x' } })).status,
    ).toBe(200)
    const row = page.locator(`tr[data-permit-id="${permit.permit_id}"]`)
    await expectText(row, 'active', 6_000)
    for (const header of await page.locator('th').allInnerTexts())
      expect(header.trim()).not.toBe('')

    // Revoke asks first; Cancel keeps the permit.
    await row.getByRole('button', { name: /Revoke/ }).click()
    const question = page.getByRole('group', { name: /Revoke “File issues on GitHub”\?/ })
    await question.getByRole('button', { name: 'Cancel' }).click()
    expect(
      (await api.get(`/sessions/${permit.permit_id}`, { token: ownerToken })).body.status,
    ).toBe('active')
    await row.getByRole('button', { name: /Revoke/ }).click()
    await question.getByRole('button', { name: 'Revoke' }).click()
    await expectText(row, 'revoked')

    // Revoked elsewhere: live too.
    const second = await requestPermit(api, agent.token, {
      description: 'Another',
      capabilities: [GITHUB_CAPABILITY],
    })
    await decide(api, ownerToken, second)
    const secondRow = page.locator(`tr[data-permit-id="${second.permit_id}"]`)
    await expectText(secondRow, 'active', 6_000)
    await api.delete(`/sessions/${second.permit_id}`, { token: ownerToken })
    await expectText(secondRow, 'revoked', 6_000)

    // Delete asks first.
    const secret = page.locator('#secrets tr', { hasText: 'GH_TOKEN' })
    await secret.getByRole('button', { name: 'Delete GH_TOKEN' }).click()
    await page
      .getByRole('group', { name: /Delete GH_TOKEN\?/ })
      .getByRole('button', { name: 'Delete' })
      .click()
    await expectText(page.locator('#secrets'), 'No secrets stored.')
  })

  it('tables keep words whole at 390 px, scrolling inside their box; axe finds nothing at 390 and 1280', async () => {
    const session = await freshSession()
    const ownerToken = await newOwner(session, world.base, 'Turing')
    const agent = await signup(api)
    const permit = await requestPermit(api, agent.token, {
      description: 'File issues on GitHub for the team',
      capabilities: [GITHUB_CAPABILITY],
    })
    await decide(api, ownerToken, permit, 'approve', { secrets: { GH_TOKEN: 'ghp_x' } })
    const { page } = session
    await page.setViewportSize({ width: 390, height: 844 })
    await page.goto(`${world.base}/dashboard`)
    await page.locator(`tr[data-permit-id="${permit.permit_id}"]`).waitFor()
    await page.locator('#secrets table').waitFor()
    const broken = await page.evaluate(() => {
      const found: string[] = []
      for (const cell of document.querySelectorAll('td, th')) {
        const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT)
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
          const text = node.textContent ?? ''
          for (const match of text.matchAll(/[A-Za-z]{2,20}/g)) {
            const range = document.createRange()
            range.setStart(node, match.index!)
            range.setEnd(node, match.index! + match[0].length)
            const lines = new Set([...range.getClientRects()].map((rect) => Math.round(rect.top)))
            if (lines.size > 1) found.push(match[0])
          }
        }
      }
      for (const button of document.querySelectorAll('td button')) {
        const style = getComputedStyle(button)
        if (button.getBoundingClientRect().height > parseFloat(style.lineHeight) * 2 + 20)
          found.push(`button ${button.textContent}`)
      }
      return found
    })
    expect(broken).toEqual([])
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390)
    expect(await axeViolations(page)).toEqual([])
    await page.setViewportSize({ width: 1280, height: 900 })
    expect(await axeViolations(page)).toEqual([])
    const pairing = (await api.post('/extension/pairings', { sites: ['www.tiktok.com'] })).body
    const connect = new URL(pairing.connect_url)
    for (const path of [
      '/',
      '/signin',
      `/approve/${permit.request_id}`,
      connect.pathname + connect.search,
    ]) {
      await page.goto(`${world.base}${path}`)
      for (const width of [390, 1280]) {
        await page.setViewportSize({ width, height: 900 })
        expect(await axeViolations(page), `${path} at ${width}`).toEqual([])
      }
    }
  })

  it('the last passkey goes only with its own assertion; sign-in then names it as removed', async () => {
    const session = await freshSession()
    const ownerToken = await newOwner(session, world.base, 'Noether')
    const { page } = session
    const passkeys = await api.get('/passkeys', { token: ownerToken })
    const [only] = passkeys.body.passkeys as Array<{ id: string }>
    // Without its assertion, the API refuses.
    const refused = await api.delete(`/passkeys/${only.id}`, { token: ownerToken })
    expect(refused.status).toBe(409)
    expect(refused.body.code).toBe('LAST_PASSKEY')

    await page.goto(`${world.base}/dashboard`)
    await page.getByRole('button', { name: /Remove passkey/ }).click()
    const question = page.getByRole('group', { name: /This is your only passkey/ })
    await expectText(question, 'without it you cannot sign in to these pages on any device')
    await question.getByRole('button', { name: 'Confirm with this passkey' }).click()
    await expectText(page.locator('#status'), 'Removed your last passkey')
    expect((await api.get('/passkeys', { token: ownerToken })).body.passkeys).toEqual([])

    // The authenticator still holds it: signing in with it says it was removed.
    await page.getByRole('button', { name: 'Sign out' }).click()
    await page.waitForURL(`${world.base}/`)
    await page.goto(`${world.base}/signin`)
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click()
    await expectText(page.locator('#status'), 'not registered here (it may have been removed)')
  })
})

export type { BrowserContext }
