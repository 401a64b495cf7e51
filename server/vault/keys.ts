/**
 * Where the vault's 256-bit key comes from. Locally: a key file created on first run with mode
 * 0600 (written to a temporary file and hard-linked into place, so two processes starting at once
 * agree on one key). Inside TDX the dstack key provider replaces it.
 */
import { randomBytes } from 'node:crypto'
import { chmodSync, linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'

export interface KeyProvider {
  readonly kind: 'local-file' | 'dstack'
  vaultKey(): Buffer
}

const KEY_BYTES = 32

export function createLocalKeyProvider(file: string): KeyProvider {
  const key = readOrCreateKeyFile(file)
  return { kind: 'local-file', vaultKey: () => key }
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
