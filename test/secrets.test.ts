/**
 * The owner's vault over HTTP, and what is on disk: IN-08, GW-11, MT-06, AP-16 (a store dump holds
 * no plaintext token or secret).
 */
import { readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { client } from './helpers/http'
import { approvalTokenOf, decide, requestPermit, signup } from './helpers/flow'
import { useTestServer } from './helpers/server'
import { listFiles } from '../scripts/list-files.mjs'
import { storedOnDisk } from './helpers/store-files'

const server = useTestServer()
const api = client(() => server.url)

describe('POST/GET/DELETE /secrets', () => {
  it('stores, lists names with their origins and dates (never a value), replaces and deletes', async () => {
    const owner = await signup(api, 'owner')
    expect(
      (await api.post('/secrets', { name: 'GH_TOKEN', value: 'ghp_first' }, { token: owner.token }))
        .body,
    ).toEqual({ success: true, name: 'GH_TOKEN' })
    expect(
      (
        await api.post(
          '/secrets',
          { name: 'OTHER_KEY', value: 'v', origin: 'https://api.example.org' },
          { token: owner.token },
        )
      ).status,
    ).toBe(200)
    expect(
      (
        await api.post(
          '/secrets',
          { name: 'GH_TOKEN', value: 'ghp_second' },
          { token: owner.token },
        )
      ).status,
    ).toBe(200)
    const list = await api.get('/secrets', { token: owner.token })
    expect(list.body).toEqual({
      secrets: ['GH_TOKEN', 'OTHER_KEY'],
      entries: [
        {
          name: 'GH_TOKEN',
          origin: 'https://api.github.com',
          created_at: expect.any(Number),
          updated_at: expect.any(Number),
        },
        {
          name: 'OTHER_KEY',
          origin: 'https://api.example.org',
          created_at: expect.any(Number),
          updated_at: expect.any(Number),
        },
      ],
    })
    const [github] = list.body.entries
    expect(github.updated_at).toBeGreaterThanOrEqual(github.created_at)
    expect(list.text).not.toContain('ghp_')
    expect((await api.delete('/secrets/OTHER_KEY', { token: owner.token })).status).toBe(200)
    expect((await api.delete('/secrets/OTHER_KEY', { token: owner.token })).status).toBe(404)
    expect((await api.get('/secrets', { token: owner.token })).body.secrets).toEqual(['GH_TOKEN'])
  })

  it('is for owners only', async () => {
    const agent = await signup(api)
    expect(
      (await api.post('/secrets', { name: 'X', value: 'y' }, { token: agent.token })).status,
    ).toBe(403)
    expect((await api.get('/secrets', { token: agent.token })).status).toBe(403)
  })

  it('IN-08: names outside ^[A-Z][A-Z0-9_]{0,63}$ are 400 and touch nothing', async () => {
    const owner = await signup(api, 'owner')
    for (const name of [
      '../../etc/passwd',
      'a/b',
      'A..B',
      '',
      'x'.repeat(10_000),
      'GH_TOKЕN',
      'lower',
      '1ABC',
      'A'.repeat(65),
    ]) {
      const reply = await api.post('/secrets', { name, value: 'v' }, { token: owner.token })
      expect(reply.status, name.slice(0, 20)).toBe(400)
    }
    expect(
      (await api.delete('/secrets/..%2F..%2Fetc%2Fpasswd', { token: owner.token })).status,
    ).toBe(400)
    expect((await api.get('/secrets', { token: owner.token })).body.secrets).toEqual([])
  })

  it('GW-11: values with CR, LF or NUL, empty or over 8 KiB are 400 and never stored', async () => {
    const owner = await signup(api, 'owner')
    for (const value of ['tok\nen', 'tok\ren', 'a\0b', '', 'é'.repeat(4097)]) {
      const reply = await api.post('/secrets', { name: 'BAD', value }, { token: owner.token })
      expect(reply.status).toBe(400)
    }
    expect((await api.get('/secrets', { token: owner.token })).body.secrets).toEqual([])
  })

  it('refuses an origin binding that contradicts a well-known secret name, or is not a public https origin', async () => {
    const owner = await signup(api, 'owner')
    expect(
      (
        await api.post(
          '/secrets',
          { name: 'GH_TOKEN', value: 'v', origin: 'https://evil.example.org' },
          { token: owner.token },
        )
      ).body.code,
    ).toBe('SECRET_ORIGIN_MISMATCH')
    for (const origin of [
      'http://api.example.org',
      'https://127.0.0.1',
      'https://api.example.org/path',
      'nope',
    ]) {
      expect(
        (await api.post('/secrets', { name: 'K', value: 'v', origin }, { token: owner.token }))
          .status,
      ).toBe(400)
    }
  })
})

describe('at rest', () => {
  it('MT-06 and AP-16: two owners with GH_TOKEN keep separate values; no plaintext token or secret on disk', async () => {
    const ownerA = await signup(api, 'owner')
    const ownerB = await signup(api, 'owner')
    const agent = await signup(api)
    const secretA = 'ghp_AAAA_secret_value_of_owner_a'
    const secretB = 'ghp_BBBB_secret_value_of_owner_b'
    await api.post('/secrets', { name: 'GH_TOKEN', value: secretA }, { token: ownerA.token })
    await api.post('/secrets', { name: 'GH_TOKEN', value: secretB }, { token: ownerB.token })
    const permit = await requestPermit(api, agent.token)
    const approvalToken = approvalTokenOf(permit)
    expect(
      (
        await decide(api, ownerA.token, permit, 'approve', {
          secrets: { GH_TOKEN: 'ghp_CCCC_given_at_approval' },
        })
      ).status,
    ).toBe(200)

    const dump = readTree(join(server.dataDir, 'store'))
    expect(dump.length).toBeGreaterThan(1000)
    for (const plaintext of [
      secretA,
      secretB,
      'ghp_CCCC_given_at_approval',
      ownerA.token,
      ownerB.token,
      agent.token,
      approvalToken,
    ]) {
      expect(dump).not.toContain(plaintext)
      expect(dump).not.toContain(Buffer.from(plaintext).toString('base64'))
    }
    const sealedA = await storedOnDisk(server.dataDir, `secret:${ownerA.tenant_id}:GH_TOKEN`)
    const sealedB = await storedOnDisk(server.dataDir, `secret:${ownerB.tenant_id}:GH_TOKEN`)
    expect(sealedA).toMatch(/"sealed":"v1\./)
    expect(sealedA).not.toBe(sealedB)
  })

  it('creates the vault key file with mode 0600', () => {
    expect(statSync(join(server.dataDir, 'vault.key')).mode & 0o777).toBe(0o600)
  })
})

function readTree(dir: string): string {
  let text = ''
  for (const path of listFiles(dir)) {
    text += path + '\n' + readFileSync(join(dir, path), 'utf8') + '\n'
  }
  return text
}
