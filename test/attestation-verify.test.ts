/**
 * The offline TDX quote verifier (core/attestation) against real quotes from dstack confidential
 * VMs (test/fixtures/tdx): they verify, every tampered copy is refused with its reason, the event
 * log replays to the RTMRs and names the compose hash, and a quote forged under another CA fails
 * on the root alone.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { parseTdxQuote } from '../core/attestation/quote'
import { verifyQuote, type QuoteExpectations } from '../core/attestation/verify-quote'
import { attestationReportData } from '../core/attestation/report-data'
import { forgeQuote } from './helpers/forge-quote'

const FIXTURES = new URL('./fixtures/tdx/', import.meta.url)
/** A time inside every fixture certificate's validity. */
const AT = Date.parse('2027-01-01T00:00:00Z')

interface GetQuoteAnswer {
  quote: string
  event_log: string
  report_data: string
}
const answer = (file: string): GetQuoteAnswer =>
  JSON.parse(readFileSync(new URL(file, FIXTURES), 'utf8'))
const lite = answer('getquote-lite.json')
const report = answer('getquote-report.json')
const rawQuote = new Uint8Array(readFileSync(new URL('quote.bin', FIXTURES)))
const bytesOf = (hex: string) => new Uint8Array(Buffer.from(hex, 'hex'))

const QUOTES: Array<[string, Uint8Array]> = [
  ['quote.bin', rawQuote],
  ['getquote-lite.json', bytesOf(lite.quote)],
  ['getquote-report.json', bytesOf(report.quote)],
]

async function verify(expect: Partial<QuoteExpectations> & { quote: Uint8Array }) {
  return verifyQuote({ at: AT, ...expect })
}

const failedCodes = (result: Awaited<ReturnType<typeof verify>>) =>
  result.checks.filter((check) => !check.ok).map((check) => check.code)

/** The offsets at which a flipped byte still verifies (in batches of 64 at once). */
async function survivingFlips(quote: Uint8Array, at: number): Promise<number[]> {
  const survivors: number[] = []
  for (let start = 0; start < quote.length; start += 64) {
    const offsets = Array.from({ length: Math.min(64, quote.length - start) }, (_, i) => start + i)
    const results = await Promise.all(
      offsets.map((offset) => verifyQuote({ quote: flipped(quote, offset), at })),
    )
    results.forEach((result, i) => result.ok && survivors.push(offsets[i]))
  }
  return survivors
}

function flipped(quote: Uint8Array, offset: number): Uint8Array {
  const copy = quote.slice()
  copy[offset] ^= 0x01
  return copy
}

describe('real TDX quotes', () => {
  it.each(QUOTES)(
    '%s verifies: signatures, key binding, chain to the pinned root',
    async (_, quote) => {
      const result = await verify({ quote })
      expect(failedCodes(result)).toEqual([])
      expect(result.ok).toBe(true)
      const names = Object.fromEntries(result.checks.map((check) => [check.name, check]))
      for (const name of [
        'quote-format',
        'quote-signature',
        'attestation-key-binding',
        'pck-chain',
        'root-ca',
        'certificate-validity',
        'qe-report-signature',
        'td-not-debug',
      ]) {
        expect(names[name], name).toEqual({ name, ok: true })
      }
      // What cannot be proved offline says so, and is not counted as proved.
      expect(names['tcb-status']).toMatchObject({ ok: true, skipped: true })
      expect(names['tcb-status'].reason).toMatch(/unchecked/)
      expect(names['rtmr-replay']).toMatchObject({ skipped: true })
    },
  )

  it.each([
    ['getquote-lite.json', lite],
    ['getquote-report.json', report],
  ])(
    '%s: report_data matches and RTMR0–3 replay from its event log',
    async (_, { quote, event_log, report_data }) => {
      const result = await verify({
        quote: bytesOf(quote),
        eventLog: event_log,
        reportData: bytesOf(report_data),
      })
      expect(failedCodes(result)).toEqual([])
      expect(result.checks.find((check) => check.name === 'rtmr-replay')).toEqual({
        name: 'rtmr-replay',
        ok: true,
      })
      expect(result.quote?.composeHash).toMatch(/^[0-9a-f]{64}$/)
      expect(result.quote?.appId).toMatch(/^[0-9a-f]{40}$/)
      expect(result.quote?.reportData).toBe(report_data)
    },
  )
})

// Offsets in the v4 layout: header 0–48, TD report 48–632, signature-data length, signature
// 636–700, attestation key 700–764, certification type and size, QE report 770–1154, QE report
// signature 1154–1218, QE authentication data from 1220, then the PEM chain.
const REGIONS: Array<[string, (authLength: number) => number, string]> = [
  ['header', () => 20, 'quote_signature_invalid'],
  ['header version', () => 0, 'quote_malformed'],
  ['TD report body', () => 48 + 300, 'quote_signature_invalid'],
  ['TD report_data', () => 48 + 520 + 10, 'quote_signature_invalid'],
  ['quote signature', () => 636 + 40, 'quote_signature_invalid'],
  ['attestation key', () => 700 + 3, 'quote_signature_invalid'],
  ['QE report', () => 770 + 100, 'qe_report_signature_invalid'],
  ['QE report_data', () => 770 + 330, 'attestation_key_unbound'],
  ['QE report signature', () => 1154 + 30, 'qe_report_signature_invalid'],
  ['QE authentication data', () => 1220 + 5, 'attestation_key_unbound'],
  ['PCK leaf certificate', (auth) => 1220 + auth + 6 + 300, 'pck_chain_invalid'],
  ['root certificate', (auth) => 1220 + auth + 6 + 3300, 'pck_chain_invalid'],
  ['signature-data length', () => 633, 'quote_malformed'],
]

describe('tampered quotes', () => {
  for (const [file, quote] of QUOTES) {
    const authLength = quote[1218] | (quote[1219] << 8)
    it.each(REGIONS)(`${file}: a flipped byte in the %s is refused`, async (_, offsetOf, code) => {
      const result = await verify({ quote: flipped(quote, offsetOf(authLength)) })
      expect(result.ok).toBe(false)
      expect(failedCodes(result)[0]).toBe(code)
    })
  }

  it('no single flipped bit anywhere in a quote goes unnoticed', async () => {
    expect(await survivingFlips(rawQuote, AT)).toEqual([])
  })

  it('truncated or foreign input is malformed, not a crash', async () => {
    for (const quote of [rawQuote.subarray(0, 700), rawQuote.subarray(0, 10), new Uint8Array()]) {
      const result = await verify({ quote })
      expect(failedCodes(result)).toEqual(['quote_malformed'])
    }
  })

  it('certificates outside their validity are refused at that time', async () => {
    for (const at of [Date.parse('2051-01-01'), Date.parse('2017-01-01')]) {
      const result = await verify({ quote: rawQuote, at })
      expect(failedCodes(result)).toEqual(['certificate_expired'])
    }
  })
})

describe('expectations', () => {
  const { quote, event_log, report_data } = lite

  it('report_data other than the expected value is refused', async () => {
    const other = bytesOf(report_data)
    other[0] ^= 1
    const result = await verify({ quote: bytesOf(quote), reportData: other })
    expect(failedCodes(result)).toEqual(['report_data_mismatch'])
  })

  it('binds a signing key and a nonce: another key or nonce does not match', async () => {
    const key = new Uint8Array(32).fill(1)
    const nonce = new Uint8Array(32).fill(2)
    const expected = await attestationReportData(key, nonce)
    const forged = forgeQuote({ reportData: Buffer.from(expected) })
    expect(failedCodes(await verify({ quote: forged, reportData: expected }))).not.toContain(
      'report_data_mismatch',
    )
    for (const [otherKey, otherNonce] of [
      [new Uint8Array(32).fill(3), nonce],
      [key, new Uint8Array(32).fill(4)],
      [key, new Uint8Array()],
    ]) {
      const result = await verify({
        quote: forged,
        reportData: await attestationReportData(otherKey, otherNonce),
      })
      expect(failedCodes(result)).toContain('report_data_mismatch')
    }
  })

  it('the compose hash in RTMR3 is checked against the expected one', async () => {
    const good = await verify({ quote: bytesOf(quote), eventLog: event_log })
    const composeHash = good.quote!.composeHash!
    expect((await verify({ quote: bytesOf(quote), eventLog: event_log, composeHash })).ok).toBe(
      true,
    )
    const wrong = composeHash.replace(/^./, (c) => (c === '0' ? '1' : '0'))
    const mismatch = await verify({
      quote: bytesOf(quote),
      eventLog: event_log,
      composeHash: wrong,
    })
    expect(failedCodes(mismatch)).toEqual(['compose_hash_mismatch'])
    const noLog = await verify({ quote: bytesOf(quote), composeHash })
    expect(failedCodes(noLog)).toEqual(['compose_hash_mismatch'])
  })
})

describe('event logs', () => {
  const { quote, event_log } = lite
  const events = JSON.parse(event_log) as Array<Record<string, unknown>>
  const withLog = (log: unknown) => verify({ quote: bytesOf(quote), eventLog: JSON.stringify(log) })

  it('an altered boot event digest does not replay', async () => {
    const altered = structuredClone(events)
    const boot = altered.findIndex((event) => event.imr === 0 && event.digest)
    altered[boot].digest = String(altered[boot].digest).replace(/^./, (c) =>
      c === 'a' ? 'b' : 'a',
    )
    expect(failedCodes(await withLog(altered))).toEqual(['rtmr_mismatch'])
  })

  it('an altered runtime event payload does not replay', async () => {
    const altered = structuredClone(events)
    const compose = altered.findIndex((event) => event.event === 'compose-hash')
    altered[compose].event_payload = '00'.repeat(32)
    altered[compose].digest = ''
    expect(failedCodes(await withLog(altered))).toEqual(['rtmr_mismatch'])
  })

  it('a runtime event whose digest does not match its payload is invalid', async () => {
    const altered = structuredClone(events)
    const compose = altered.findIndex((event) => event.event === 'compose-hash')
    altered[compose].digest = 'ab'.repeat(48)
    expect(failedCodes(await withLog(altered))).toEqual(['event_log_invalid'])
  })

  it('reordered events of one register do not replay', async () => {
    const reordered = structuredClone(events)
    const rtmr3 = reordered.flatMap((event, i) => (event.imr === 3 ? [i] : []))
    const [a, b] = rtmr3
    ;[reordered[a], reordered[b]] = [reordered[b], reordered[a]]
    expect(failedCodes(await withLog(reordered))).toEqual(['rtmr_mismatch'])
  })

  it('a truncated log does not replay', async () => {
    expect(failedCodes(await withLog(events.slice(0, -1)))).toEqual(['rtmr_mismatch'])
  })

  it('an extra event does not replay', async () => {
    const extra = [
      ...events,
      { imr: 3, event_type: 0x08000001, digest: '', event: 'extra', event_payload: '00' },
    ]
    expect(failedCodes(await withLog(extra))).toEqual(['rtmr_mismatch'])
  })

  it('a log that is not a list of events is invalid', async () => {
    for (const log of ['{', '{}', JSON.stringify([{ imr: 9 }])]) {
      const result = await verify({ quote: bytesOf(quote), eventLog: log })
      expect(failedCodes(result)).toEqual(['event_log_invalid'])
    }
  })
})

describe('a quote forged under another certificate authority', () => {
  it('verifies in every part but the root, and is refused for it', async () => {
    const result = await verify({ quote: forgeQuote() })
    expect(failedCodes(result)).toEqual(['root_ca_untrusted'])
    expect(result.ok).toBe(false)
  })

  it('a debuggable TD is refused', async () => {
    const result = await verify({ quote: forgeQuote({ debug: true }) })
    expect(failedCodes(result)).toEqual(['root_ca_untrusted', 'td_debuggable'])
  })
})

describe('quote format v5 (TDX 1.5)', () => {
  // A real v5 quote (body type 3: the 648-byte TDX 1.5 report), at a time inside its certificates'
  // validity (test/fixtures/tdx/collateral/README.md).
  const v5 = new Uint8Array(readFileSync(new URL('collateral/v5-quote.bin', FIXTURES)))
  const V5_AT = Date.parse('2026-02-18T12:00:00Z')

  it('parses the TDX 1.5 body and verifies like a v4 quote', async () => {
    const quote = parseTdxQuote(v5)
    expect(quote).toMatchObject({ version: 5, bodyType: 3 })
    expect(quote.signedBytes).toHaveLength(48 + 6 + 648)
    expect(quote.report.teeTcbSvn2).toHaveLength(16)
    expect(quote.report.mrServiceTd).toHaveLength(48)
    expect(Buffer.from(quote.report.reportData)).toEqual(
      Buffer.from(v5.subarray(54 + 520, 54 + 584)),
    )
    const result = await verifyQuote({ quote: v5, at: V5_AT })
    expect(failedCodes(result)).toEqual([])
    expect(result.ok).toBe(true)
  })

  it('a body descriptor that lies about the body is malformed', async () => {
    for (const [offset, value] of [
      [48, 2], // type 2 (TDX 1.0) with a 648-byte size
      [48, 4], // no such body type
      [50, 0x87], // size 647
    ]) {
      const tampered = v5.slice()
      tampered[offset] = value
      const result = await verifyQuote({ quote: tampered, at: V5_AT })
      expect(failedCodes(result), `byte ${offset} = ${value}`).toEqual(['quote_malformed'])
    }
  })

  it('no single flipped bit anywhere in a v5 quote goes unnoticed', async () => {
    expect(await survivingFlips(v5, V5_AT)).toEqual([])
  })
})
