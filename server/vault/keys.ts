/**
 * Where the server's keys come from: the vault's 256-bit key, and keys derived from it for one
 * purpose each (HKDF-SHA256), so that a key used to sign links never encrypts a secret. Locally:
 * a key file created on first run with mode 0600 (written to a temporary file and hard-linked into
 * place, so two processes starting at once agree on one key). Inside TDX the dstack key provider
 * replaces it.
 */
import { hkdfSync, randomBytes } from 'node:crypto'
import { chmodSync, linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'

export interface KeyProvider {
  readonly kind: 'local-file' | 'dstack'
  vaultKey(): Buffer
  /** A 256-bit key for one purpose (`oauth3/status-link/v1`), the same on every instance. */
  derivedKey(purpose: string): Buffer
}

const KEY_BYTES = 32

export function createLocalKeyProvider(file: string): KeyProvider {
  const key = readOrCreateKeyFile(file)
  const derived = new Map<string, Buffer>()
  return {
    kind: 'local-file',
    vaultKey: () => key,
    derivedKey(purpose) {
      let value = derived.get(purpose)
      if (!value)
        derived.set(purpose, (value = Buffer.from(hkdfSync('sha256', key, '', purpose, KEY_BYTES))))
      return value
    },
  }
}

function readOrCreateKeyFile(file: string): Buffer {
  try {
    return decode(readFileSync(file, 'utf8'), file)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 })
  const tmp = `${file}.${process.pid}.tmp`
  writeFileSync(tmp, randomBytes(KEY_BYTES).toString('base64') + '\n', { mode: 0o600 })
  chmodSync(tmp, 0o600)
  try {
    linkSync(tmp, file)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
  } finally {
    unlinkSync(tmp)
  }
  return decode(readFileSync(file, 'utf8'), file)
}

function decode(text: string, file: string): Buffer {
  const key = Buffer.from(text.trim(), 'base64')
  if (key.length !== KEY_BYTES)
    throw new Error(`The key file ${file} does not hold a 32-byte base64 key`)
  return key
}
