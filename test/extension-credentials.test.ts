/**
 * Connecting the browser extension over real HTTP: a pairing the owner grants (or declines), a
 * credential collected once with the pairing token; the upload-only credential stores cookies for
 * the granted sites and nothing else (every other route is 401 to it), is listed with its last
 * use, and stops at once when revoked. The extension's zip is the same bytes build after build.
 */
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { signup } from './helpers/flow'
import { client } from './helpers/http'
import { useTestServer } from './helpers/server'

const server = useTestServer()
const api = client(() => server.url)
const root = fileURLToPath(new URL('..', import.meta.url))

const COOKIES = [{ name: 'sessionid', value: 'abc123', domain: '.tiktok.com', path: '/' }]

async function pairAndGrant(ownerToken: string, sites = ['www.tiktok.com']) {
  const started = await api.post('/extension/pairings', { sites, label: 'Test browser' })
  expect(started.status, started.text).toBe(201)
  const { pairing_id, pairing_token } = started.body
  const pending = await api.post(`/extension/pairings/${pairing_id}/collect`, { pairing_token })
  expect(pending.body).toEqual({ status: 'pending' })
  const decided = await api.post(
    `/extension/pairings/${pairing_id}/decision`,
    { grant: true },
    { token: ownerToken },
  )
  expect(decided.status, decided.text).toBe(200)
  const collected = await api.post(`/extension/pairings/${pairing_id}/collect`, { pairing_token })
  expect(collected.status).toBe(200)
  return { started: started.body, collected: collected.body }
}

describe('the extension’s pairing', () => {
  it('is granted by the owner, collected once with its token, for the sites asked', async () => {
    const owner = await signup(api, 'owner')
    const { started, collected } = await pairAndGrant(owner.token, ['www.tiktok.com', 'tiktok.com'])
    expect(started.code).toMatch(/^\d{4}-\d{4}$/)
    expect(new URL(started.connect_url).pathname + new URL(started.connect_url).search).toBe(
      `/extension/connect?pairing=${started.pairing_id}`,
    )
    expect(started.sites).toEqual(['tiktok.com'])
    expect(collected).toMatchObject({
      status: 'granted',
      token: expect.stringMatching(/^oa3_upload_/),
      sites: ['tiktok.com'],
      owner_name: expect.any(String),
    })
    // Once only; a wrong token learns nothing.
    const again = await api.post(`/extension/pairings/${started.pairing_id}/collect`, {
      pairing_token: started.pairing_token,
    })
    expect(again.status).toBe(404)
    const other = await api.post('/extension/pairings', { sites: ['example.com'] })
    const wrong = await api.post(`/extension/pairings/${other.body.pairing_id}/collect`, {
      pairing_token: started.pairing_token,
    })
    expect(wrong.status).toBe(404)
  })

  it('declined, it yields nothing; an agent cannot grant; a bad site is refused', async () => {
    const owner = await signup(api, 'owner')
    const agent = await signup(api)
    const started = (await api.post('/extension/pairings', { sites: ['tiktok.com'] })).body
    const byAgent = await api.post(
      `/extension/pairings/${started.pairing_id}/decision`,
      { grant: true },
      { token: agent.token },
    )
    expect(byAgent.status).toBe(403)
    await api.post(
      `/extension/pairings/${started.pairing_id}/decision`,
      { grant: false },
      { token: owner.token },
    )
    const collected = await api.post(`/extension/pairings/${started.pairing_id}/collect`, {
      pairing_token: started.pairing_token,
    })
    expect(collected.status).toBe(410)
    expect(collected.body.code).toBe('PAIRING_GONE')
    for (const sites of [[], ['not a host'], Array(21).fill('a.com')]) {
      const refused = await api.post('/extension/pairings', { sites })
      expect(refused.status, JSON.stringify(sites)).toBe(400)
    }
  })

  it('the connect page shows the sites and the code; a gone pairing says what to do', async () => {
    const started = (await api.post('/extension/pairings', { sites: ['www.tiktok.com'] })).body
    const page = await fetch(started.connect_url, { headers: { accept: 'text/html' } })
    const text = await page.text()
    expect(page.status).toBe(200)
    expect(text).toContain(started.code)
    expect(text).toContain('COOKIES_TIKTOK_COM')
    expect(text).toContain('Sign in or create a passkey')
    const gone = await fetch(`${server.url}/extension/connect?pairing=pair_${'0'.repeat(24)}`, {
      headers: { accept: 'text/html' },
    })
    expect(gone.status).toBe(410)
    expect(await gone.text()).toContain('connect again from the extension')
  })
})

describe('the upload-only credential', () => {
  it('stores cookies for its sites only, marked as the extension’s; nothing else accepts it', async () => {
    const owner = await signup(api, 'owner')
    const { collected } = await pairAndGrant(owner.token)
    const token = collected.token as string
    const stored = await api.post(
      '/cookies/upload',
      { domain: 'www.tiktok.com', cookies: COOKIES },
      { token },
    )
    expect(stored.status, stored.text).toBe(200)
    expect(stored.body).toMatchObject({ secret_name: 'COOKIES_TIKTOK_COM', count: 1 })
    const secrets = await api.get('/secrets', { token: owner.token })
    expect(secrets.body.entries).toContainEqual(
      expect.objectContaining({
        name: 'COOKIES_TIKTOK_COM',
        cookie_domain: 'tiktok.com',
        source: {
          kind: 'extension',
          credential_id: collected.credential_id,
          label: 'Test browser',
        },
      }),
    )
    const elsewhere = await api.post(
      '/cookies/upload',
      { domain: 'github.com', cookies: [{ name: 'a', value: 'b', domain: 'github.com' }] },
      { token },
    )
    expect(elsewhere.status).toBe(403)
    expect(elsewhere.body.code).toBe('SITE_NOT_GRANTED')
    for (const [method, path] of [
      ['GET', '/secrets'],
      ['GET', '/me'],
      ['GET', '/sessions'],
      ['POST', '/secrets'],
      ['GET', '/extension/credentials'],
      ['POST', '/execute'],
    ]) {
      const reply = await api.call(method, path, {
        token,
        ...(method === 'POST' ? { body: { name: 'X', value: 'y', code: 'return 1' } } : {}),
      })
      expect(reply.status, `${method} ${path}`).toBe(401)
    }
    // The owner by hand: the mark goes.
    await api.post(
      '/cookies/upload',
      { domain: 'tiktok.com', cookies: COOKIES },
      { token: owner.token },
    )
    const after = await api.get('/secrets', { token: owner.token })
    const entry = after.body.entries.find(
      (each: { name: string }) => each.name === 'COOKIES_TIKTOK_COM',
    )
    expect(entry.source).toBeUndefined()
  })

  it('the approval page says which browser keeps a cookie secret, and when it last synced', async () => {
    const owner = await signup(api, 'owner')
    const agent = await signup(api)
    const { collected } = await pairAndGrant(owner.token)
    await api.post(
      '/cookies/upload',
      { domain: 'tiktok.com', cookies: COOKIES },
      { token: collected.token },
    )
    const permit = await api.post(
      '/permit',
      { skill_id: 'tiktok-watch-history', description: 'My history' },
      { token: agent.token },
    )
    const link = new URL(permit.body.approval_url)
    const view = await api.get(`${link.pathname}${link.search}`, { token: owner.token })
    expect(view.body.scope_request.synced_secrets).toEqual({
      COOKIES_TIKTOK_COM: { extension: 'Test browser', synced_at: expect.any(Number) },
    })
    const page = await fetch(permit.body.approval_url, {
      headers: { accept: 'text/html', authorization: `Bearer ${owner.token}` },
    })
    expect(await page.text()).toMatch(
      /kept by the extension in Test browser, last synced\s+<time datetime="/,
    )
  })

  it('is listed with its last use, and revoked it stops at once', async () => {
    const owner = await signup(api, 'owner')
    const { collected } = await pairAndGrant(owner.token)
    const before = (await api.get('/extension/credentials', { token: owner.token })).body
    expect(before.credentials).toEqual([
      expect.objectContaining({
        id: collected.credential_id,
        sites: ['tiktok.com'],
        label: 'Test browser',
      }),
    ])
    expect(before.credentials[0].last_used_at).toBeUndefined()
    await api.post(
      '/cookies/upload',
      { domain: 'tiktok.com', cookies: COOKIES },
      { token: collected.token },
    )
    const used = (await api.get('/extension/credentials', { token: owner.token })).body
    expect(used.credentials[0].last_used_at).toBeGreaterThan(0)
    // Another owner cannot see or revoke it.
    const stranger = await signup(api, 'owner')
    expect(
      (await api.get('/extension/credentials', { token: stranger.token })).body.credentials,
    ).toEqual([])
    expect(
      (
        await api.delete(`/extension/credentials/${collected.credential_id}`, {
          token: stranger.token,
        })
      ).status,
    ).toBe(404)
    const revoked = await api.delete(`/extension/credentials/${collected.credential_id}`, {
      token: owner.token,
    })
    expect(revoked.status).toBe(200)
    const refused = await api.post(
      '/cookies/upload',
      { domain: 'tiktok.com', cookies: COOKIES },
      { token: collected.token },
    )
    expect(refused.status).toBe(401)
  })
})

describe('the extension', () => {
  it('asks for nothing beyond cookies, storage and alarms; no content script; a strict CSP', () => {
    const manifest = JSON.parse(readFileSync(`${root}extension/manifest.json`, 'utf8'))
    expect(manifest.manifest_version).toBe(3)
    expect(manifest.permissions.sort()).toEqual(['alarms', 'cookies', 'storage'])
    expect(manifest.host_permissions).toBeUndefined()
    expect(manifest.content_scripts).toBeUndefined()
    expect(manifest.externally_connectable).toBeUndefined()
    expect(manifest.content_security_policy.extension_pages).toMatch(/script-src 'self';/)
    for (const file of ['popup.js', 'background.js', 'common.js']) {
      const source = readFileSync(`${root}extension/${file}`, 'utf8')
      expect(source, file).not.toMatch(
        /\beval\(|new Function|importScripts\(|https?:\/\/(?!localhost)[a-z]/i,
      )
    }
  })

  it('builds to the same zip, build after build', () => {
    // Into folders of its own: the build's .output is read by other tests meanwhile.
    const build = () => {
      const out = mkdtempSync(join(tmpdir(), 'oauth3-extension-zip-'))
      try {
        const said = execFileSync(process.execPath, ['scripts/build-extension.mjs', out], {
          cwd: root,
          encoding: 'utf8',
        })
        const sha = readFileSync(join(out, 'oauth3-extension.zip.sha256'), 'utf8').split(' ')[0]
        const zip = readFileSync(join(out, 'oauth3-extension.zip'))
        expect(createHash('sha256').update(zip).digest('hex')).toBe(sha)
        return said.split(' → ')[0]
      } finally {
        rmSync(out, { recursive: true, force: true })
      }
    }
    const first = build()
    expect(first).toMatch(/^extension [0-9a-f]{64} \(6 files\)$/)
    expect(build()).toBe(first)
  })
})
