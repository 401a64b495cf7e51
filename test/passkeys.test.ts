/**
 * The passkey endpoints and the pages' rules over plain HTTP (the ceremonies themselves run in
 * Chromium, test/browser/): a ceremony starts only from our own origin; a challenge serves once and
 * for its own purpose; an answer that is not a valid passkey response is refused; a decision
 * without a bearer token needs a passkey and our origin (AP-15); a session cookie that is not ours
 * is nobody. The approval page shows hosts in ASCII and makes hidden characters visible.
 */
import { describe, expect, it } from 'vitest'
import { GITHUB_CAPABILITY, requestPermit, signup } from './helpers/flow'
import { client } from './helpers/http'
import { useTestServer } from './helpers/server'

const server = useTestServer()
const api = client(() => server.url)
const origin = () => `http://localhost:${server.port}`

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  api.post(path, body, { headers })

describe('passkey ceremonies', () => {
  it('start only from our own origin', async () => {
    const attempts: Array<Record<string, string>> = [
      { origin: 'https://evil.example' },
      { 'sec-fetch-site': 'cross-site' },
      { origin: origin(), 'sec-fetch-site': 'cross-site' },
    ]
    for (const headers of attempts) {
      const reply = await post('/passkeys/options', { purpose: 'signin' }, headers)
      expect(reply.status, JSON.stringify(headers)).toBe(403)
      expect(reply.body.code).toBe('CROSS_SITE_REQUEST')
    }
    const ours = await post('/passkeys/options', { purpose: 'signin' }, { origin: origin() })
    expect(ours.status).toBe(200)
    expect(ours.body.challenge_id).toMatch(/^[a-f0-9]{32}$/)
    expect(ours.body.options).toMatchObject({
      rpId: 'localhost',
      userVerification: 'required',
      challenge: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    })
  })

  it('registration options ask for a discoverable, user-verified passkey', async () => {
    const reply = await post(
      '/passkeys/options',
      { purpose: 'register', name: 'Ada' },
      { origin: origin() },
    )
    expect(reply.status).toBe(200)
    expect(reply.body.options).toMatchObject({
      rp: { id: 'localhost', name: 'OAuth3' },
      user: { name: 'Ada' },
      attestation: 'none',
      authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
    })
    // An agent's token cannot add a passkey: only an owner's.
    const agent = await signup(api)
    const asAgent = await post(
      '/passkeys/options',
      { purpose: 'register' },
      { origin: origin(), authorization: `Bearer ${agent.token}` },
    )
    expect(asAgent.status).toBe(403)
  })

  it('a forged answer is refused, and the challenge is then spent', async () => {
    const { body } = await post('/passkeys/options', { purpose: 'signin' }, { origin: origin() })
    const forged = {
      id: 'AAAA',
      rawId: 'AAAA',
      type: 'public-key',
      response: { clientDataJSON: 'e30', authenticatorData: 'AA', signature: 'AA' },
      clientExtensionResults: {},
    }
    const first = await post(
      '/passkeys/signin',
      { challenge_id: body.challenge_id, response: forged },
      { origin: origin() },
    )
    expect(first.status).toBe(401)
    expect(first.body.code).toBe('PASSKEY_REJECTED')
    const again = await post(
      '/passkeys/signin',
      { challenge_id: body.challenge_id, response: forged },
      { origin: origin() },
    )
    expect(again.status).toBe(400)
    expect(again.body.code).toBe('PASSKEY_CHALLENGE_INVALID')
  })

  it('a challenge serves only its own purpose', async () => {
    const { body } = await post('/passkeys/options', { purpose: 'signin' }, { origin: origin() })
    const wrong = await post(
      '/passkeys/register',
      { challenge_id: body.challenge_id, response: { id: 'AAAA' } },
      { origin: origin() },
    )
    expect(wrong.body.code).toBe('PASSKEY_CHALLENGE_INVALID')
  })

  it('a decision challenge needs the approval token (or the bound owner)', async () => {
    const agent = await signup(api)
    const permit = await requestPermit(api, agent.token, {
      description: 'Decide with a passkey',
      capabilities: [GITHUB_CAPABILITY],
    })
    const decision = {
      purpose: 'decision',
      request_id: permit.request_id,
      action: 'approve',
      manifest_sha256: permit.manifest_sha256,
    }
    const noToken = await post('/passkeys/options', decision, { origin: origin() })
    expect(noToken.status).toBe(403)
    expect(noToken.body.code).toBe('INVALID_APPROVAL_TOKEN')
    const token = new URL(permit.approval_url).searchParams.get('token')!
    const stale = await post(
      '/passkeys/options',
      { ...decision, token, manifest_sha256: 'f'.repeat(64) },
      { origin: origin() },
    )
    expect(stale.body.code).toBe('MANIFEST_CHANGED')
    const ok = await post('/passkeys/options', { ...decision, token }, { origin: origin() })
    expect(ok.status).toBe(200)
  })
})

describe('decisions without a bearer token', () => {
  it('AP-15: from anywhere but our pages, no bearer token is 401', async () => {
    const agent = await signup(api)
    const permit = await requestPermit(api, agent.token, {
      description: 'No token',
      capabilities: [GITHUB_CAPABILITY],
    })
    const token = new URL(permit.approval_url).searchParams.get('token')!
    const body = { token, action: 'approve', manifest_sha256: permit.manifest_sha256 }
    expect((await post(`/approve/${permit.request_id}`, body)).status).toBe(401)
    expect(
      (await post(`/approve/${permit.request_id}`, body, { origin: 'https://evil.example' }))
        .status,
    ).toBe(401)
    // From our origin but with no passkey: still nobody.
    expect((await post(`/approve/${permit.request_id}`, body, { origin: origin() })).status).toBe(
      401,
    )
  })

  it('a passkey answer for another challenge purpose cannot decide', async () => {
    const agent = await signup(api)
    const permit = await requestPermit(api, agent.token, {
      description: 'Wrong purpose',
      capabilities: [GITHUB_CAPABILITY],
    })
    const token = new URL(permit.approval_url).searchParams.get('token')!
    const signin = await post('/passkeys/options', { purpose: 'signin' }, { origin: origin() })
    const reply = await post(
      `/approve/${permit.request_id}`,
      {
        token,
        action: 'approve',
        manifest_sha256: permit.manifest_sha256,
        passkey: { challenge_id: signin.body.challenge_id, response: { id: 'AAAA' } },
      },
      { origin: origin() },
    )
    expect(reply.body.code).toBe('PASSKEY_CHALLENGE_INVALID')
  })

  it('a made-up session cookie is nobody', async () => {
    const response = await fetch(`${server.url}/secrets`, {
      headers: { cookie: `oauth3_session=${'A'.repeat(43)}` },
    })
    expect(response.status).toBe(401)
  })
})

describe('the approval page', () => {
  it('shows an internationalized host in ASCII, with the form browsers show beside it', async () => {
    const agent = await signup(api)
    const permit = await requestPermit(api, agent.token, {
      description: 'Order from a shop',
      capabilities: [
        {
          ...GITHUB_CAPABILITY,
          name: 'shop.order',
          endpoint: 'https://shöp.de/orders/{owner}/{repo}',
          auth: { header: 'Authorization', value: 'Bearer {SHOP_TOKEN}' },
          description: 'Places an order',
        },
      ],
    })
    const response = await fetch(permit.approval_url.replace(origin(), server.url), {
      headers: { accept: 'text/html' },
    })
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toMatch(/^text\/html/)
    const page = await response.text()
    expect(page).toMatch(/<code>xn--shp-tna\.de<\/code\s*>/)
    expect(page).toContain('shown by browsers as shöp.de')
    expect(page).toContain('Changes data at xn--shp-tna.de (POST /orders/{owner}/{repo})')
  })

  it('a skill-bound request shows the skill, its author and the code that will run', async () => {
    const agent = await signup(api)
    const permit = await requestPermit(api, agent.token, {
      description: 'File an issue with a skill',
      skill_id: 'github-create-issue',
    })
    const page = await (
      await fetch(permit.approval_url.replace(origin(), server.url), {
        headers: { accept: 'text/html' },
      })
    ).text()
    expect(page).toMatch(/Skill github-create-issue 1\.0\.0/)
    expect(page).toMatch(/<dt>Author<\/dt>\s*<dd>OAuth3<\/dd>/)
    expect(page).toContain(
      'const issue = await createIssue(args.owner, args.repo, args.title, args.body ?? &#39;&#39;)',
    )
  })

  it('escapes what the agent wrote', async () => {
    const agent = await signup(api)
    const permit = await requestPermit(api, agent.token, {
      description: '<img src=x onerror=alert(1)>',
      capabilities: [GITHUB_CAPABILITY],
    })
    const page = await (
      await fetch(permit.approval_url.replace(origin(), server.url), {
        headers: { accept: 'text/html' },
      })
    ).text()
    expect(page).toContain('&lt;img src=x onerror=alert(1)&gt;')
    expect(page).not.toContain('<img src=x')
  })
})
