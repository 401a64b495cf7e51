/**
 * Intel's collateral for a quote, checked offline (PCS v4 format): the TCB info and the QE
 * identity, each signed by Intel's TCB Signing key whose chain ends at the pinned Intel SGX Root
 * CA; the PCK CRL (signed by the PCK CA) and the root CA CRL (signed by the root). At the time
 * asked, everything must be inside its validity, no certificate of any chain revoked, the Quoting
 * Enclave must be the one Intel's identity describes, and the platform's TCB is then matched
 * against Intel's levels (core/attestation/tcb.ts).
 */
import { fromHex, toHex, utf8 } from './bytes'
import { parseRevocationList, type Certificate, type RevocationList } from './der'
import { pckPlatform } from './pck-extension'
import type { TdxQuote } from './quote'
import { checkChain, verifyBy, type Check, type TrustAnchor } from './chain'
import {
  converge,
  matchQeIdentity,
  matchTdxTcb,
  parseQeIdentity,
  parseTcbInfo,
  TcbError,
  type TcbStatus,
  type TcbVerdict,
} from './tcb'

/** The collateral as PCCS answers it (and the fixtures hold it): JSON strings, hex, PEM. */
export interface Collateral {
  tcb_info: string
  tcb_info_signature: string
  tcb_info_issuer_chain: string
  qe_identity: string
  qe_identity_signature: string
  qe_identity_issuer_chain: string
  pck_crl: string
  pck_crl_issuer_chain: string
  root_ca_crl: string
}

const FIELDS = [
  'tcb_info',
  'tcb_info_signature',
  'tcb_info_issuer_chain',
  'qe_identity',
  'qe_identity_signature',
  'qe_identity_issuer_chain',
  'pck_crl',
  'pck_crl_issuer_chain',
  'root_ca_crl',
] as const

export class CollateralError extends Error {}

export function parseCollateral(value: unknown): Collateral {
  if (!value || typeof value !== 'object')
    throw new CollateralError('the collateral is not an object')
  const record = value as Record<string, unknown>
  for (const field of FIELDS)
    if (typeof record[field] !== 'string')
      throw new CollateralError(`the collateral has no ${field}`)
  return Object.fromEntries(FIELDS.map((field) => [field, record[field]])) as unknown as Collateral
}

export interface TcbReport extends TcbVerdict {
  /** When Intel issued the TCB info that judged it. */
  issueDate: string
  nextUpdate: string
  tcbEvaluationDataNumber: number
  fmspc: string
}

export interface CollateralOutcome {
  checks: Check[]
  tcb?: TcbReport
}

/** The statuses a verdict accepts unless told otherwise: the platform is patched. */
export const DEFAULT_ACCEPTED: TcbStatus[] = ['UpToDate', 'SWHardeningNeeded']

export async function verifyCollateral(
  quote: TdxQuote,
  pckChain: Certificate[],
  collateral: Collateral,
  options: { at: number; anchor: TrustAnchor; accept?: TcbStatus[] },
): Promise<CollateralOutcome> {
  const checks: Check[] = []
  const fail = (name: string, code: Check['code'], reason: string): CollateralOutcome => ({
    checks: [...checks, { name, ok: false, code, reason }],
  })
  const when = new Date(options.at).toISOString()

  // Parse everything first: a malformed field is its own failure, before any signature.
  let tcbInfo, qeIdentity, rootCrl: RevocationList, pckCrl: RevocationList
  try {
    tcbInfo = parseTcbInfo(collateral.tcb_info)
    qeIdentity = parseQeIdentity(collateral.qe_identity)
    rootCrl = parseRevocationList(crlBytes(collateral.root_ca_crl))
    pckCrl = parseRevocationList(crlBytes(collateral.pck_crl))
  } catch (error) {
    return fail('collateral', 'collateral_invalid', (error as Error).message)
  }
  const platform = (() => {
    try {
      return pckPlatform(pckChain[0])
    } catch (error) {
      return error as Error
    }
  })()
  if (platform instanceof Error) return fail('collateral', 'collateral_invalid', platform.message)
  if (tcbInfo.id !== 'TDX' || tcbInfo.version < 3)
    return fail(
      'collateral',
      'collateral_mismatch',
      `the TCB info is ${tcbInfo.id} v${tcbInfo.version}, not TDX v3`,
    )
  if (tcbInfo.fmspc !== platform.fmspc || tcbInfo.pceId !== platform.pceId)
    return fail(
      'collateral',
      'collateral_mismatch',
      `the TCB info is for FMSPC ${tcbInfo.fmspc}, the PCK certificate names ${platform.fmspc}`,
    )
  checks.push({ name: 'collateral', ok: true })

  // Signatures: the TCB info and QE identity by the TCB Signing key, the CRLs by their issuers,
  // every chain to the pinned root.
  const signed: Array<[string, string, string, Uint8Array]> = [
    [
      'TCB info',
      collateral.tcb_info_issuer_chain,
      collateral.tcb_info_signature,
      utf8(collateral.tcb_info),
    ],
    [
      'QE identity',
      collateral.qe_identity_issuer_chain,
      collateral.qe_identity_signature,
      utf8(collateral.qe_identity),
    ],
  ]
  const chains: Certificate[][] = [pckChain]
  for (const [what, pem, signatureHex, data] of signed) {
    const chain = await checkChain(pem, options.anchor)
    if (!chain.ok)
      return fail(
        'collateral-signatures',
        'collateral_signature_invalid',
        `the ${what} chain: ${chain.reason}`,
      )
    chains.push(chain.certificates)
    let signature: Uint8Array
    try {
      signature = fromHex(signatureHex)
    } catch {
      signature = new Uint8Array()
    }
    if (signature.length !== 64 || !(await verifyBy(chain.certificates[0], signature, data)))
      return fail(
        'collateral-signatures',
        'collateral_signature_invalid',
        `the ${what} signature does not verify`,
      )
  }
  const crlChain = await checkChain(collateral.pck_crl_issuer_chain, options.anchor)
  if (!crlChain.ok)
    return fail(
      'collateral-signatures',
      'collateral_signature_invalid',
      `the PCK CRL chain: ${crlChain.reason}`,
    )
  chains.push(crlChain.certificates)
  const root = crlChain.certificates.at(-1)!
  for (const [what, crl, issuer] of [
    ['root CA CRL', rootCrl, root],
    ['PCK CRL', pckCrl, crlChain.certificates[0]],
  ] as const) {
    if (!crlSignedBy(crl, issuer) || !(await verifyBy(issuer, crl.signature, crl.tbs, 'der')))
      return fail(
        'collateral-signatures',
        'collateral_signature_invalid',
        `the ${what} is not signed by ${what === 'PCK CRL' ? 'the PCK CA' : 'the root CA'}`,
      )
  }
  if (!sameCertificate(pckChain[1], crlChain.certificates[0]))
    return fail(
      'collateral-signatures',
      'collateral_mismatch',
      "the PCK CRL is not from the CA that issued the quote's PCK certificate",
    )
  checks.push({ name: 'collateral-signatures', ok: true })

  // Time: the collateral, the CRLs and every certificate of every chain.
  const stale = [
    ['the TCB info', Date.parse(tcbInfo.issueDate), Date.parse(tcbInfo.nextUpdate)],
    ['the QE identity', Date.parse(qeIdentity.issueDate), Date.parse(qeIdentity.nextUpdate)],
    ['the root CA CRL', rootCrl.thisUpdate, rootCrl.nextUpdate ?? Infinity],
    ['the PCK CRL', pckCrl.thisUpdate, pckCrl.nextUpdate ?? Infinity],
    ...chains
      .flat()
      .map((certificate) => ['a certificate', certificate.notBefore, certificate.notAfter]),
  ].find(([, from, to]) => options.at < (from as number) || options.at > (to as number))
  if (stale)
    return fail('collateral-validity', 'collateral_expired', `${stale[0]} is not valid at ${when}`)
  checks.push({ name: 'collateral-validity', ok: true })

  // Revocation: the PCK leaf by the PCK CRL; every CA and signing certificate by the root's CRL.
  const revoked =
    (pckCrl.revoked.has(pckChain[0].serial) && 'the PCK certificate') ||
    (chains
      .flat()
      .some(
        (certificate) =>
          certificate !== pckChain[0] &&
          certificate !== root &&
          rootCrl.revoked.has(certificate.serial),
      ) &&
      'an Intel CA or signing certificate')
  if (revoked) return fail('revocation', 'certificate_revoked', `${revoked} is revoked`)
  checks.push({ name: 'revocation', ok: true })

  let qeLevel
  try {
    qeLevel = matchQeIdentity(qeIdentity, qeReportFields(quote.qeReport))
  } catch (error) {
    return fail('qe-identity', 'qe_identity_mismatch', (error as Error).message)
  }
  checks.push({ name: 'qe-identity', ok: true })

  let verdict: TcbVerdict
  try {
    verdict = converge(
      matchTdxTcb(tcbInfo, {
        sgxComponents: platform.sgxComponents,
        pceSvn: platform.pceSvn,
        teeTcbSvn: quote.report.teeTcbSvn,
        mrSignerSeam: quote.report.mrSignerSeam,
        seamAttributes: quote.report.seamAttributes,
      }),
      qeLevel,
    )
  } catch (error) {
    const code = error instanceof TcbError ? error.code : 'collateral_invalid'
    return fail('tcb-status', code, (error as Error).message)
  }
  const tcb: TcbReport = {
    ...verdict,
    issueDate: tcbInfo.issueDate,
    nextUpdate: tcbInfo.nextUpdate,
    tcbEvaluationDataNumber: tcbInfo.tcbEvaluationDataNumber,
    fmspc: tcbInfo.fmspc,
  }
  const accepted = options.accept ?? DEFAULT_ACCEPTED
  const said = `${verdict.status} as of ${tcbInfo.issueDate}${verdict.advisoryIds.length ? ` (${verdict.advisoryIds.join(', ')})` : ''}`
  if (verdict.status === 'Revoked')
    checks.push({ name: 'tcb-status', ok: false, code: 'tcb_revoked', reason: said })
  else if (!accepted.includes(verdict.status))
    checks.push({
      name: 'tcb-status',
      ok: false,
      code: 'tcb_out_of_date',
      reason: `${said}; accepted: ${accepted.join(', ')}`,
    })
  else checks.push({ name: 'tcb-status', ok: true, reason: said })
  return { checks, tcb }
}

/** A CRL as PCCS serves it (hex of the DER) or as the DER itself in a JSON-safe string. */
function crlBytes(value: string): Uint8Array {
  const text = value.trim()
  if (/^([0-9a-fA-F]{2})+$/.test(text)) return fromHex(text)
  throw new CollateralError('a CRL is not hex-encoded DER')
}

function crlSignedBy(crl: RevocationList, issuer: Certificate): boolean {
  return toHex(crl.issuer) === toHex(issuer.subject)
}

const sameCertificate = (a: Certificate | undefined, b: Certificate | undefined) =>
  Boolean(a && b) && toHex(a!.der) === toHex(b!.der)

/** The SGX enclave report of the Quoting Enclave (Intel's 384-byte layout). */
function qeReportFields(report: Uint8Array) {
  const view = new DataView(report.buffer, report.byteOffset, report.byteLength)
  return {
    miscselect: view.getUint32(16, true),
    attributes: report.subarray(48, 64),
    mrSigner: report.subarray(128, 160),
    isvProdId: view.getUint16(256, true),
    isvSvn: view.getUint16(258, true),
  }
}
