/**
 * SHA-256 as hex, synchronously, for the server and the CLI (node:crypto). The verifier, which
 * must also run in a browser, hashes with WebCrypto instead (core/attestation/bytes.ts).
 */
import { hash } from 'node:crypto'
import { canonicalJson } from './canonical-json'

/** One-shot (no Hash object per call): it runs several times on every execution's path. */
export function sha256Hex(text: string): string {
  return hash('sha256', text, 'hex')
}

/** SHA-256 (hex) of the canonical JSON of a value. */
export function sha256Json(value: unknown): string {
  return sha256Hex(canonicalJson(value))
}
