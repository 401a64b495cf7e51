/**
 * Bearer tokens are stored only as HMAC-SHA256 digests under the server's token pepper: the data
 * folder alone can neither reveal a token nor confirm a guessed one. Tokens stored before the
 * pepper (plain SHA-256 digests) still authenticate.
 */
import { createHash, createHmac } from 'node:crypto'
import { readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createEmbeddedStore } from '../server/store'
import { createLocalKeyProvider } from '../server/vault/keys'
import { signup } from './helpers/flow'
import { client } from './helpers/http'
import { makeDataDir, startServer } from './helpers/server'
import { listFiles } from '../scripts/list-files.mjs'

function folderText(dir: string): string {
  return listFiles(dir)
    .map((path) => readFileSync(join(dir, path), 'latin1'))
    .join('\n')
}

describe('token storage', () => {
  it('keeps only peppered digests of tokens in the data folder', async () => {
    const dataDir = makeDataDir()
    try {
      const server = await startServer({ dataDir })
      const { token } = await signup(client(server.url))
      await server.stop()

      const pepper = createLocalKeyProvider(join(dataDir, 'vault.key')).tokenPepper()
      const text = folderText(dataDir)
      expect(text).not.toContain(token)
      expect(text).not.toContain(createHash('sha256').update(token).digest('hex'))
      expect(text).toContain(createHmac('sha256', pepper).update(token).digest('hex'))
    } finally {
      rmSync(dataDir, { recursive: true, force: true })
    }
  })

  it('still accepts a token stored as a plain SHA-256 digest before the pepper', async () => {
    const dataDir = makeDataDir()
    try {
      const first = await startServer({ dataDir })
      const owner = await signup(client(first.url), 'owner')
      await first.stop()

      // Rewrite the stored entry the way older versions wrote it.
      const pepper = createLocalKeyProvider(join(dataDir, 'vault.key')).tokenPepper()
      const store = await createEmbeddedStore({ dir: dataDir })
      const peppered = `token:${createHmac('sha256', pepper).update(owner.token).digest('hex')}`
      const entry = await store.get(peppered)
      expect(entry).toEqual({ tenant_id: owner.tenant_id })
      await store.remove(peppered)
      await store.set(`token:${createHash('sha256').update(owner.token).digest('hex')}`, entry)
      await store.close()

      const second = await startServer({ dataDir })
      const api = client(second.url)
      const me = await api.get('/me', { token: owner.token })
      expect(me.status).toBe(200)
      expect(me.body.tenant_id).toBe(owner.tenant_id)
      const stranger = await api.get('/me', { token: `oa3_owner_${'A'.repeat(43)}` })
      expect(stranger.status).toBe(401)
      await second.stop()
    } finally {
      rmSync(dataDir, { recursive: true, force: true })
    }
  })
})
