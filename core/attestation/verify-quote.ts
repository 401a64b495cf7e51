/**
 * Offline verification of a TDX quote, on WebCrypto only: the quote is signed by its attestation
 * key; the Quoting Enclave's report binds that key and is signed by the platform's PCK key; the
 * PCK chain ends at the Intel SGX Root CA, pinned by its SHA-256; the TD is not debuggable; and,
 * when asked, report_data is the expected value, the event log replays to RTMR0–3, and RTMR3's
 * compose hash is the expected one. Every check is reported, by name, with a stable code when it
 * fails: nothing is thrown. TCB status needs Intel's collateral, which is not available offline:
 * it is reported `unchecked`.
 */
import type { CheckCode } from '../errors'
import { equal, sha256, toHex } from './bytes'
import { ecdsaDerToRaw, parsePemChain, type Certificate } from './der'
import {
  EventLogError,
  parseEventLog,
  replayRtmrs,
  runtimeEvent,
  type EventLogEntry,
} from './event-log'
import { parseTdxQuote, type TdxQuote } from './quote'

/** SHA-256 of the Intel SGX Root CA certificate (DER). */
export const INTEL_SGX_ROOT_CA_SHA256 =
  '44a0196b2b99f889b8e149e95b807a350e7424964399e885a7cbb8ccfab674d3'
const ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2'

export interface Check {
  name: string
  ok: boolean
  /** Not asked for, or not checkable offline: neither proved nor failed. */
  skipped?: boolean
  code?: CheckCode
  reason?: string
}

export interface QuoteSummary {
  mrTd: string
  rtmrs: string[]
  reportData: string
  tdAttributes: string
  /** From RTMR3's runtime events, once the event log replayed. */
  appId?: string
  instanceId?: string
  composeHash?: string
  events?: EventLogEntry[]
}

export interface QuoteVerification {
  ok: boolean
  checks: Check[]
  quote?: QuoteSummary
}

export interface QuoteExpectations {
  quote: Uint8Array
  /** The guest agent's event log (JSON text or parsed), to replay RTMR0–3. */
  eventLog?: string | unknown[]
  /** The exact 64 bytes report_data must hold. */
  reportData?: Uint8Array
  /** The compose hash RTMR3 must carry (hex); needs the event log. */
  composeHash?: string
  /** The time certificates must be valid at (epoch ms); now by default. */
  at?: number
}

export async function verifyQuote(expect: QuoteExpectations): Promise<QuoteVerification> {
  const checks: Check[] = []
  const pass = (name: string) => checks.push({ name, ok: true })
  const failed = (name: string, code: CheckCode, reason: string) =>
    checks.push({ name, ok: false, code, reason })
  const skip = (name: string, reason: string) =>
    checks.push({ name, ok: true, skipped: true, reason })

  let quote: TdxQuote
  try {
    quote = parseTdxQuote(expect.quote)
  } catch (error) {
    failed('quote-format', 'quote_malformed', (error as Error).message)
    return { ok: false, checks }
  }
  pass('quote-format')

  const quoteKey = await importP256(concatPoint(quote.attestationKey))
  if (quoteKey && (await verifyP256(quoteKey, quote.signature, quote.signedBytes)))
    pass('quote-signature')
  else failed('quote-signature', 'quote_signature_invalid', 'the quote signature does not verify')

  const binding = await sha256(new Uint8Array([...quote.attestationKey, ...quote.qeAuthData]))
  const bound =
    equal(quote.qeReportData.subarray(0, 32), binding) &&
    quote.qeReportData.subarray(32).every((b) => b === 0)
  if (bound) pass('attestation-key-binding')
  else
    failed(
      'attestation-key-binding',
      'attestation_key_unbound',
      "the QE report's report_data is not sha256(attestation key ‖ QE authentication data)",
    )

  const chain = await checkChain(quote.pckChainPem, expect.at ?? Date.now())
  checks.push(...chain.checks)
  const pckKey = chain.leaf ? await importSpki(chain.leaf.spki) : null
  if (pckKey && (await verifyP256(pckKey, quote.qeReportSignature, quote.qeReport)))
    pass('qe-report-signature')
  else
    failed(
      'qe-report-signature',
      'qe_report_signature_invalid',
      pckKey
        ? 'the QE report signature does not verify with the PCK key'
        : 'no PCK key to check the QE report with: the chain does not verify',
    )

  // Bit 0 of TD attributes: DEBUG.
  if (quote.report.tdAttributes[0] & 1)
    failed('td-not-debug', 'td_debuggable', 'the TD attributes have DEBUG set')
  else pass('td-not-debug')

  if (expect.reportData === undefined) skip('report-data', 'no expected report_data given')
  else if (equal(quote.report.reportData, expect.reportData)) pass('report-data')
  else failed('report-data', 'report_data_mismatch', 'report_data is not the expected value')

  const summary: QuoteSummary = {
    mrTd: toHex(quote.report.mrTd),
    rtmrs: quote.report.rtmrs.map(toHex),
    reportData: toHex(quote.report.reportData),
    tdAttributes: toHex(quote.report.tdAttributes),
  }
  const events = await checkEventLog(expect.eventLog, quote, checks)
  if (events) {
    summary.events = events
    summary.appId = runtimeEvent(events, 'app-id')
    summary.instanceId = runtimeEvent(events, 'instance-id')
    summary.composeHash = runtimeEvent(events, 'compose-hash')
  }
  if (expect.composeHash === undefined) skip('compose-hash', 'no expected compose hash given')
  else if (!events)
    failed('compose-hash', 'compose_hash_mismatch', 'the compose hash needs a replayed event log')
  else if (summary.composeHash === expect.composeHash.toLowerCase()) pass('compose-hash')
  else
    failed(
      'compose-hash',
      'compose_hash_mismatch',
      `RTMR3 holds compose hash ${summary.composeHash ?? '(none)'}`,
    )

  skip(
    'tcb-status',
    'unchecked: the TCB level needs Intel collateral, which is not available offline',
  )
  return { ok: checks.every((check) => check.ok), checks, quote: summary }
}

/** Replay the event log against the quote's RTMRs; the entries, when they replay. */
async function checkEventLog(log: QuoteExpectations['eventLog'], quote: TdxQuote, checks: Check[]) {
  if (log === undefined) {
    checks.push({ name: 'rtmr-replay', ok: true, skipped: true, reason: 'no event log given' })
    return null
  }
  let entries: EventLogEntry[]
  let replayed: Uint8Array[]
  try {
    entries = parseEventLog(log)
    replayed = await replayRtmrs(entries)
  } catch (error) {
    const reason = error instanceof EventLogError ? error.message : 'the event log does not parse'
    checks.push({ name: 'rtmr-replay', ok: false, code: 'event_log_invalid', reason })
    return null
  }
  const differ = replayed
    .map((register, i) => (equal(register, quote.report.rtmrs[i]) ? null : i))
    .filter((i) => i !== null)
  if (differ.length) {
    const reason = `the event log does not replay to RTMR${differ.join(', RTMR')}`
    checks.push({ name: 'rtmr-replay', ok: false, code: 'rtmr_mismatch', reason })
    return null
  }
  checks.push({ name: 'rtmr-replay', ok: true })
  return entries
}

/**
 * PCK → intermediate → root: each signed by the next, the root pinned, all valid at `at`. The leaf
 * is answered whenever the signatures hold, so that the QE report is still checked against it.
 */
async function checkChain(
  pem: string,
  at: number,
): Promise<{ checks: Check[]; leaf?: Certificate }> {
  const broken = (reason: string) => ({
    checks: [{ name: 'pck-chain', ok: false, code: 'pck_chain_invalid' as const, reason }],
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
    const key = await importSpki(issuer.spki)
    let signature: Uint8Array
    try {
      signature = ecdsaDerToRaw(child.signature)
    } catch {
      return broken(`certificate ${i} has a malformed signature`)
    }
    if (!key || !(await verifyP256(key, signature, child.tbs))) {
      return broken(`certificate ${i} is not signed by its issuer`)
    }
  }
  const checks: Check[] = [{ name: 'pck-chain', ok: true }]
  const root = certificates.at(-1)!
  if (toHex(await sha256(root.der)) === INTEL_SGX_ROOT_CA_SHA256)
    checks.push({ name: 'root-ca', ok: true })
  else
    checks.push({
      name: 'root-ca',
      ok: false,
      code: 'root_ca_untrusted',
      reason: 'the chain ends at a root other than the Intel SGX Root CA',
    })
  const stale = certificates.findIndex(
    (certificate) => at < certificate.notBefore || at > certificate.notAfter,
  )
  checks.push(
    stale < 0
      ? { name: 'certificate-validity', ok: true }
      : {
          name: 'certificate-validity',
          ok: false,
          code: 'certificate_expired',
          reason: `certificate ${stale} is not valid at ${new Date(at).toISOString()}`,
        },
  )
  return { checks, leaf: certificates[0] }
}

/** A WebCrypto public key (the global type is DOM-only). */
type VerifyKey = Awaited<ReturnType<typeof crypto.subtle.importKey>>

const concatPoint = (xy: Uint8Array) => new Uint8Array([4, ...xy])

async function importP256(point: Uint8Array): Promise<VerifyKey | null> {
  try {
    return await crypto.subtle.importKey(
      'raw',
      point,
      { name: 'ECDSA', namedCurve: 'P-256' },
      false,
      ['verify'],
    )
  } catch {
    return null
  }
}

async function importSpki(spki: Uint8Array): Promise<VerifyKey | null> {
  try {
    return await crypto.subtle.importKey(
      'spki',
      spki,
      { name: 'ECDSA', namedCurve: 'P-256' },
      false,
      ['verify'],
    )
  } catch {
    return null
  }
}

async function verifyP256(
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
