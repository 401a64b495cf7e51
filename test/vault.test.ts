/**
 * The vault's sealing: AES-256-GCM bound to its slot, and the key file.
 */
import { randomBytes } from 'node:crypto'
import { readFileSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createLocalKeyProvider } from '../server/vault/keys'
import { open, seal } from '../server/vault/crypto'
import { makeDataDir } from './helpers/server'

describe('vault crypto', () => {
  const key = randomBytes(32)

  it('opens what it sealed, with a fresh nonce each time', () => {
    const a = seal(key, 'ghp_value', 'secret:tenant_a:GH_TOKEN')
    const b = seal(key, 'ghp_value', 'secret:tenant_a:GH_TOKEN')
    expect(a).not.toBe(b)
    expect(open(key, a, 'secret:tenant_a:GH_TOKEN')).toBe('ghp_value')
  })

  it('refuses a ciphertext moved to another slot, tampered, or under another key', () => {
    const sealed = seal(key, 'ghp_value', 'secret:tenant_a:GH_TOKEN')
    expect(() => open(key, sealed, 'secret:tenant_b:GH_TOKEN')).toThrow()
    const parts = sealed.split('.')
    // One bit flipped: always a change (writing a fixed byte left it unchanged 1 time in 256).
    const body = Buffer.from(parts[3], 'base64')
    body[0] ^= 0x01
    parts[3] = body.toString('base64')
    expect(() => open(key, parts.join('.'), 'secret:tenant_a:GH_TOKEN')).toThrow()
    expect(() => open(randomBytes(32), sealed, 'secret:tenant_a:GH_TOKEN')).toThrow()
  })
})

describe('local key provider', () => {
  it('creates a 0600 key file once and reads the same key afterwards', () => {
    const dir = makeDataDir()
    try {
      const file = join(dir, 'nested', 'vault.key')
      const first = createLocalKeyProvider(file).vaultKey()
      expect(first).toHaveLength(32)
      expect(statSync(file).mode & 0o777).toBe(0o600)
      expect(createLocalKeyProvider(file).vaultKey().equals(first)).toBe(true)
      expect(readFileSync(file, 'utf8').trim()).toBe(first.toString('base64'))
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
