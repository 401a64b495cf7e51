/**
 * `oauth3 quote verify` and `attest verify` with the trust options, as real child processes:
 * Intel's collateral from a file or a PCCS stand-in (TCB status), OS image pins, and the chain of
 * trust printed link by link — where no output may claim more than its checks proved, for every
 * combination of flags.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Collateral } from '../core/attestation/collateral'
import { startDstackStandin } from '../scripts/dstack-standin.mjs'
import { startPccsStandin } from './helpers/pccs-standin'
import { startServer, type RunningServer } from './helpers/server'
import { failedCodes, oauth3, root } from './helpers/verify-cli'

const tdx = join(root, 'test', 'fixtures', 'tdx')
const V4_QUOTE = join(tdx, 'collateral', 'v4-quote.bin')
const V4_COLLATERAL = join(tdx, 'collateral', 'v4-collateral.json')
const V5_COLLATERAL = join(tdx, 'collateral', 'v5-collateral.json')
const LITE = join(tdx, 'getquote-lite.json')
const OLDER = join(tdx, 'getquote-report.json')
/** An hour after the v4 TCB info was issued. */
const V4_AT = ['--at', '2025-06-19T11:16:03Z']
const AT = ['--at', '2027-01-01T00:00:00Z']
const OS_IMAGE = 'e6f5cfec20c02e7b97baa213d0f718020b55e040172d90ccbcb946d56c8b09db'
const COMPOSE_HASH = '86b0e55f2fa8e4fb69d890f14f54d5612707646e2573d54e0d2ddaaade77caa9'

const collateralOf = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Collateral

let work: string
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'oauth3-trust-'))
})
afterAll(() => rmSync(work, { recursive: true, force: true }))

describe('TCB status from collateral', () => {
  it('--collateral on the v4 quote at its time: UpToDate, link by link, exit 0', async () => {
    const ran = await oauth3('quote', 'verify', V4_QUOTE, '--collateral', V4_COLLATERAL, ...V4_AT)
    expect(ran.status, ran.stdout + ran.stderr).toBe(0)
    expect(ran.stdout).toMatch(/ok {4}tcb-status +UpToDate as of 2025-06-19T10:16:03Z/)
    expect(ran.stdout).toMatch(/holds +PCK +platform certificate signed by Intel, not revoked/)
    expect(ran.stdout).toMatch(
      /holds +QE +Quoting Enclave signed by the PCK key, identity matches Intel's/,
    )
    expect(ran.stdout).toMatch(
      /holds +TD quote +signed by the attested key, not debuggable; TCB UpToDate as of 2025-06-19/,
    )
    expect(ran.stdout).toMatch(
      /^Proved: genuine TDX, TCB UpToDate; OS image unchecked; compose hash not compared\.$/m,
    )
    const json = (
      await oauth3('quote', 'verify', V4_QUOTE, '--collateral', V4_COLLATERAL, '--json', ...V4_AT)
    ).json()
    expect(json.tcb_status).toBe('UpToDate')
    expect(json.chain?.map((link) => link.link)).toEqual([
      'Intel root',
      'PCK',
      'QE',
      'TD quote',
      'OS image',
      'RTMR3',
      'compose hash',
    ])
  })

  it('--pccs fetches the same collateral from a PCCS at the PCS v4 paths', async () => {
    const pccs = await startPccsStandin(collateralOf(V4_COLLATERAL))
    try {
      const ran = await oauth3('quote', 'verify', V4_QUOTE, '--pccs', pccs.url, '--json', ...V4_AT)
      expect(ran.status, ran.stdout + ran.stderr).toBe(0)
      expect(ran.json().tcb_status).toBe('UpToDate')
      expect(pccs.requests).toEqual([
        '/tdx/certification/v4/tcb?fmspc=B0C06F000000',
        '/tdx/certification/v4/qe/identity',
        '/sgx/certification/v4/pckcrl?ca=platform&encoding=der',
        '/sgx/certification/v4/rootcacrl',
      ])
    } finally {
      await pccs.close()
    }
    // A PCCS that serves another platform's collateral is only a courier: the mismatch is caught.
    const wrong = await startPccsStandin(collateralOf(V5_COLLATERAL))
    try {
      const ran = await oauth3(
        'quote',
        'verify',
        V4_QUOTE,
        '--pccs',
        wrong.url,
        '--json',
        '--at',
        '2026-02-18T11:58:51Z',
      )
      expect(ran.status).toBe(1)
      expect(failedCodes(ran)).toContain('collateral_mismatch')
    } finally {
      await wrong.close()
    }
  })

  it('expired collateral, and the v5 quote: each fails with its own code, exit 1', async () => {
    const expired = await oauth3(
      'quote',
      'verify',
      V4_QUOTE,
      '--collateral',
      V4_COLLATERAL,
      '--json',
      '--at',
      '2025-08-01T00:00:00Z',
    )
    expect(expired.status).toBe(1)
    expect(failedCodes(expired)).toEqual(['collateral_expired'])
    const v5 = await oauth3(
      'quote',
      'verify',
      join(tdx, 'collateral', 'v5-quote.bin'),
      '--collateral',
      V5_COLLATERAL,
      '--at',
      '2026-02-18T11:58:51Z',
    )
    expect(v5.status).toBe(1)
    expect(v5.stdout).toMatch(/FAIL {2}tcb-status +tcb_level_unmatched: no TCB level matches/)
    expect(v5.stdout).toMatch(
      /genuine TDX, TCB unmatched; .* weakest link: TD quote \(tcb_level_unmatched\)\.$/m,
    )
  })

  it('wrong trust options are usage errors (exit 2), a PCCS that does not answer too', async () => {
    for (const args of [
      ['--collateral', V4_COLLATERAL, '--pccs', 'http://127.0.0.1:9'],
      ['--accept-tcb', 'Fine'],
      ['--os-image-hash', 'abc'],
      ['--pccs', 'ftp://pccs'],
      ['--collateral', LITE],
      ['--pccs', 'http://127.0.0.1:9'],
    ]) {
      const ran = await oauth3('quote', 'verify', V4_QUOTE, ...args, ...V4_AT)
      expect(ran.status, args.join(' ')).toBe(2)
      expect(ran.stderr, args.join(' ')).toMatch(/error: |usage:/)
    }
  })
})

describe('the verdict says no more than was proved', () => {
  const pins = () => {
    const file = join(work, 'trusted-images.txt')
    writeFileSync(file, `# images we trust\n${'cd'.repeat(32)}\n${OS_IMAGE}\n`)
    return file
  }

  interface Case {
    args: string[]
    exit: number
    /** Claims the output must make. */
    says: RegExp[]
  }
  const cases = (): Record<string, Case> => ({
    'a bare quote': {
      args: [join(tdx, 'quote.bin'), ...AT],
      exit: 0,
      says: [
        /TCB unchecked/,
        /revocation unchecked/,
        /identity unchecked/,
        /OS image unchecked/,
        /compose hash not compared/,
      ],
    },
    'with collateral': {
      args: [V4_QUOTE, '--collateral', V4_COLLATERAL, ...V4_AT],
      exit: 0,
      says: [/not revoked/, /identity matches/, /TCB UpToDate/],
    },
    'with the event log and vm_config, unpinned': {
      args: [LITE, ...AT],
      exit: 0,
      says: [
        /OS image unpinned/,
        new RegExp(`${OS_IMAGE} gives MRTD and RTMR0–2`),
        /replays to RTMR0–3/,
      ],
    },
    'pinned by hash': {
      args: [LITE, '--os-image-hash', OS_IMAGE, ...AT],
      exit: 0,
      says: [/OS image pinned/],
    },
    'pinned by an allow-list file': {
      args: [LITE, '--os-image-hash', pins(), ...AT],
      exit: 0,
      says: [/OS image pinned/],
    },
    'pinned to another image': {
      args: [LITE, '--os-image-hash', 'ab'.repeat(32), ...AT],
      exit: 1,
      says: [/os_image_hash_mismatch/, /weakest link: OS image/],
    },
    'compose hash given': {
      args: [LITE, '--compose-hash', COMPOSE_HASH, ...AT],
      exit: 0,
      says: [/compose hash matches/],
    },
    'older dstack, pinned': {
      args: [OLDER, '--os-image-hash', OS_IMAGE, ...AT],
      exit: 1,
      says: [/os_image_unchecked/],
    },
  })

  it('for each flag combination: the claims made, and none beyond them', async () => {
    for (const [name, { args, exit, says }] of Object.entries(cases())) {
      const ran = await oauth3('quote', 'verify', ...args)
      const out = ran.stdout
      expect(ran.status, `${name}\n${out}${ran.stderr}`).toBe(exit)
      for (const claim of says) expect(out, name).toMatch(claim)
      const given = (flag: string) => args.includes(flag)
      // Each claim only with the flag (and the check) that proves it.
      if (!given('--collateral')) {
        expect(out, name).not.toMatch(/not revoked|identity matches|UpToDate|OutOfDate/)
        expect(out, name).toMatch(/TCB unchecked/)
      }
      if (!given('--os-image-hash'))
        expect(out, name).not.toMatch(/OS image pinned|; pinned|, pinned/)
      if (!given('--compose-hash')) expect(out, name).not.toMatch(/compose hash matches/)
      if (!args.includes(LITE)) expect(out, name).not.toMatch(/OS image (pinned|unpinned)/)
      if (args.includes(V4_QUOTE) || args.includes(join(tdx, 'quote.bin')))
        expect(out, name).not.toMatch(/replays/)
      expect(/^Proved: /m.test(out), name).toBe(exit === 0)
      expect(out, name).not.toMatch(/a genuine Intel TDX quote, signed through/)
    }
  })
})

describe('attest verify beside a dstack stand-in serving getquote-lite.json', () => {
  let standin: Awaited<ReturnType<typeof startDstackStandin>>
  let server: RunningServer
  beforeAll(async () => {
    standin = await startDstackStandin({ port: 0 })
    server = await startServer({ env: { DSTACK_SIMULATOR_ENDPOINT: standin.endpoint } })
  })
  afterAll(async () => {
    await server?.stop()
    await standin?.close()
  })

  it('serves vm_config at /attestation; the verifier recomputes MRTD/RTMR0–2 and names the OS image', async () => {
    const answer = (await (await fetch(`${server.url}/attestation?nonce=00`)).json()) as {
      vm_config?: string
    }
    expect(JSON.parse(answer.vm_config!).os_image_hash).toBe(OS_IMAGE)
    const ran = await oauth3('attest', 'verify', '--url', server.url, '--json', ...AT)
    const json = ran.json()
    // The stand-in's quote cannot bind this server's key: not proved, and said so.
    expect(ran.status).toBe(1)
    expect(failedCodes(ran)).toEqual(['attestation_simulated', 'report_data_mismatch'])
    expect(json.checks).toContainEqual({
      name: 'os-image',
      ok: true,
      reason: `os-image: ${OS_IMAGE} (the VM config names it dstack-0.6.0), unpinned`,
    })
    expect(json.os_image_hash).toBe(OS_IMAGE)
    expect(json.chain?.find((link) => link.link === 'TD quote')).toMatchObject({ state: 'fails' })
    expect(json.summary).toMatch(
      /^NOT proved: .*genuine TDX quote NOT bound to the expected key and nonce, TCB unchecked; OS image unpinned/,
    )
    const pinnedElsewhere = await oauth3(
      'attest',
      'verify',
      '--url',
      server.url,
      '--os-image-hash',
      'ab'.repeat(32),
      '--json',
      ...AT,
    )
    expect(failedCodes(pinnedElsewhere)).toContain('os_image_hash_mismatch')
  })
})
