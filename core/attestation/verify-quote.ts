/**
 * Offline verification of a TDX quote, on WebCrypto only: the quote is signed by its attestation
 * key; the Quoting Enclave's report binds that key and is signed by the platform's PCK key; the
 * PCK chain ends at the Intel SGX Root CA, pinned by its SHA-256; the TD is not debuggable; and,
 * when asked, report_data is the expected value, the event log replays to RTMR0–3, and RTMR3's
 * compose hash is the expected one. With Intel's collateral (core/attestation/collateral.ts) the
 * platform's TCB status, the CRLs and the QE identity are checked too; with dstack's VM config the
 * OS image is recomputed (core/attestation/os-image.ts). Every check is reported, by name, with a
 * stable code when it fails: nothing is thrown. What was not given is `skipped`, never `ok`.
 */
import type { CheckCode } from '../errors'
import { equal, sha256, toHex } from './bytes'
import {
  checkChain,
  importP256,
  INTEL_ROOT,
  verifyBy,
  verifyP256,
  type Check,
  type TrustAnchor,
} from './chain'
import { verifyCollateral, type Collateral, type TcbReport } from './collateral'
import type { Certificate } from './der'
import {
  EventLogError,
  parseEventLog,
  replayRtmrs,
  runtimeEvent,
  type EventLogEntry,
} from './event-log'
import { measureOsImage, OsImageError, osImageDifferences } from './os-image'
import { parseTdxQuote, type TdxQuote } from './quote'
import type { TcbStatus } from './tcb'

export { INTEL_SGX_ROOT_CA_SHA256 } from './chain'
export type { Check } from './chain'

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
  /** Intel's verdict on the platform, when collateral was given and held. */
  tcb?: TcbReport
  /** The dstack OS image MRTD and RTMR0–2 prove, when its measurement document was given. */
  osImage?: { hash: string; imageName?: string; pinned: boolean }
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
  /** The time certificates and collateral must be valid at (epoch ms); now by default. */
  at?: number
  /** Intel's collateral for this quote's platform: with it, TCB status, CRLs and QE identity. */
  collateral?: Collateral
  /** TCB statuses that count as holding (UpToDate and SWHardeningNeeded by default). */
  acceptTcb?: TcbStatus[]
  /** dstack's vm_config (JSON text): with the event log, the OS image is recomputed. */
  vmConfig?: string
  /** OS image hashes (hex) the user pins: the image must be one of them. */
  osImageHashes?: string[]
  /** The root CA pin; Intel's unless a private test PKI is meant. */
  anchor?: TrustAnchor
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

  const quoteKey = await importP256(new Uint8Array([4, ...quote.attestationKey]))
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

  const at = expect.at ?? Date.now()
  const anchor = expect.anchor ?? INTEL_ROOT
  const chain = await pckChainChecks(quote.pckChainPem, at, anchor)
  checks.push(...chain.checks)
  const leaf = chain.certificates?.[0]
  if (leaf && (await verifyBy(leaf, quote.qeReportSignature, quote.qeReport)))
    pass('qe-report-signature')
  else
    failed(
      'qe-report-signature',
      'qe_report_signature_invalid',
      leaf
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

  if (!expect.collateral)
    skip('tcb-status', 'unchecked: no Intel collateral given (TCB level, CRLs and QE identity)')
  else if (!chain.certificates || !GENUINE.every((name) => passed(checks, name)))
    skip('tcb-status', 'unchecked: the quote is not signed through to the pinned root')
  else {
    const outcome = await verifyCollateral(quote, chain.certificates, expect.collateral, {
      at,
      anchor,
      accept: expect.acceptTcb,
    })
    checks.push(...outcome.checks)
    if (outcome.tcb) summary.tcb = outcome.tcb
  }
  await checkOsImage(expect, summary, checks)
  return { ok: checks.every((check) => check.ok), checks, quote: summary }
}

/** What makes a quote genuine, whatever it binds: only then is its platform's TCB worth judging. */
const GENUINE = [
  'quote-signature',
  'attestation-key-binding',
  'pck-chain',
  'root-ca',
  'qe-report-signature',
]
const passed = (checks: Check[], name: string) =>
  checks.some((check) => check.name === name && check.ok)

/**
 * MRTD and RTMR0–2 recomputed from dstack's measurement document must be the quote's; then the
 * OS image hash is proved, and compared with the user's pins.
 */
async function checkOsImage(expect: QuoteExpectations, summary: QuoteSummary, checks: Check[]) {
  const pins = expect.osImageHashes?.map((hash) => hash.toLowerCase())
  const push = (check: Check) => checks.push({ ...check, name: 'os-image' })
  const unchecked = (reason: string) =>
    pins?.length
      ? push({
          name: '',
          ok: false,
          code: 'os_image_unchecked',
          reason: `${reason}, so the pinned OS image cannot be confirmed`,
        })
      : push({ name: '', ok: true, skipped: true, reason: `unchecked: ${reason}` })
  if (expect.vmConfig === undefined) return unchecked('no vm_config given')
  if (!summary.events) return unchecked('the OS image needs an event log that replays')
  let measured
  try {
    measured = await measureOsImage(expect.vmConfig, summary.events)
  } catch (error) {
    if (error instanceof OsImageError && error.kind === 'absent') return unchecked(error.message)
    // A document that is there but cannot be checked fails: the host chose what to send.
    const code =
      error instanceof OsImageError && error.kind === 'unsupported'
        ? 'os_image_unchecked'
        : 'os_image_invalid'
    return push({ name: '', ok: false, code, reason: (error as Error).message })
  }
  const differ = osImageDifferences(measured.expected, summary)
  if (differ.length)
    return push({
      name: '',
      ok: false,
      code: 'os_image_mismatch',
      reason: `the measurement document of OS image ${measured.osImageHash} does not give the quote's ${differ.join(', ')}`,
    })
  const pinned = Boolean(pins?.includes(measured.osImageHash))
  summary.osImage = {
    hash: measured.osImageHash,
    ...(measured.imageName ? { imageName: measured.imageName } : {}),
    pinned,
  }
  const named = `os-image: ${measured.osImageHash}${measured.imageName ? ` (the VM config names it ${measured.imageName})` : ''}`
  if (pins?.length && !pinned)
    return push({
      name: '',
      ok: false,
      code: 'os_image_hash_mismatch',
      reason: `${named}, not a pinned one`,
    })
  push({ name: '', ok: true, reason: `${named}, ${pinned ? 'pinned' : 'unpinned'}` })
}

/** The PCK chain: signatures, the pinned root, validity at `at`. */
async function pckChainChecks(
  pem: string,
  at: number,
  anchor: TrustAnchor,
): Promise<{ checks: Check[]; certificates?: Certificate[] }> {
  const chain = await checkChain(pem, anchor)
  if (!chain.ok && chain.code === 'pck_chain_invalid')
    return { checks: [{ name: 'pck-chain', ok: false, code: chain.code, reason: chain.reason }] }
  const checks: Check[] = [{ name: 'pck-chain', ok: true }]
  checks.push(
    chain.ok
      ? { name: 'root-ca', ok: true }
      : { name: 'root-ca', ok: false, code: chain.code, reason: chain.reason },
  )
  const certificates = chain.certificates!
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
  return { checks, certificates }
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
