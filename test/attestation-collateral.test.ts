/**
 * TCB status from Intel's collateral (core/attestation/collateral.ts, tcb.ts): the real v4 and v5
 * quotes with the collateral that was current for each (test/fixtures/tdx/collateral), checked
 * against Phala's independent verifier `@phala/dcap-qvl` as an oracle on the fixtures and on a few
 * hundred single-byte tamperings; then, under a test PKI shaped like Intel's (what Intel's signed
 * material cannot show), revocation, QE identity, TCB level matching and status convergence.
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'
import { parseCollateral, type Collateral } from '../core/attestation/collateral'
import { verifyQuote, type QuoteVerification } from '../core/attestation/verify-quote'
import { forgeWorld, type WorldOptions } from './helpers/forge-collateral'

const qvl = createRequire(import.meta.url)('@phala/dcap-qvl') as {
  verify(
    quote: Buffer,
    collateral: Collateral,
    nowSeconds: number,
  ): { status: string; advisory_ids: string[] }
}

const FIXTURES = new URL('./fixtures/tdx/collateral/', import.meta.url)
const fixture = (version: 'v4' | 'v5') => {
  const collateral = JSON.parse(
    readFileSync(new URL(`${version}-collateral.json`, FIXTURES), 'utf8'),
  ) as Collateral
  const issued = Date.parse((JSON.parse(collateral.tcb_info) as { issueDate: string }).issueDate)
  return {
    quote: new Uint8Array(readFileSync(new URL(`${version}-quote.bin`, FIXTURES))),
    collateral,
    /** An hour after the TCB info was issued: inside every validity window. */
    at: issued + 3600_000,
  }
}
const v4 = fixture('v4')
const v5 = fixture('v5')

const failedCodes = (result: QuoteVerification) =>
  result.checks.filter((check) => !check.ok).map((check) => check.code)
const checkNamed = (result: QuoteVerification, name: string) =>
  result.checks.find((check) => check.name === name)

/** What the oracle says: a status, or that it refuses. */
function oracle(quote: Uint8Array, collateral: Collateral, at: number): string {
  try {
    return qvl.verify(Buffer.from(quote), collateral, at / 1000).status
  } catch {
    return 'refused'
  }
}

describe("Intel's collateral for real quotes", () => {
  it('v4 at its collateral time: UpToDate, every link checked, as the oracle says', async () => {
    const result = await verifyQuote({ ...v4, collateral: parseCollateral(v4.collateral) })
    expect(failedCodes(result)).toEqual([])
    for (const name of [
      'collateral',
      'collateral-signatures',
      'collateral-validity',
      'revocation',
      'qe-identity',
    ])
      expect(checkNamed(result, name), name).toEqual({ name, ok: true })
    expect(checkNamed(result, 'tcb-status')).toMatchObject({
      ok: true,
      reason: 'UpToDate as of 2025-06-19T10:16:03Z',
    })
    expect(result.quote?.tcb).toMatchObject({
      status: 'UpToDate',
      advisoryIds: [],
      issueDate: '2025-06-19T10:16:03Z',
      fmspc: 'B0C06F000000',
    })
    expect(oracle(v4.quote, v4.collateral, v4.at)).toBe('UpToDate')
    expect(qvl.verify(Buffer.from(v4.quote), v4.collateral, v4.at / 1000).advisory_ids).toEqual([])
  })

  it('v5 parses, its signatures and collateral hold, and its TCB is reported: no level covers it', async () => {
    const result = await verifyQuote({ ...v5, collateral: parseCollateral(v5.collateral) })
    expect(failedCodes(result)).toEqual(['tcb_level_unmatched'])
    expect(checkNamed(result, 'qe-identity')).toEqual({ name: 'qe-identity', ok: true })
    expect(checkNamed(result, 'tcb-status')?.reason).toBe(
      'no TCB level matches: SGX component 8 is 3, every level asks at least 5',
    )
    // The oracle refuses it too ("No matching TCB level found").
    expect(oracle(v5.quote, v5.collateral, v5.at)).toBe('refused')
  })

  it('outside the collateral validity: collateral_expired, both before issue and after next update', async () => {
    const collateral = parseCollateral(v4.collateral)
    const after = await verifyQuote({ ...v4, collateral, at: Date.parse('2025-07-20T00:00:00Z') })
    expect(failedCodes(after)).toEqual(['collateral_expired'])
    expect(checkNamed(after, 'collateral-validity')?.reason).toMatch(
      /the TCB info is not valid at 2025-07-20/,
    )
    const before = await verifyQuote({ ...v4, collateral, at: Date.parse('2025-06-19T10:00:00Z') })
    expect(failedCodes(before)).toEqual(['collateral_expired'])
    expect(oracle(v4.quote, v4.collateral, Date.parse('2025-07-20T00:00:00Z'))).toBe('refused')
  })

  it('a TCB info or QE identity with a broken signature: collateral_signature_invalid', async () => {
    const cases: Array<[keyof Collateral, (text: string) => string]> = [
      [
        'tcb_info',
        (text) => text.replace('"tcbEvaluationDataNumber":17', '"tcbEvaluationDataNumber":18'),
      ],
      ['tcb_info_signature', (text) => (text[0] === '0' ? '1' : '0') + text.slice(1)],
      ['qe_identity', (text) => text.replace('"isvprodid":2', '"isvprodid":3')],
      ['qe_identity_signature', (text) => text.slice(0, -1) + (text.endsWith('0') ? '1' : '0')],
    ]
    for (const [field, change] of cases) {
      const collateral = { ...v4.collateral, [field]: change(v4.collateral[field]) }
      expect(collateral[field], field).not.toBe(v4.collateral[field])
      const result = await verifyQuote({ ...v4, collateral: parseCollateral(collateral) })
      expect(failedCodes(result), field).toEqual(['collateral_signature_invalid'])
      expect(oracle(v4.quote, collateral, v4.at), field).toBe('refused')
    }
  })

  it("another platform's collateral is refused as a mismatch", async () => {
    const result = await verifyQuote({
      ...v4,
      collateral: parseCollateral(v5.collateral),
      at: v4.at,
    })
    expect(failedCodes(result)[0]).toMatch(/collateral_(mismatch|expired)/)
    const now = await verifyQuote({
      quote: v4.quote,
      collateral: parseCollateral(v5.collateral),
      at: v5.at,
    })
    expect(failedCodes(now)).toContain('collateral_mismatch')
  })

  it('malformed collateral is collateral_invalid, never a crash', async () => {
    for (const [field, value] of [
      ['tcb_info', '{"id":'],
      ['pck_crl', 'zz'],
      ['root_ca_crl', '3000'],
      ['qe_identity', '[]'],
    ] as const) {
      const result = await verifyQuote({
        ...v4,
        collateral: parseCollateral({ ...v4.collateral, [field]: value }),
      })
      expect(failedCodes(result), field).toEqual(['collateral_invalid'])
    }
    expect(() => parseCollateral({ ...v4.collateral, pck_crl: 7 })).toThrow(/no pck_crl/)
  })

  it('agrees with the oracle on 300 single-byte tamperings of quote and collateral', async () => {
    const fields = Object.keys(v4.collateral) as Array<keyof Collateral>
    let seed = 20261205
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31
      return seed % n
    }
    const tally = { agree: 0, stricter: 0 }
    for (let i = 0; i < 300; i++) {
      let quote = v4.quote
      let collateral = v4.collateral
      let where: string
      if (i % 2 === 0) {
        quote = quote.slice()
        const offset = random(quote.length)
        quote[offset] ^= 1 << random(8)
        where = offset >= 1220 + 32 ? 'quote-certificates' : 'quote'
      } else {
        const field = fields[random(fields.length)]
        const text = collateral[field]
        const offset = random(text.length)
        const char = text[offset]
        const other = /[0-9a-f]/.test(char)
          ? ((parseInt(char, 16) + 1 + random(14)) % 16).toString(16)
          : String.fromCharCode(char.charCodeAt(0) ^ 1)
        collateral = {
          ...collateral,
          [field]: text.slice(0, offset) + other + text.slice(offset + 1),
        }
        where = field
      }
      const ours = await verifyQuote({ quote, collateral: parseCollateral(collateral), at: v4.at })
      const theirs = oracle(quote, collateral, v4.at)
      if (ours.ok) {
        // Whatever we accept, the oracle accepts with the same status.
        expect(theirs, where).toBe(ours.quote?.tcb?.status)
        tally.agree++
      } else if (theirs === 'refused') tally.agree++
      else {
        // Where only we refuse, it is where we check more: the CRLs and their issuer chain (the
        // oracle checks neither signature), canonical PEM and zero padding in the quote.
        expect(
          ['pck_crl', 'root_ca_crl', 'pck_crl_issuer_chain', 'quote-certificates'],
          where,
        ).toContain(where)
        expect([
          'collateral_signature_invalid',
          'collateral_invalid',
          'pck_chain_invalid',
          'quote_malformed',
        ]).toContain(failedCodes(ours)[0])
        tally.stricter++
      }
    }
    expect(tally.agree).toBeGreaterThan(200)
  })
})

describe('under a test PKI shaped like Intel’s', () => {
  const verifyWorld = async (
    options: WorldOptions = {},
    accept?: Parameters<typeof verifyQuote>[0]['acceptTcb'],
  ) => {
    const world = forgeWorld(options)
    return verifyQuote({
      quote: world.quote,
      collateral: world.collateral,
      at: world.at,
      anchor: world.anchor,
      ...(accept ? { acceptTcb: accept } : {}),
    })
  }

  it('a clean world verifies UpToDate; the same world against Intel’s pin fails on the root', async () => {
    const result = await verifyWorld()
    expect(failedCodes(result)).toEqual([])
    expect(result.quote?.tcb?.status).toBe('UpToDate')
    const world = forgeWorld()
    const pinned = await verifyQuote({
      quote: world.quote,
      collateral: world.collateral,
      at: world.at,
    })
    expect(failedCodes(pinned)).toEqual(['root_ca_untrusted'])
    expect(checkNamed(pinned, 'tcb-status')).toMatchObject({ skipped: true })
  })

  it('a CRL that revokes the PCK certificate, the PCK CA or the TCB Signing certificate fails', async () => {
    for (const revoke of ['revokePck', 'revokePlatformCa', 'revokeTcbSigning'] as const) {
      const result = await verifyWorld({ [revoke]: true })
      expect(failedCodes(result), revoke).toEqual(['certificate_revoked'])
    }
    expect(checkNamed(await verifyWorld({ revokePck: true }), 'revocation')?.reason).toBe(
      'the PCK certificate is revoked',
    )
  })

  it('a Quoting Enclave that is not the one the QE identity names fails qe_identity_mismatch', async () => {
    const cases: Array<[string, WorldOptions['qe']]> = [
      ['MRSIGNER', { mrSigner: Buffer.alloc(32, 5) }],
      ['ISVPRODID', { isvProdId: 1 }],
      ['attributes', { attributes: Buffer.from('13000000000000000000000000000000', 'hex') }],
      ['ISVSVN', { isvSvn: 3 }],
    ]
    for (const [what, qe] of cases) {
      const result = await verifyWorld({ qe })
      expect(failedCodes(result), what).toEqual(['qe_identity_mismatch'])
      expect(checkNamed(result, 'qe-identity')?.reason, what).toMatch(new RegExp(what))
    }
  })

  it('the first level the platform meets decides; OutOfDate fails by default, passes when accepted', async () => {
    const old = { pck: { sgx: [2, 2, 2, 2, 3, 1, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0], pceSvn: 7 } }
    const result = await verifyWorld(old)
    expect(failedCodes(result)).toEqual(['tcb_out_of_date'])
    expect(result.quote?.tcb).toMatchObject({
      status: 'OutOfDate',
      advisoryIds: ['INTEL-SA-00106'],
    })
    expect(checkNamed(result, 'tcb-status')?.reason).toMatch(
      /^OutOfDate as of 2030-05-20T00:00:00Z \(INTEL-SA-00106\); accepted: UpToDate, SWHardeningNeeded$/,
    )
    expect(failedCodes(await verifyWorld(old, ['UpToDate', 'OutOfDate']))).toEqual([])
    const below = await verifyWorld({
      pck: { sgx: [2, 2, 2, 2, 3, 1, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0], pceSvn: 11 },
    })
    expect(failedCodes(below)).toEqual(['tcb_level_unmatched'])
  })

  it('an out-of-date TDX module or QE makes the whole out of date; a revoked one, revoked', async () => {
    const module = await verifyWorld({
      teeTcbSvn: [3, 1, 3],
      moduleLevels: [
        { isvSvn: 4, status: 'UpToDate' },
        { isvSvn: 2, status: 'OutOfDate' },
      ],
    })
    expect(module.quote?.tcb?.status).toBe('OutOfDate')
    const configuration = await verifyWorld(
      {
        levels: [
          {
            sgx: [2, 2, 2, 2, 3, 1, 0, 5],
            pceSvn: 11,
            tdx: [5, 0, 2],
            status: 'ConfigurationNeeded',
          },
        ],
        qeLevels: [
          { isvSvn: 5, status: 'UpToDate' },
          { isvSvn: 4, status: 'OutOfDate', advisories: ['INTEL-SA-00999'] },
        ],
      },
      ['ConfigurationNeeded'],
    )
    expect(configuration.quote?.tcb).toMatchObject({
      status: 'OutOfDateConfigurationNeeded',
      advisoryIds: ['INTEL-SA-00999'],
    })
    const revoked = await verifyWorld({ qeLevels: [{ isvSvn: 4, status: 'Revoked' }] }, ['Revoked'])
    expect(failedCodes(revoked)).toEqual(['tcb_revoked'])
    // A module major version the TCB info has no identity for is not matched.
    expect(failedCodes(await verifyWorld({ teeTcbSvn: [6, 2, 3] }))).toEqual([
      'tcb_level_unmatched',
    ])
  })
})
