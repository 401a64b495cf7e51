/**
 * Intel's TCB levels, matched the way Intel's quote verification library matches them for TDX:
 * the platform's level is the first (highest) one whose SGX components and PCE SVN the PCK
 * certificate meets and whose TDX components the TD report's TEE_TCB_SVN meets; the TDX module's
 * own level comes from its identity (TDX_<major>), and the Quoting Enclave's from the QE
 * identity's ISVSVN levels. The three converge into one status, with every advisory named.
 */
import { fromHex, toHex } from './bytes'

export const TCB_STATUSES = [
  'UpToDate',
  'SWHardeningNeeded',
  'ConfigurationNeeded',
  'ConfigurationAndSWHardeningNeeded',
  'OutOfDate',
  'OutOfDateConfigurationNeeded',
  'Revoked',
] as const
export type TcbStatus = (typeof TCB_STATUSES)[number]

export interface TcbVerdict {
  status: TcbStatus
  advisoryIds: string[]
  /** The matched platform level's date. */
  tcbDate: string
}

/** Why a TCB could not be matched: the kind becomes the check's code. */
export class TcbError extends Error {
  constructor(
    readonly code: 'collateral_invalid' | 'tcb_level_unmatched' | 'qe_identity_mismatch',
    message: string,
  ) {
    super(message)
  }
}

interface Level {
  status: TcbStatus
  date: string
  advisoryIds: string[]
}

export interface TcbInfo {
  id: string
  version: number
  issueDate: string
  nextUpdate: string
  fmspc: string
  pceId: string
  tcbEvaluationDataNumber: number
  levels: Array<Level & { sgx: number[]; pceSvn: number; tdx: number[] }>
  tdxModule?: { mrSigner: string; attributes: string; attributesMask: string }
  tdxModuleIdentities: Array<{
    id: string
    mrSigner: string
    attributes: string
    attributesMask: string
    levels: Array<Level & { isvSvn: number }>
  }>
}

export interface QeIdentity {
  id: string
  version: number
  issueDate: string
  nextUpdate: string
  miscselect: number
  miscselectMask: number
  attributes: string
  attributesMask: string
  mrSigner: string
  isvProdId: number
  levels: Array<Level & { isvSvn: number }>
}

const invalid = (what: string) => new TcbError('collateral_invalid', what)

function object(value: unknown, what: string): Record<string, unknown> {
  if (!value || typeof value !== 'object' || Array.isArray(value))
    throw invalid(`${what} is not an object`)
  return value as Record<string, unknown>
}
function jsonObject(json: string, what: string): Record<string, unknown> {
  let parsed: unknown
  try {
    parsed = JSON.parse(json)
  } catch {
    throw invalid(`${what} is not JSON`)
  }
  return object(parsed, what)
}
function text(value: unknown, what: string, pattern?: RegExp): string {
  if (typeof value !== 'string' || (pattern && !pattern.test(value)))
    throw invalid(`${what} is malformed`)
  return value
}
function integer(value: unknown, what: string, max = 0xffff): number {
  if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > max)
    throw invalid(`${what} is not an integer`)
  return value as number
}
function list(value: unknown, what: string): unknown[] {
  if (!Array.isArray(value)) throw invalid(`${what} is not a list`)
  return value
}
const hexOf = (bytes: number) => new RegExp(`^[0-9A-Fa-f]{${bytes * 2}}$`)
const DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/

function level(value: unknown, what: string): Level {
  const entry = object(value, what)
  const status = text(entry.tcbStatus, `${what}'s tcbStatus`) as TcbStatus
  if (!TCB_STATUSES.includes(status)) throw invalid(`${what}'s tcbStatus ${status} is unknown`)
  const advisories =
    entry.advisoryIDs === undefined ? [] : list(entry.advisoryIDs, `${what}'s advisoryIDs`)
  return {
    status,
    date: text(entry.tcbDate, `${what}'s tcbDate`, DATE),
    advisoryIds: advisories.map((id) => text(id, 'an advisory id')),
  }
}

const svns = (value: unknown, what: string) => {
  const components = list(value, what)
  if (components.length !== 16) throw invalid(`${what} does not have 16 components`)
  return components.map((component) => integer(object(component, what).svn, `${what}'s svn`, 255))
}

/** TCB info v3 (TDX), as the PCS v4 API signs it. */
export function parseTcbInfo(json: string): TcbInfo {
  const info = jsonObject(json, 'the TCB info')
  const module = info.tdxModule === undefined ? undefined : object(info.tdxModule, 'tdxModule')
  return {
    id: text(info.id, 'the TCB info id'),
    version: integer(info.version, 'the TCB info version'),
    issueDate: text(info.issueDate, 'issueDate', DATE),
    nextUpdate: text(info.nextUpdate, 'nextUpdate', DATE),
    fmspc: text(info.fmspc, 'fmspc', hexOf(6)).toUpperCase(),
    pceId: text(info.pceId, 'pceId', hexOf(2)).toUpperCase(),
    tcbEvaluationDataNumber: integer(
      info.tcbEvaluationDataNumber,
      'tcbEvaluationDataNumber',
      2 ** 31,
    ),
    levels: list(info.tcbLevels, 'tcbLevels').map((value, i) => {
      const tcb = object(object(value, `TCB level ${i}`).tcb, `TCB level ${i}'s tcb`)
      return {
        ...level(value, `TCB level ${i}`),
        sgx: svns(tcb.sgxtcbcomponents, `TCB level ${i}'s SGX components`),
        pceSvn: integer(tcb.pcesvn, `TCB level ${i}'s pcesvn`),
        tdx: svns(tcb.tdxtcbcomponents, `TCB level ${i}'s TDX components`),
      }
    }),
    ...(module
      ? {
          tdxModule: {
            mrSigner: text(module.mrsigner, 'tdxModule.mrsigner', hexOf(48)),
            attributes: text(module.attributes, 'tdxModule.attributes', hexOf(8)),
            attributesMask: text(module.attributesMask, 'tdxModule.attributesMask', hexOf(8)),
          },
        }
      : {}),
    tdxModuleIdentities: (info.tdxModuleIdentities === undefined
      ? []
      : list(info.tdxModuleIdentities, 'tdxModuleIdentities')
    ).map((value, i) => {
      const identity = object(value, `TDX module identity ${i}`)
      return {
        id: text(identity.id, `TDX module identity ${i}'s id`),
        mrSigner: text(identity.mrsigner, 'a module mrsigner', hexOf(48)),
        attributes: text(identity.attributes, 'a module attributes', hexOf(8)),
        attributesMask: text(identity.attributesMask, 'a module attributesMask', hexOf(8)),
        levels: list(identity.tcbLevels, 'a module tcbLevels').map((entry, j) => ({
          ...level(entry, `module level ${j}`),
          isvSvn: integer(object(object(entry, 'a module level').tcb, 'its tcb').isvsvn, 'isvsvn'),
        })),
      }
    }),
  }
}

/** QE identity v2 (TD_QE), as the PCS v4 API signs it. */
export function parseQeIdentity(json: string): QeIdentity {
  const identity = jsonObject(json, 'the QE identity')
  return {
    id: text(identity.id, 'the QE identity id'),
    version: integer(identity.version, 'the QE identity version'),
    issueDate: text(identity.issueDate, 'the QE identity issueDate', DATE),
    nextUpdate: text(identity.nextUpdate, 'the QE identity nextUpdate', DATE),
    miscselect: parseInt(text(identity.miscselect, 'miscselect', hexOf(4)), 16),
    miscselectMask: parseInt(text(identity.miscselectMask, 'miscselectMask', hexOf(4)), 16),
    attributes: text(identity.attributes, 'attributes', hexOf(16)),
    attributesMask: text(identity.attributesMask, 'attributesMask', hexOf(16)),
    mrSigner: text(identity.mrsigner, 'mrsigner', hexOf(32)).toLowerCase(),
    isvProdId: integer(identity.isvprodid, 'isvprodid'),
    levels: list(identity.tcbLevels, 'the QE tcbLevels').map((entry, i) => ({
      ...level(entry, `QE level ${i}`),
      isvSvn: integer(object(object(entry, 'a QE level').tcb, 'its tcb').isvsvn, 'isvsvn'),
    })),
  }
}

export interface PlatformTcb {
  sgxComponents: number[]
  pceSvn: number
  teeTcbSvn: Uint8Array
  mrSignerSeam: Uint8Array
  seamAttributes: Uint8Array
}

/** The platform's and the TDX module's levels, converged. */
export function matchTdxTcb(info: TcbInfo, platform: PlatformTcb): TcbVerdict {
  const moduleMajor = platform.teeTcbSvn[1]
  // With a TDX module of major version ≥ 1, TEE_TCB_SVN[0–1] are the module's own SVN and
  // version: its identity levels judge them, and the platform levels compare from index 2.
  const from = moduleMajor > 0 ? 2 : 0
  const matched = info.levels.find(
    (candidate) =>
      candidate.sgx.every((svn, i) => platform.sgxComponents[i] >= svn) &&
      platform.pceSvn >= candidate.pceSvn &&
      candidate.tdx.every((svn, i) => i < from || platform.teeTcbSvn[i] >= svn),
  )
  if (!matched) throw new TcbError('tcb_level_unmatched', unmatchedReason(info, platform))
  const verdict: TcbVerdict = {
    status: matched.status,
    advisoryIds: [...matched.advisoryIds],
    tcbDate: matched.date,
  }
  if (moduleMajor === 0) {
    if (info.tdxModule) checkSeam(info.tdxModule, platform, 'the TDX module')
    return verdict
  }
  const id = `TDX_${moduleMajor.toString(16).toUpperCase().padStart(2, '0')}`
  const identity = info.tdxModuleIdentities.find((candidate) => candidate.id === id)
  if (!identity)
    throw new TcbError('tcb_level_unmatched', `the TCB info has no identity for TDX module ${id}`)
  checkSeam(identity, platform, `TDX module ${id}`)
  const moduleLevel = identity.levels.find((candidate) => platform.teeTcbSvn[0] >= candidate.isvSvn)
  if (!moduleLevel)
    throw new TcbError(
      'tcb_level_unmatched',
      `TDX module ${id} SVN ${platform.teeTcbSvn[0]} is below every level Intel lists`,
    )
  return converge(verdict, moduleLevel)
}

function checkSeam(
  expected: { mrSigner: string; attributes: string; attributesMask: string },
  platform: PlatformTcb,
  what: string,
): void {
  if (toHex(platform.mrSignerSeam) !== expected.mrSigner.toLowerCase())
    throw new TcbError('tcb_level_unmatched', `${what}'s signer (MRSIGNERSEAM) is not Intel's`)
  const mask = fromHex(expected.attributesMask)
  const attributes = fromHex(expected.attributes)
  if (mask.some((bits, i) => (platform.seamAttributes[i] & bits) !== (attributes[i] & bits)))
    throw new TcbError('tcb_level_unmatched', `${what}'s SEAM attributes differ from Intel's`)
}

function unmatchedReason(info: TcbInfo, platform: PlatformTcb): string {
  const lowest = info.levels.at(-1)
  if (!lowest) return 'the TCB info lists no level'
  const below = lowest.sgx.findIndex((svn, i) => platform.sgxComponents[i] < svn)
  if (below >= 0)
    return `no TCB level matches: SGX component ${below + 1} is ${platform.sgxComponents[below]}, every level asks at least ${lowest.sgx[below]}`
  if (platform.pceSvn < lowest.pceSvn)
    return `no TCB level matches: PCE SVN ${platform.pceSvn} is below every level`
  return "no TCB level matches the TD report's TEE_TCB_SVN"
}

export interface QeReportFields {
  miscselect: number
  attributes: Uint8Array
  mrSigner: Uint8Array
  isvProdId: number
  isvSvn: number
}

/** The Quoting Enclave against Intel's identity for it; its own level. */
export function matchQeIdentity(identity: QeIdentity, report: QeReportFields): Level {
  const mismatch = (what: string) => new TcbError('qe_identity_mismatch', what)
  if (identity.id !== 'TD_QE') throw mismatch(`the QE identity is for ${identity.id}, not TD_QE`)
  if (toHex(report.mrSigner) !== identity.mrSigner)
    throw mismatch("the Quoting Enclave's MRSIGNER is not the one Intel's QE identity names")
  if (report.isvProdId !== identity.isvProdId)
    throw mismatch(
      `the Quoting Enclave's ISVPRODID ${report.isvProdId} is not ${identity.isvProdId}`,
    )
  if (
    (report.miscselect & identity.miscselectMask) >>> 0 !==
    (identity.miscselect & identity.miscselectMask) >>> 0
  )
    throw mismatch("the Quoting Enclave's MISCSELECT differs under the mask")
  const mask = fromHex(identity.attributesMask)
  const attributes = fromHex(identity.attributes)
  if (mask.some((bits, i) => (report.attributes[i] & bits) !== (attributes[i] & bits)))
    throw mismatch("the Quoting Enclave's attributes differ under the mask")
  const matched = identity.levels.find((candidate) => report.isvSvn >= candidate.isvSvn)
  if (!matched)
    throw mismatch(`the Quoting Enclave's ISVSVN ${report.isvSvn} is below every level Intel lists`)
  return matched
}

/**
 * A platform status with another component's (the TDX module's, the QE's): an out-of-date or
 * revoked component makes the whole out of date or revoked; advisories add up.
 */
export function converge(platform: TcbVerdict, component: Level): TcbVerdict {
  const advisoryIds = [...new Set([...platform.advisoryIds, ...component.advisoryIds])]
  let status = platform.status
  if (component.status === 'Revoked') status = 'Revoked'
  else if (component.status === 'OutOfDate' && status !== 'Revoked') {
    status =
      status === 'ConfigurationNeeded' ||
      status === 'ConfigurationAndSWHardeningNeeded' ||
      status === 'OutOfDateConfigurationNeeded'
        ? 'OutOfDateConfigurationNeeded'
        : 'OutOfDate'
  }
  return { status, advisoryIds, tcbDate: platform.tcbDate }
}
