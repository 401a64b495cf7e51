/**
 * Certificate chains to Intel's root, on WebCrypto: each certificate signed by the next with
 * ECDSA-SHA256, the last one the pinned root. Used for the PCK chain in the quote and for the
 * chains that sign Intel's collateral.
 */
import type { CheckCode } from '../errors'
import { equal, sha256, toHex } from './bytes'
import { ecdsaDerToRaw, parsePemChain, type Certificate } from './der'

/** SHA-256 of the Intel SGX Root CA certificate (DER). */
export const INTEL_SGX_ROOT_CA_SHA256 =
  '44a0196b2b99f889b8e149e95b807a350e7424964399e885a7cbb8ccfab674d3'
const ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2'

export interface Check {
  name: string
  ok: boolean
  /** Not asked for, or not checkable with what was given: neither proved nor failed. */
  skipped?: boolean
  code?: CheckCode
  reason?: string
}

/** The root a chain must end at, by the SHA-256 of its DER. */
export interface TrustAnchor {
  rootSha256: string
}
export const INTEL_ROOT: TrustAnchor = { rootSha256: INTEL_SGX_ROOT_CA_SHA256 }

export type ChainResult =
  | { ok: true; certificates: Certificate[] }
  | {
      ok: false
      code: 'pck_chain_invalid' | 'root_ca_untrusted'
      reason: string
      /** Present when the signatures hold but the root is not the pinned one. */
      certificates?: Certificate[]
    }

/** Signatures along the chain, then the root's pin. Validity in time is the caller's check. */
export async function checkChain(pem: string, anchor: TrustAnchor): Promise<ChainResult> {
  const broken = (reason: string) => ({
    ok: false as const,
    code: 'pck_chain_invalid' as const,
    reason,
  })
  let certificates: Certificate[]
  try {
    certificates = parsePemChain(pem)
  } catch (error) {
    return broken(`the certificate chain does not parse: ${(error as Error).message}`)
  }
  if (certificates.length < 2) return broken('the chain is incomplete')
  for (let i = 0; i < certificates.length; i++) {
    const child = certificates[i]
    const issuer = certificates[Math.min(i + 1, certificates.length - 1)]
    if (!equal(child.issuer, issuer.subject))
      return broken(`certificate ${i} is not issued by the next`)
    if (child.algorithm !== ECDSA_WITH_SHA256)
      return broken(`certificate ${i} is not signed with ECDSA-SHA256`)
    if (!(await verifyBy(issuer, child.signature, child.tbs, 'der')))
      return broken(`certificate ${i} is not signed by its issuer`)
  }
  if (toHex(await sha256(certificates.at(-1)!.der)) !== anchor.rootSha256)
    return {
      ok: false,
      code: 'root_ca_untrusted',
      reason: 'the chain ends at a root other than the Intel SGX Root CA',
      certificates,
    }
  return { ok: true, certificates }
}

/** Does the certificate's P-256 key sign `data` (signature r‖s, or DER with 'der')? */
export async function verifyBy(
  certificate: Certificate,
  signature: Uint8Array,
  data: Uint8Array,
  format: 'raw' | 'der' = 'raw',
): Promise<boolean> {
  const key = await importP256(certificate.spki, 'spki')
  if (!key) return false
  let raw = signature
  if (format === 'der') {
    try {
      raw = ecdsaDerToRaw(signature)
    } catch {
      return false
    }
  }
  return verifyP256(key, raw, data)
}

/** A WebCrypto public key (the global type is DOM-only). */
export type VerifyKey = Awaited<ReturnType<typeof crypto.subtle.importKey>>

/** A P-256 public key, from a raw point (0x04 ‖ x ‖ y) or a SubjectPublicKeyInfo. */
export async function importP256(
  key: Uint8Array,
  format: 'raw' | 'spki' = 'raw',
): Promise<VerifyKey | null> {
  try {
    return await crypto.subtle.importKey(
      format,
      key,
      { name: 'ECDSA', namedCurve: 'P-256' },
      false,
      ['verify'],
    )
  } catch {
    return null
  }
}

export async function verifyP256(
  key: VerifyKey,
  signature: Uint8Array,
  data: Uint8Array,
): Promise<boolean> {
  try {
    return await crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, key, signature, data)
  } catch {
    return false
  }
}
