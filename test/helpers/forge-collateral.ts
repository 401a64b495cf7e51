/**
 * A whole Intel-shaped PKI under a test root, so that what Intel's real collateral cannot show can
 * be tested: a PCK certificate with its SGX extension (FMSPC, PCE id, TCB), a PCK Platform CA, a
 * TCB Signing certificate, both CRLs, a TCB info and a QE identity signed as Intel signs them, and
 * a TDX v4 quote whose QE report and TEE_TCB_SVN are chosen. Verified with `anchor` (this root's
 * pin) it exercises the same code as Intel's collateral does; against the real pin it fails.
 */
import { createHash, randomBytes, sign, type KeyObject } from 'node:crypto'
import type { Collateral } from '../../core/attestation/collateral'
import type { TrustAnchor } from '../../core/attestation/chain'
import { algorithm, der, name, p256, pem, signQuote, utcTime } from './forge-quote'

const SEQUENCE = 0x30

function oid(dotted: string): Buffer {
  const [first, second, ...rest] = dotted.split('.').map(Number)
  const bytes = [first * 40 + second]
  for (const part of rest) {
    const chunk = [part & 0x7f]
    for (let value = Math.floor(part / 128); value > 0; value = Math.floor(value / 128))
      chunk.unshift((value & 0x7f) | 0x80)
    bytes.push(...chunk)
  }
  return der(0x06, Buffer.from(bytes))
}

function integer(value: number | Buffer): Buffer {
  let bytes = Buffer.isBuffer(value) ? value : Buffer.from([value >> 8, value & 0xff])
  while (bytes.length > 1 && bytes[0] === 0 && !(bytes[1] & 0x80)) bytes = bytes.subarray(1)
  if (bytes[0] & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes])
  return der(0x02, bytes)
}

const SGX = '1.2.840.113741.1.13.1'

function sgxExtension(pck: PckTcb): Buffer {
  const entry = (id: string, value: Buffer) => der(SEQUENCE, oid(`${SGX}.${id}`), value)
  const tcb = der(
    SEQUENCE,
    ...pck.sgx.map((svn, i) => entry(`2.${i + 1}`, integer(svn))),
    entry('2.17', integer(pck.pceSvn)),
    entry('2.18', der(0x04, Buffer.from(pck.sgx))),
  )
  const value = der(
    SEQUENCE,
    entry('1', der(0x04, Buffer.alloc(16, 1))),
    entry('2', tcb),
    entry('3', der(0x04, Buffer.from('0000', 'hex'))),
    entry('4', der(0x04, Buffer.from(FMSPC, 'hex'))),
    entry('5', der(0x0a, Buffer.from([0]))),
  )
  return der(SEQUENCE, oid(SGX), der(0x04, value))
}

interface Issued {
  der: Buffer
  key: KeyObject
  serial: Buffer
  subject: string
}

function issue(subject: string, issuer: Issued | null, extensions: Buffer[] = []): Issued {
  const keys = p256()
  const serial = randomBytes(16)
  serial[0] &= 0x7f
  const tbs = der(
    SEQUENCE,
    der(0xa0, integer(2)),
    integer(serial),
    algorithm(),
    name(issuer?.subject ?? subject),
    der(SEQUENCE, utcTime('2020-01-01T00:00:00'), utcTime('2040-01-01T00:00:00')),
    name(subject),
    keys.publicKey.export({ type: 'spki', format: 'der' }),
    ...(extensions.length ? [der(0xa3, der(SEQUENCE, ...extensions))] : []),
  )
  const signature = sign('sha256', tbs, { key: issuer?.key ?? keys.privateKey, dsaEncoding: 'der' })
  return {
    der: der(SEQUENCE, tbs, algorithm(), der(0x03, Buffer.from([0]), signature)),
    key: keys.privateKey,
    serial,
    subject,
  }
}

function crl(issuer: Issued, revoked: Buffer[], from: string, to: string): string {
  const entries = revoked.map((serial) => der(SEQUENCE, integer(serial), utcTime(from)))
  const tbs = der(
    SEQUENCE,
    integer(1),
    algorithm(),
    name(issuer.subject),
    utcTime(from),
    utcTime(to),
    ...(entries.length ? [der(SEQUENCE, ...entries)] : []),
  )
  const signature = sign('sha256', tbs, { key: issuer.key, dsaEncoding: 'der' })
  return der(SEQUENCE, tbs, algorithm(), der(0x03, Buffer.from([0]), signature)).toString('hex')
}

const FMSPC = 'B0C06F000000'

interface PckTcb {
  sgx: number[]
  pceSvn: number
}

const svns = (values: number[]) => values.map((svn) => ({ svn }))
const padded = (values: number[]) => [...values, ...Array(16 - values.length).fill(0)]

export interface WorldOptions {
  /** The PCK certificate's TCB (Intel's v4 fixture platform by default). */
  pck?: PckTcb
  /** TEE_TCB_SVN of the TD report: [module SVN, module major, …]. */
  teeTcbSvn?: number[]
  /** TCB levels, highest first: SGX components, PCE SVN, TDX components, status, advisories. */
  levels?: Array<{
    sgx: number[]
    pceSvn: number
    tdx: number[]
    status: string
    advisories?: string[]
  }>
  /** TDX module identity TDX_01 levels, highest first. */
  moduleLevels?: Array<{ isvSvn: number; status: string }>
  /** The Quoting Enclave as its report says it is. */
  qe?: { isvSvn?: number; isvProdId?: number; mrSigner?: Buffer; attributes?: Buffer }
  qeLevels?: Array<{ isvSvn: number; status: string; advisories?: string[] }>
  revokePck?: boolean
  revokePlatformCa?: boolean
  revokeTcbSigning?: boolean
}

/** Inside every validity window of the forged collateral. */
export const WORLD_AT = Date.parse('2030-06-01T12:00:00Z')

export function forgeWorld(options: WorldOptions = {}): {
  quote: Buffer
  collateral: Collateral
  anchor: TrustAnchor
  at: number
} {
  const pckTcb = options.pck ?? { sgx: padded([2, 2, 2, 2, 3, 1, 0, 5]), pceSvn: 11 }
  const root = issue('Test SGX Root CA', null)
  const platformCa = issue('Test SGX PCK Platform CA', root)
  const pck = issue('Test SGX PCK Certificate', platformCa, [sgxExtension(pckTcb)])
  const tcbSigning = issue('Test SGX TCB Signing', root)
  const chainOf = (...certificates: Issued[]) => certificates.map((c) => pem(c.der)).join('')
  const qeSigner = createHash('sha256').update('test QE').digest()

  const levels = options.levels ?? [
    { sgx: [2, 2, 2, 2, 3, 1, 0, 5], pceSvn: 11, tdx: [5, 0, 2], status: 'UpToDate' },
    {
      sgx: [2, 2, 2, 2, 3, 1, 0, 5],
      pceSvn: 5,
      tdx: [5, 0, 2],
      status: 'OutOfDate',
      advisories: ['INTEL-SA-00106'],
    },
  ]
  const tcbInfo = JSON.stringify({
    id: 'TDX',
    version: 3,
    issueDate: '2030-05-20T00:00:00Z',
    nextUpdate: '2030-06-19T00:00:00Z',
    fmspc: FMSPC,
    pceId: '0000',
    tcbType: 0,
    tcbEvaluationDataNumber: 17,
    tdxModule: {
      mrsigner: '00'.repeat(48),
      attributes: '00'.repeat(8),
      attributesMask: 'FF'.repeat(8),
    },
    tdxModuleIdentities: [
      {
        id: 'TDX_01',
        mrsigner: '00'.repeat(48),
        attributes: '00'.repeat(8),
        attributesMask: 'FF'.repeat(8),
        tcbLevels: (options.moduleLevels ?? [{ isvSvn: 4, status: 'UpToDate' }]).map((level) => ({
          tcb: { isvsvn: level.isvSvn },
          tcbDate: '2030-01-01T00:00:00Z',
          tcbStatus: level.status,
        })),
      },
    ],
    tcbLevels: levels.map((level) => ({
      tcb: {
        sgxtcbcomponents: svns(padded(level.sgx)),
        pcesvn: level.pceSvn,
        tdxtcbcomponents: svns(padded(level.tdx)),
      },
      tcbDate: '2030-01-01T00:00:00Z',
      tcbStatus: level.status,
      ...(level.advisories ? { advisoryIDs: level.advisories } : {}),
    })),
  })
  const qeIdentity = JSON.stringify({
    id: 'TD_QE',
    version: 2,
    issueDate: '2030-05-20T00:00:00Z',
    nextUpdate: '2030-06-19T00:00:00Z',
    tcbEvaluationDataNumber: 17,
    miscselect: '00000000',
    miscselectMask: 'FFFFFFFF',
    attributes: '11000000000000000000000000000000',
    attributesMask: 'FBFFFFFFFFFFFFFF0000000000000000',
    mrsigner: qeSigner.toString('hex').toUpperCase(),
    isvprodid: 2,
    tcbLevels: (options.qeLevels ?? [{ isvSvn: 4, status: 'UpToDate' }]).map((level) => ({
      tcb: { isvsvn: level.isvSvn },
      tcbDate: '2030-01-01T00:00:00Z',
      tcbStatus: level.status,
      ...(level.advisories ? { advisoryIDs: level.advisories } : {}),
    })),
  })
  const signRaw = (data: string) =>
    sign('sha256', Buffer.from(data), { key: tcbSigning.key, dsaEncoding: 'ieee-p1363' }).toString(
      'hex',
    )
  const rootRevoked = [
    ...(options.revokePlatformCa ? [platformCa.serial] : []),
    ...(options.revokeTcbSigning ? [tcbSigning.serial] : []),
  ]
  const collateral: Collateral = {
    tcb_info: tcbInfo,
    tcb_info_signature: signRaw(tcbInfo),
    tcb_info_issuer_chain: chainOf(tcbSigning, root),
    qe_identity: qeIdentity,
    qe_identity_signature: signRaw(qeIdentity),
    qe_identity_issuer_chain: chainOf(tcbSigning, root),
    pck_crl: crl(
      platformCa,
      options.revokePck ? [pck.serial] : [],
      '2030-05-01T00:00:00',
      '2030-07-01T00:00:00',
    ),
    pck_crl_issuer_chain: chainOf(platformCa, root),
    root_ca_crl: crl(root, rootRevoked, '2030-05-01T00:00:00', '2030-07-01T00:00:00'),
  }

  // The quote: a TD report with the chosen TEE_TCB_SVN, a QE report as chosen, signed through.
  const body = Buffer.alloc(584)
  Buffer.from(padded(options.teeTcbSvn ?? [6, 1, 3])).copy(body, 0)
  body[123] = 0x10 // SEPT_VE_DISABLE, as production TDs set it
  const qeReport = Buffer.alloc(384)
  ;(options.qe?.attributes ?? Buffer.from('11000000000000000000000000000000', 'hex')).copy(
    qeReport,
    48,
  )
  ;(options.qe?.mrSigner ?? qeSigner).copy(qeReport, 128)
  qeReport.writeUInt16LE(options.qe?.isvProdId ?? 2, 256)
  qeReport.writeUInt16LE(options.qe?.isvSvn ?? 4, 258)
  const quote = signQuote({
    body,
    qeReport,
    pckKey: pck.key,
    chain: chainOf(pck, platformCa, root),
  })
  return {
    quote,
    collateral,
    anchor: { rootSha256: createHash('sha256').update(root.der).digest('hex') },
    at: WORLD_AT,
  }
}
