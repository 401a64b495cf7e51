/**
 * The server's keys, behind one interface with two sources. *local*: a key file created on first
 * run with mode 0600 (written to a temporary file and hard-linked into place, so two processes
 * starting at once agree on one key), for development. *dstack*: keys the dstack guest agent
 * derives for this app (`getKey`), deterministic per app and never on disk, inside TDX. From
 * either, every key serves one purpose only: the vault key seals secrets, the pepper hashes
 * tokens, the ed25519 key signs receipts and is bound to the TDX quote.
 */
import {
  createPrivateKey,
  createPublicKey,
  hkdfSync,
  randomBytes,
  type KeyObject,
} from 'node:crypto'
import { chmodSync, linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'

export interface SigningKey {
  privateKey: KeyObject
  /** The raw 32-byte ed25519 public key. */
  publicKey: Buffer
}

export interface KeyProvider {
  readonly kind: 'local-file' | 'dstack'
  vaultKey(): Buffer
  /** Keyed hashing of bearer and approval tokens (stored only as these hashes). */
  tokenPepper(): Buffer
  /** Signs receipts; its public key is what an attestation binds. */
  signingKey(): SigningKey
  /** A 256-bit key for one more purpose (`oauth3/status-link/v1`), the same on every instance. */
  derivedKey(purpose: string): Buffer
}

/** The roots a provider starts from: each 32 bytes, each for one use. */
export interface KeyRoots {
  vault: Buffer
  pepper: Buffer
  signingSeed: Buffer
  derivation: Buffer
}

/** The paths (dstack) and labels (local) of the roots. */
export const KEY_PURPOSES: Record<keyof KeyRoots, string> = {
  vault: 'oauth3/vault/v1',
  pepper: 'oauth3/token-pepper/v1',
  signingSeed: 'oauth3/signing/ed25519/v1',
  derivation: 'oauth3/derivation/v1',
}

const KEY_BYTES = 32
// An ed25519 private key is its 32-byte seed behind this fixed PKCS#8 prefix.
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex')

export function createKeyProvider(kind: KeyProvider['kind'], roots: KeyRoots): KeyProvider {
  const privateKey = createPrivateKey({
    key: Buffer.concat([ED25519_PKCS8_PREFIX, roots.signingSeed]),
    format: 'der',
    type: 'pkcs8',
  })
  const jwk = createPublicKey(privateKey).export({ format: 'jwk' })
  const signing = { privateKey, publicKey: Buffer.from(jwk.x!, 'base64url') }
  const derived = new Map<string, Buffer>()
  return {
    kind,
    vaultKey: () => roots.vault,
    tokenPepper: () => roots.pepper,
    signingKey: () => signing,
    derivedKey(purpose) {
      let value = derived.get(purpose)
      if (!value) derived.set(purpose, (value = hkdf(roots.derivation, purpose)))
      return value
    },
  }
}

/** Development: every root from one key file. */
export function createLocalKeyProvider(file: string): KeyProvider {
  const key = readOrCreateKeyFile(file)
  return createKeyProvider('local-file', {
    // The vault keeps the file's key itself: secrets sealed before keys were derived still open.
    vault: key,
    pepper: hkdf(key, KEY_PURPOSES.pepper),
    signingSeed: hkdf(key, KEY_PURPOSES.signingSeed),
    derivation: key,
  })
}

function hkdf(key: Buffer, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', key, '', purpose, KEY_BYTES))
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
  if (key.length !== KEY_BYTES) {
    throw new Error(`The key file ${file} does not hold a 32-byte base64 key`)
  }
  return key
}
