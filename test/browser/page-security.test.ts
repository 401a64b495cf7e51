/**
 * The pages' security rules in real Chromium, with another origin (a local server of the test)
 * playing the attacker: the approval page inside that origin's iframe does not render (AP-07); a
 * cross-site form post to the decision endpoint, or to a state-changing API route with the owner's
 * session cookie, changes nothing (AP-02); every page carries the strict CSP and loads no inline
 * script; the token leaves the address bar (AP-08).
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hasChromium, usePageWorld } from '../helpers/browser'
import { GITHUB_CAPABILITY, pathOf, requestPermit, signup } from '../helpers/flow'
import { client } from '../helpers/http'

describe.skipIf(!hasChromium)('page security', () => {
  let attacker: Server
  let attackerOrigin: string
  let attackerPage = ''
  beforeAll(async () => {
    attacker = createServer((_, response) => {
      response.writeHead(200, { 'content-type': 'text/html' })
      response.end(attackerPage)
    })
    await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve))
    attackerOrigin = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}`
  })
  afterAll(() => new Promise((resolve) => attacker?.close(resolve)))
  const world = usePageWorld(() => ({ owner: 'Target' }))
  const api = client(() => world.server.url)

  async function pendingPermit() {
    const agent = await signup(api)
    const permit = await requestPermit(api, agent.token, {
      description: 'Attack target',
      capabilities: [GITHUB_CAPABILITY],
    })
    // The request's state now, without waiting for a decision.
    const state = async () =>
      (await api.get(`/execute/${permit.request_id}/status`, { token: agent.token })).body.status
    return { ...permit, state }
  }

  it('AP-07: the approval page in a cross-origin iframe does not render', async () => {
    const permit = await pendingPermit()
    attackerPage = `<!doctype html><iframe id="victim" src="${permit.approval_url}" width="800" height="600"></iframe>`
    const { page } = world.session
    await page.goto(attackerOrigin)
    await page.waitForTimeout(1000)
    expect(page.frames()).toHaveLength(2)
    for (const frame of page.frames()) {
      if (frame === page.mainFrame()) continue
      expect(frame.url()).not.toBe(permit.approval_url)
      expect(await frame.locator('button', { hasText: 'Approve' }).count()).toBe(0)
    }
    expect(await permit.state()).toBe('pending')
  })

  it('AP-02: a cross-site form post to the decision endpoint changes nothing', async () => {
    const permit = await pendingPermit()
    const token = new URL(permit.approval_url).searchParams.get('token')!
    attackerPage = `<!doctype html><form id="f" method="POST" action="${world.base}/approve/${permit.request_id}" enctype="text/plain">
<input name='{"token":"${token}","action":"approve","manifest_sha256":"${permit.manifest_sha256}","x":"' value='"}'>
</form><script>document.getElementById('f').submit()</script>`
    const { page } = world.session
    const answer = page.waitForResponse((response) =>
      response.url().startsWith(`${world.base}/approve/`),
    )
    await page.goto(attackerOrigin)
    expect([401, 403, 415]).toContain((await answer).status())
    expect(await permit.state()).toBe('pending')
  })

  it("AP-02: a cross-site form post with the owner's session cookie changes no state", async () => {
    attackerPage = `<!doctype html><form id="f" method="POST" action="${world.base}/secrets" enctype="text/plain">
<input name='{"name":"PLANTED","value":"' value='x"}'>
</form><script>document.getElementById('f').submit()</script>`
    const { page } = world.session
    const answer = page.waitForResponse((response) => response.url() === `${world.base}/secrets`)
    await page.goto(attackerOrigin)
    expect((await answer).status()).toBeGreaterThanOrEqual(400)
    // The owner's session, from its own page, sees no planted secret.
    await page.goto(`${world.base}/dashboard`)
    const listed = await page.evaluate(async () => (await fetch('/secrets')).text())
    expect(JSON.parse(listed).secrets).not.toContain('PLANTED')
  })

  it('with the session cookie, a state change needs the CSRF token; a read does not', async () => {
    const { page } = world.session
    await page.goto(`${world.base}/dashboard`)
    const csrf = (await page.locator('meta[name="csrf-token"]').getAttribute('content')) ?? ''
    const wrong = csrf.replace(/^./, (c: string) => (c === 'a' ? 'b' : 'a'))
    const results = await page.evaluate(
      async ({ csrf, wrong }) => {
        const post = (headers: Record<string, string>) =>
          fetch('/secrets', {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...headers },
            body: JSON.stringify({ name: 'CSRF_CHECK', value: 'v' }),
          }).then((response) => response.status)
        return {
          read: (await fetch('/secrets')).status,
          withoutToken: await post({}),
          wrongToken: await post({ 'x-csrf-token': wrong }),
          withToken: await post({ 'x-csrf-token': csrf }),
        }
      },
      { csrf, wrong },
    )
    expect(results).toEqual({ read: 200, withoutToken: 401, wrongToken: 401, withToken: 200 })
  })

  it('every page carries the strict CSP and no inline script', async () => {
    const permit = await pendingPermit()
    for (const path of ['/', '/signin', '/dashboard', pathOf(permit.approval_url)]) {
      const response = await fetch(`${world.base}${path}`, { headers: { accept: 'text/html' } })
      const csp = response.headers.get('content-security-policy') ?? ''
      expect(csp, path).toContain("script-src 'self'")
      expect(csp, path).toContain("frame-ancestors 'none'")
      expect(csp, path).not.toContain('unsafe-inline')
      expect(response.headers.get('x-frame-options'), path).toBe('DENY')
      expect(response.headers.get('referrer-policy'), path).toBe('no-referrer')
      const page = await response.text()
      const scripts = [...page.matchAll(/<script\b[^>]*>/g)].map(([tag]) => tag)
      for (const tag of scripts) expect(tag, path).toMatch(/ src="\/assets\/[a-z]+\.js"/)
      expect(page, path).not.toMatch(/ on[a-z]+="/)
    }
  })

  it('AP-08: the approval token is gone from the address bar once the page has loaded', async () => {
    const permit = await pendingPermit()
    const { page } = world.session
    await page.goto(permit.approval_url)
    await page.locator('#decision').waitFor()
    await expect.poll(() => page.url()).toBe(`${world.base}/approve/${permit.request_id}`)
  })

  it('rule 23: after a genuine passkey sign-in, next= is followed only to a path on this site', async () => {
    const { page } = world.session
    const attackerHost = attackerOrigin.replace('http://', '')
    attackerPage = '<title>phished</title>'
    const signInWith = async (next: string) => {
      await page.goto(`${world.base}/signin`)
      if (await page.locator('#signout').count()) {
        await page.locator('#signout').click()
        await page.waitForURL(`${world.base}/`)
      }
      await page.goto(`${world.base}/signin?next=${encodeURIComponent(next)}`)
      await page.getByRole('button', { name: 'Sign in with a passkey' }).click()
      await page.waitForURL((url) => url.pathname !== '/signin')
      return page.url()
    }
    for (const next of [
      `/\\${attackerHost}/phish`,
      `/\t/${attackerHost}/phish`,
      `//${attackerHost}/phish`,
      `${attackerOrigin}/phish`,
      'javascript:alert(1)',
    ]) {
      expect(await signInWith(next), next).toBe(`${world.base}/dashboard`)
    }
    expect(await signInWith('/?from=signin')).toBe(`${world.base}/?from=signin`)
  })
})
