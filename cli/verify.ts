/**
 * The verifying commands, offline except for the one fetch of the server's attestation:
 *
 *   oauth3 quote verify <file> [--report-data <hex>] [--compose-hash <hex>] [TRUST] [--json]
 *   oauth3 attest verify --url <server> [--compose <app-compose.json> | --compose-hash <hex>]
 *                        [--build-digest <hex>] [TRUST] [--json]
 *   oauth3 receipt verify <file> (--url <server> | --key <hex>) [--json]
 *
 * TRUST: [--collateral <file> | --pccs <url>] [--accept-tcb <statuses>] [--os-image-hash <hex|file>]
 * [--at <time>]. Everything is checked by the pure core (core/attestation): nothing here trusts the
 * server, nor the PCCS (it only carries what Intel signed).
 */
import { UsageError } from './failure'
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { fromHex, toHex } from '../core/attestation/bytes'
import { composeHashOf } from '../core/attestation/compose-hash'
import { CollateralError, parseCollateral, type Collateral } from '../core/attestation/collateral'
import { fetchCollateral } from '../core/attestation/pccs'
import { parseTdxQuote } from '../core/attestation/quote'
import { verifyReceipt, type StatusBodyLike } from '../core/attestation/receipt'
import { TCB_STATUSES, type TcbStatus } from '../core/attestation/tcb'
import { verdictOf } from '../core/attestation/verdict'
import {
  verifyAttestation,
  type AttestationVerification,
} from '../core/attestation/verify-attestation'
import { verifyQuote, type Check } from '../core/attestation/verify-quote'
import { report } from './report'

const OPTIONS = {
  json: { type: 'boolean' },
  at: { type: 'string' },
  url: { type: 'string' },
  key: { type: 'string' },
  compose: { type: 'string' },
  'compose-hash': { type: 'string' },
  'report-data': { type: 'string' },
  'build-digest': { type: 'string' },
  collateral: { type: 'string' },
  pccs: { type: 'string' },
  'accept-tcb': { type: 'string' },
  'os-image-hash': { type: 'string', multiple: true },
} as const

/** The options that decide how far the chain of trust is checked (quote and attest verify). */
const TRUST_OPTIONS: OptionName[] = ['collateral', 'pccs', 'accept-tcb', 'os-image-hash']

type OptionName = keyof typeof OPTIONS
type Values = ReturnType<typeof parse>['values']

/** The command's options (`json` and `at` always allowed); any other is a usage error. */
function parse(argv: string[], allowed: OptionName[]) {
  let parsed
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true })
  } catch (error) {
    throw new UsageError((error as Error).message)
  }
  const permitted = new Set<string>(['json', 'at', ...allowed])
  const extra = Object.keys(parsed.values).find((name) => !permitted.has(name))
  if (extra) throw new UsageError(`--${extra} is not an option of this command`)
  return parsed
}

function hexOption(
  value: string | undefined,
  name: string,
  bytes?: number,
): Uint8Array | undefined {
  if (value === undefined) return undefined
  let decoded: Uint8Array
  try {
    decoded = fromHex(value.trim())
  } catch {
    throw new UsageError(`${name} must be hex`)
  }
  if (bytes !== undefined && decoded.length !== bytes)
    throw new UsageError(`${name} must be ${bytes} bytes of hex`)
  return decoded
}

function timeOption(value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const at = Date.parse(value)
  if (Number.isNaN(at)) throw new UsageError('--at must be a date and time (ISO 8601)')
  return at
}

function readInput(file: string): Buffer {
  try {
    return readFileSync(file)
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? error}`)
  }
}

/** A raw quote, its hex, or a guest-agent GetQuote answer (JSON: `quote`, `event_log`, `vm_config`). */
function readQuoteFile(file: string): { quote: Uint8Array; eventLog?: string; vmConfig?: string } {
  const bytes = readInput(file)
  const text = bytes.toString('utf8').trim()
  if (text.startsWith('{')) {
    let answer: { quote?: unknown; event_log?: unknown }
    try {
      answer = JSON.parse(text)
    } catch {
      throw new UsageError(`${file} is not valid JSON`)
    }
    if (typeof answer.quote !== 'string') throw new UsageError(`${file} has no "quote" field`)
    const vmConfig = (answer as { vm_config?: unknown }).vm_config
    return {
      quote: hexOption(answer.quote, 'quote')!,
      ...(typeof answer.event_log === 'string' ? { eventLog: answer.event_log } : {}),
      ...(typeof vmConfig === 'string' && vmConfig ? { vmConfig } : {}),
    }
  }
  if (/^(0x)?[0-9a-fA-F\s]+$/.test(text)) return { quote: fromHex(text.replace(/\s+/g, '')) }
  return { quote: new Uint8Array(bytes) }
}

/** The trust options, read: the collateral (from a file or a PCCS), accepted statuses, pins. */
async function trustOptions(values: Values, quote: Uint8Array | undefined) {
  if (values.collateral && values.pccs)
    throw new UsageError('give --collateral or --pccs, not both')
  let collateral: Collateral | undefined
  if (values.collateral) {
    try {
      collateral = parseCollateral(JSON.parse(readInput(values.collateral).toString('utf8')))
    } catch (error) {
      if (error instanceof UsageError) throw error
      throw new UsageError(`${values.collateral}: ${(error as Error).message}`)
    }
  }
  const fetchFrom = values.pccs ? pccsUrl(values.pccs) : undefined
  const acceptTcb = values['accept-tcb']?.split(',').map((status) => status.trim())
  const unknown = acceptTcb?.find((status) => !TCB_STATUSES.includes(status as TcbStatus))
  if (unknown !== undefined)
    throw new UsageError(`--accept-tcb: ${unknown} is not one of ${TCB_STATUSES.join(', ')}`)
  const osImageHashes = values['os-image-hash']?.flatMap(osImagePins)
  /** The PCCS is asked once the quote is known (for attest verify: after the fetch). */
  const collateralFor = async (quoteBytes: Uint8Array | undefined) => {
    if (collateral || !fetchFrom || !quoteBytes) return collateral
    try {
      return await fetchCollateral(fetchFrom, parseTdxQuote(quoteBytes))
    } catch (error) {
      if (error instanceof CollateralError) throw new UsageError(`--pccs: ${error.message}`)
      throw new UsageError(
        `--pccs: the quote's PCK certificate names no platform (${(error as Error).message})`,
      )
    }
  }
  return {
    collateral: await collateralFor(quote),
    collateralFor,
    acceptTcb: acceptTcb as TcbStatus[] | undefined,
    osImageHashes,
  }
}

function pccsUrl(value: string): string {
  try {
    const url = new URL(value)
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error()
    return url.href
  } catch {
    throw new UsageError('--pccs must be an http(s) URL')
  }
}

/** `--os-image-hash`: 64 hex digits, or a file listing them (one per line, # comments). */
function osImagePins(value: string): string[] {
  if (/^[0-9a-fA-F]{64}$/.test(value)) return [value.toLowerCase()]
  const lines = readInput(value)
    .toString('utf8')
    .split('\n')
    .map((line) => line.replace(/#.*/, '').trim())
    .filter(Boolean)
  const bad = lines.find((line) => !/^[0-9a-fA-F]{64}$/.test(line))
  if (bad !== undefined || !lines.length)
    throw new UsageError(`--os-image-hash: ${value} is neither 64 hex digits nor a file of them`)
  return lines.map((line) => line.toLowerCase())
}

export async function quoteVerify(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, ['report-data', 'compose-hash', ...TRUST_OPTIONS])
  const [file] = positionals
  if (!file || positionals.length > 1) throw new UsageError('quote verify takes one file')
  const { quote, eventLog, vmConfig } = readQuoteFile(file)
  const trust = await trustOptions(values, quote)
  const result = await verifyQuote({
    quote,
    eventLog,
    vmConfig,
    reportData: hexOption(values['report-data'], '--report-data', 64),
    composeHash: values['compose-hash'],
    at: timeOption(values.at),
    collateral: trust.collateral,
    acceptTcb: trust.acceptTcb,
    osImageHashes: trust.osImageHashes,
  })
  return report(`TDX quote ${file}`, result, {
    json: Boolean(values.json),
    verdict: verdictOf(result.checks, result.quote),
    facts: {
      mr_td: result.quote?.mrTd,
      report_data: result.quote?.reportData,
      app_id: result.quote?.appId,
      compose_hash: result.quote?.composeHash,
      tcb_status: result.quote?.tcb?.status,
      advisory_ids: result.quote?.tcb?.advisoryIds.join(', ') || undefined,
      os_image_hash: result.quote?.osImage?.hash,
    },
  })
}

/** Fetch GET /attestation with a fresh nonce and verify it. */
async function attestServer(
  url: string,
  options: {
    composeHash?: string
    at?: number
    acceptTcb?: TcbStatus[]
    osImageHashes?: string[]
    collateralFor?: (quote: Uint8Array | undefined) => Promise<Collateral | undefined>
  },
): Promise<AttestationVerification & { answer?: unknown }> {
  const nonce = randomBytes(32)
  let answer: unknown
  try {
    const response = await fetch(new URL(`/attestation?nonce=${toHex(nonce)}`, url))
    if (!response.ok) throw new Error(`GET /attestation answered ${response.status}`)
    answer = await response.json()
  } catch (error) {
    const reason = `could not read ${url}/attestation: ${(error as Error).message}`
    return {
      ok: false,
      checks: [{ name: 'fetch', ok: false, code: 'attestation_unavailable', reason }],
    }
  }
  const { collateralFor, ...expect } = options
  const quoteHex = textField(answer, 'quote')
  let quote: Uint8Array | undefined
  try {
    quote = quoteHex ? fromHex(quoteHex) : undefined
  } catch {
    quote = undefined
  }
  const collateral = await collateralFor?.(quote)
  return { ...(await verifyAttestation({ answer, nonce, collateral, ...expect })), answer }
}

/**
 * The last link: the build digest the server reports (not covered by the quote: it is what the
 * measured image says of itself) against the one computed from a local build of the commit.
 */
function buildDigestCheck(answer: unknown, expected: string): Check {
  const reported = textField(answer, 'build_digest')
  if (reported === expected) {
    return { name: 'build_digest', ok: true, reason: `the server reports ${reported}` }
  }
  return {
    name: 'build_digest',
    ok: false,
    code: 'build_digest_mismatch',
    reason: reported
      ? `the server reports ${reported}, not ${expected}`
      : 'the server reports no build digest',
  }
}

function serverUrl(value: string | undefined): string {
  if (!value) throw new UsageError('--url <server> is required')
  try {
    return new URL(value).origin
  } catch {
    throw new UsageError('--url must be an http(s) URL')
  }
}

export async function attestVerify(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, [
    'url',
    'compose',
    'compose-hash',
    'build-digest',
    ...TRUST_OPTIONS,
  ])
  if (positionals.length) throw new UsageError('attest verify takes no positional argument')
  const expectedDigest = values['build-digest']
    ? toHex(hexOption(values['build-digest'], '--build-digest', 32)!)
    : undefined
  if (values.compose && values['compose-hash'])
    throw new UsageError('give --compose or --compose-hash, not both')
  const url = serverUrl(values.url)
  const composeHash = values.compose
    ? await composeHashOf(readInput(values.compose).toString('utf8')).catch((error) => {
        throw new UsageError((error as Error).message)
      })
    : values['compose-hash']?.toLowerCase()
  const trust = await trustOptions(values, undefined)
  const attested = await attestServer(url, {
    composeHash,
    at: timeOption(values.at),
    acceptTcb: trust.acceptTcb,
    osImageHashes: trust.osImageHashes,
    collateralFor: trust.collateral ? async () => trust.collateral : trust.collateralFor,
  })
  const checks = [...attested.checks]
  if (expectedDigest) checks.push(buildDigestCheck(attested.answer, expectedDigest))
  const result = { ...attested, checks, ok: checks.every((check) => check.ok) }
  const image = values.compose ? imageOf(readInput(values.compose).toString('utf8')) : undefined
  return report(`Attestation of ${url}`, result, {
    json: Boolean(values.json),
    verdict: verdictOf(result.checks, result.quote, {
      image,
      buildDigest: textField(attested.answer, 'build_digest'),
    }),
    facts: {
      tee: result.tee,
      signing_key: result.signingKey,
      app_id: result.quote?.appId,
      compose_hash: result.quote?.composeHash,
      tcb_status: result.quote?.tcb?.status,
      os_image_hash: result.quote?.osImage?.hash,
      // Stated by the compose file the quote's compose hash covers; rebuild it to compare.
      image,
      commit: textField(attested.answer, 'commit'),
      build_digest: textField(attested.answer, 'build_digest'),
    },
  })
}

/** The image a compose file names (the first `image:` line), as stated there. */
function imageOf(compose: string): string | undefined {
  return /^\s*image:\s*(\S+)\s*$/m.exec(compose)?.[1]
}

function textField(value: unknown, name: string): string | undefined {
  const field = (value as Record<string, unknown> | null)?.[name]
  return typeof field === 'string' ? field : undefined
}

/** A receipt, or an execution status body carrying one in result.receipt (checked whole). */
function readReceiptFile(file: string) {
  let body: (StatusBodyLike & { result?: { receipt?: unknown } }) | null
  try {
    body = JSON.parse(readInput(file).toString('utf8'))
  } catch (error) {
    if (error instanceof UsageError) throw error
    throw new UsageError(`${file} is not valid JSON`)
  }
  if (body?.result?.receipt && typeof body.request_id === 'string') {
    return { receipt: body.result.receipt, execution: body }
  }
  return { receipt: body as unknown, execution: undefined }
}

export async function receiptVerify(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, ['url', 'key'])
  const [file] = positionals
  if (!file || positionals.length > 1) throw new UsageError('receipt verify takes one file')
  if (Boolean(values.url) === Boolean(values.key))
    throw new UsageError('give --url <server> (attested key) or --key <hex> (that key only)')
  const { receipt, execution } = readReceiptFile(file)
  const checks = []
  let key = hexOption(values.key, '--key', 32)
  if (values.url) {
    const attestation = await attestServer(serverUrl(values.url), { at: timeOption(values.at) })
    checks.push(...attestation.checks)
    if (attestation.signingKey) key = fromHex(attestation.signingKey)
  }
  if (key) checks.push(...(await verifyReceipt({ receipt, publicKey: key, execution })).checks)
  const ok = checks.length > 0 && checks.every((check) => check.ok) && Boolean(key)
  return report(
    `Receipt ${file}`,
    { ok, checks },
    {
      json: Boolean(values.json),
      proved: values.url
        ? `this result was signed by the attested key of ${values.url}.`
        : 'this result was signed by the given key (which this command did not attest).',
      facts: {
        request_id: textField(receipt, 'request_id'),
        key_id: textField(receipt, 'key_id'),
      },
    },
  )
}
