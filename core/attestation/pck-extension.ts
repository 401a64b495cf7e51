/**
 * What Intel writes about the platform into its PCK certificate (the SGX extension, OID
 * 1.2.840.113741.1.13.1): the FMSPC (its family, to find its TCB info), the PCE id, and the TCB it
 * was certified at — sixteen SGX component SVNs and the PCE SVN, matched against the TCB levels.
 */
import { toHex } from './bytes'
import { children, parseOid, readNode, type Certificate } from './der'

const SGX_EXTENSION = '1.2.840.113741.1.13.1'

export interface PckPlatform {
  fmspc: string
  pceId: string
  /** SGX TCB component SVNs 1–16. */
  sgxComponents: number[]
  pceSvn: number
}

export function pckPlatform(certificate: Certificate): PckPlatform {
  const value = certificate.extensions.get(SGX_EXTENSION)
  if (!value) throw new Error('the PCK certificate has no SGX extension')
  const entries = new Map<string, Uint8Array>()
  collect(readNode(value, 0).body, entries)
  const octets = (oid: string, size: number) => {
    const bytes = entries.get(`${SGX_EXTENSION}.${oid}`)
    if (!bytes || bytes.length !== size)
      throw new Error(`the SGX extension's ${oid} is missing or not ${size} bytes`)
    return toHex(bytes).toUpperCase()
  }
  const integer = (oid: string) => {
    const bytes = entries.get(`${SGX_EXTENSION}.${oid}`)
    if (!bytes || bytes.length === 0 || bytes.length > 3 || bytes[0] & 0x80)
      throw new Error(`the SGX extension's ${oid} is missing or not a small integer`)
    return bytes.reduce((sum, byte) => sum * 256 + byte, 0)
  }
  return {
    fmspc: octets('4', 6),
    pceId: octets('3', 2),
    sgxComponents: Array.from({ length: 16 }, (_, i) => integer(`2.${i + 1}`)),
    pceSvn: integer('2.17'),
  }
}

/** SEQUENCE OF SEQUENCE { OID, value }, a value itself possibly such a list (the TCB). */
function collect(list: Uint8Array, into: Map<string, Uint8Array>): void {
  for (let offset = 0; offset < list.length;) {
    const entry = readNode(list, offset)
    offset = entry.end
    const [id, value] = children(entry)
    if (id?.tag !== 0x06 || !value) throw new Error('the SGX extension is malformed')
    const oid = parseOid(id.body)
    if (into.has(oid)) throw new Error(`the SGX extension repeats ${oid}`)
    if (value.tag === 0x30) collect(value.body, into)
    into.set(oid, value.body)
  }
}
