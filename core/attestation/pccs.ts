/**
 * Collateral from a PCCS (or any server speaking Intel's PCS v4 API) for one quote: the TDX TCB
 * info for the PCK certificate's FMSPC, the TD QE identity, the PCK CRL of the CA that issued the
 * PCK certificate, and the root CA CRL. Nothing fetched is trusted: it is all verified offline
 * (core/attestation/collateral.ts), so the server is only a courier.
 */
import { toHex } from './bytes'
import { parsePemChain } from './der'
import { CollateralError, parseCollateral, type Collateral } from './collateral'
import { pckPlatform } from './pck-extension'
import type { TdxQuote } from './quote'

const MAX_ANSWER_BYTES = 1 << 20
const TIMEOUT_MS = 15_000

export async function fetchCollateral(
  baseUrl: string,
  quote: Pick<TdxQuote, 'pckChainPem'>,
  fetchImpl: typeof fetch = fetch,
): Promise<Collateral> {
  const [leaf, issuer] = parsePemChain(quote.pckChainPem)
  const { fmspc } = pckPlatform(leaf)
  const issuerName = new TextDecoder().decode(issuer.subject)
  const ca = issuerName.includes('Processor') ? 'processor' : 'platform'
  const base = baseUrl.replace(/\/+$/, '').replace(/\/(sgx|tdx)\/certification\/v4$/, '')
  const get = async (path: string) => {
    const url = `${base}/${path}`
    let response: Response
    try {
      response = await fetchImpl(url, { signal: AbortSignal.timeout(TIMEOUT_MS) })
    } catch (error) {
      throw new CollateralError(`could not fetch ${url}: ${(error as Error).message}`)
    }
    if (!response.ok) throw new CollateralError(`${url} answered ${response.status}`)
    const body = new Uint8Array(await response.arrayBuffer())
    if (body.length > MAX_ANSWER_BYTES) throw new CollateralError(`${url} answered over 1 MiB`)
    const header = (name: string) => {
      const value = response.headers.get(name)
      if (!value) throw new CollateralError(`${url} sent no ${name} header`)
      return decodeURIComponent(value)
    }
    return { body, text: () => new TextDecoder().decode(body), header }
  }
  const tcb = await get(`tdx/certification/v4/tcb?fmspc=${fmspc}`)
  const identity = await get('tdx/certification/v4/qe/identity')
  const pckCrl = await get(`sgx/certification/v4/pckcrl?ca=${ca}&encoding=der`)
  const rootCrl = await get('sgx/certification/v4/rootcacrl')
  const tcbText = tcb.text()
  const identityText = identity.text()
  return parseCollateral({
    tcb_info: rawMember(tcbText, 'tcbInfo'),
    tcb_info_signature: signatureOf(tcbText),
    tcb_info_issuer_chain: tcb.header('TCB-Info-Issuer-Chain'),
    qe_identity: rawMember(identityText, 'enclaveIdentity'),
    qe_identity_signature: signatureOf(identityText),
    qe_identity_issuer_chain: identity.header('SGX-Enclave-Identity-Issuer-Chain'),
    pck_crl: crlHex(pckCrl.body),
    pck_crl_issuer_chain: pckCrl.header('SGX-PCK-CRL-Issuer-Chain'),
    root_ca_crl: crlHex(rootCrl.body),
  })
}

/** A CRL answered as DER or (PCCS's way) as the hex of the DER. */
function crlHex(body: Uint8Array): string {
  const text = new TextDecoder().decode(body).trim()
  return /^([0-9a-fA-F]{2})+$/.test(text) ? text.toLowerCase() : toHex(body)
}

function signatureOf(text: string): string {
  let signature: unknown
  try {
    signature = (JSON.parse(text) as { signature?: unknown }).signature
  } catch {
    throw new CollateralError('the PCCS answered something other than JSON')
  }
  if (typeof signature !== 'string') throw new CollateralError('the PCCS answer has no signature')
  return signature
}

/**
 * The exact text of a top-level object member: Intel signs those bytes, so re-serialising the
 * parsed value could change what is verified.
 */
export function rawMember(text: string, name: string): string {
  const key = `"${name}"`
  let depth = 0
  for (let i = 0; i < text.length; i++) {
    const char = text[i]
    if (char === '"') {
      const end = stringEnd(text, i)
      if (depth === 1 && text.slice(i, end + 1) === key) {
        let start = end + 1
        while (/\s/.test(text[start] ?? '')) start++
        if (text[start++] !== ':') break
        while (/\s/.test(text[start] ?? '')) start++
        return text.slice(start, valueEnd(text, start) + 1)
      }
      i = end
    } else if (char === '{' || char === '[') depth++
    else if (char === '}' || char === ']') depth--
  }
  throw new CollateralError(`the PCCS answer has no ${name}`)
}

function stringEnd(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] === '\\') i++
    else if (text[i] === '"') return i
  }
  throw new CollateralError('the PCCS answer has an unterminated string')
}

function valueEnd(text: string, start: number): number {
  if (text[start] !== '{') throw new CollateralError('the PCCS answer member is not an object')
  let depth = 0
  for (let i = start; i < text.length; i++) {
    if (text[i] === '"') i = stringEnd(text, i)
    else if (text[i] === '{' || text[i] === '[') depth++
    else if ((text[i] === '}' || text[i] === ']') && --depth === 0) return i
  }
  throw new CollateralError('the PCCS answer is truncated')
}
