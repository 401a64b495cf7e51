/**
 * The dstack OS image, recomputed offline (core/attestation/os-image.ts) from the measurement
 * document in a real guest agent's vm_config (test/fixtures/tdx/getquote-lite.json): MRTD and
 * RTMR0–2 come out equal to the quote's and name the OS image hash; one changed byte in the
 * document, the memory size, the QEMU version or an ACPI digest makes it fail; a VM config with no
 * document (getquote-report.json, older dstack) is unchecked, never ok.
 */
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { parseEventLog, type EventLogEntry } from '../core/attestation/event-log'
import { measureOsImage, osImageDifferences, OsImageError } from '../core/attestation/os-image'
import { verifyQuote, type QuoteVerification } from '../core/attestation/verify-quote'

const FIXTURES = new URL('./fixtures/tdx/', import.meta.url)
const read = (file: string) =>
  JSON.parse(readFileSync(new URL(file, FIXTURES), 'utf8')) as {
    quote: string
    event_log: string
    vm_config: string
  }
const lite = read('getquote-lite.json')
const older = read('getquote-report.json')
const AT = Date.parse('2027-01-01T00:00:00Z')
const OS_IMAGE = 'e6f5cfec20c02e7b97baa213d0f718020b55e040172d90ccbcb946d56c8b09db'

const quoteBytes = (hex: string) => new Uint8Array(Buffer.from(hex, 'hex'))
const osCheck = (result: QuoteVerification) =>
  result.checks.find((check) => check.name === 'os-image')!

function verify(
  vmConfig: string | undefined,
  extra: { osImageHashes?: string[]; eventLog?: string } = {},
) {
  return verifyQuote({
    quote: quoteBytes(lite.quote),
    eventLog: extra.eventLog ?? lite.event_log,
    vmConfig,
    at: AT,
    ...(extra.osImageHashes ? { osImageHashes: extra.osImageHashes } : {}),
  })
}

type VmConfig = Record<string, unknown> & {
  tdx_measurement: { measurement: string; checksum_file: string }
}
const config = (): VmConfig => JSON.parse(lite.vm_config) as VmConfig

/** The VM config with one byte of the measurement document changed; checksums redone if asked. */
function withDocumentByte(offset: number, consistent: boolean): string {
  const vm = config()
  const document = Buffer.from(vm.tdx_measurement.measurement, 'base64')
  document[offset] ^= 0x01
  vm.tdx_measurement.measurement = document.toString('base64')
  if (consistent) {
    const checksum = `${createHash('sha256').update(document).digest('hex')}  measurement.tdx.cbor\n`
    vm.tdx_measurement.checksum_file = Buffer.from(checksum).toString('base64')
    vm.os_image_hash = createHash('sha256').update(checksum).digest('hex')
  }
  return JSON.stringify(vm)
}

describe('the dstack OS image from vm_config', () => {
  it('recomputes MRTD and RTMR0–2 equal to the quote, and names the OS image hash', async () => {
    const measured = await measureOsImage(lite.vm_config, parseEventLog(lite.event_log))
    expect(measured.osImageHash).toBe(OS_IMAGE)
    expect(measured.imageName).toBe('dstack-0.6.0')
    const result = await verify(lite.vm_config)
    expect(result.ok).toBe(true)
    expect(osImageDifferences(measured.expected, result.quote!)).toEqual([])
    expect(measured.expected.mrTd).toBe(result.quote!.mrTd)
    expect(osCheck(result)).toEqual({
      name: 'os-image',
      ok: true,
      reason: `os-image: ${OS_IMAGE} (the VM config names it dstack-0.6.0), unpinned`,
    })
    expect(result.quote?.osImage).toEqual({
      hash: OS_IMAGE,
      imageName: 'dstack-0.6.0',
      pinned: false,
    })
  })

  it('a pin holds for that hash (or a list holding it) and fails for any other', async () => {
    const pinned = await verify(lite.vm_config, {
      osImageHashes: ['00'.repeat(32), OS_IMAGE.toUpperCase()],
    })
    expect(pinned.ok).toBe(true)
    expect(osCheck(pinned).reason).toMatch(/, pinned$/)
    const other = await verify(lite.vm_config, { osImageHashes: ['ab'.repeat(32)] })
    expect(osCheck(other)).toMatchObject({ ok: false, code: 'os_image_hash_mismatch' })
  })

  it('one byte changed in the measurement document fails, checksums redone or not', async () => {
    for (let offset = 0; offset < 384; offset += 3) {
      const broken = await verify(withDocumentByte(offset, false))
      expect(osCheck(broken), `${offset}`).toMatchObject({ ok: false, code: 'os_image_invalid' })
      // Redone checksums make another document: it fails, or it proves another OS image hash
      // (a changed unused MRTD candidate), which the pin then refuses.
      const consistent = await verify(withDocumentByte(offset, true), { osImageHashes: [OS_IMAGE] })
      expect(osCheck(consistent).ok, `${offset}`).toBe(false)
    }
    // A byte inside a digest the registers use: the recomputation itself catches it.
    const inMrtd = await verify(withDocumentByte(330, true))
    expect(osCheck(inMrtd)).toMatchObject({ ok: false, code: 'os_image_mismatch' })
    expect(osCheck(inMrtd).reason).toMatch(/does not give the quote's MRTD/)
    // A document this verifier cannot read (its version field renamed) fails, never passes.
    const renamed = await verify(withDocumentByte(3, true))
    expect(osCheck(renamed)).toMatchObject({ ok: false, code: 'os_image_unchecked' })
  })

  it("the VM config's memory size or QEMU version changed: the registers differ", async () => {
    const memory = { ...config(), memory_size: 4 * 2 ** 30 }
    const result = await verify(JSON.stringify(memory))
    expect(osCheck(result)).toMatchObject({ ok: false, code: 'os_image_mismatch' })
    expect(osCheck(result).reason).toMatch(/RTMR0$/)
    const qemu = await verify(JSON.stringify({ ...config(), qemu_version: '9.2.1' }))
    expect(osCheck(qemu).reason).toMatch(/MRTD$/)
    const odd = await verify(JSON.stringify({ ...config(), memory_size: 2 ** 31 + 4096 }))
    expect(osCheck(odd)).toMatchObject({ ok: false, code: 'os_image_unchecked' })
    expect(osCheck(odd).reason).toMatch(/^the document's kernel hash holds for 2 GiB/)
  })

  it('an ACPI digest changed in RTMR0’s log: RTMR0 is not recomputed, the check fails', async () => {
    const events = parseEventLog(lite.event_log)
    const acpi = events.findIndex((event) => event.imr === 0 && event.event_type === 0x0a)
    const changed: EventLogEntry[] = events.map((event, i) =>
      i === acpi
        ? { ...event, digest: (event.digest[0] === '0' ? '1' : '0') + event.digest.slice(1) }
        : event,
    )
    const measured = await measureOsImage(lite.vm_config, changed)
    const quote = (await verify(undefined)).quote!
    expect(osImageDifferences(measured.expected, quote)).toEqual(['RTMR0'])
    // Through verifyQuote the log no longer replays, so nothing about the image is claimed.
    const result = await verify(lite.vm_config, { eventLog: JSON.stringify(changed) })
    expect(result.ok).toBe(false)
    expect(osCheck(result)).toMatchObject({ ok: true, skipped: true })
    expect(result.quote?.osImage).toBeUndefined()
  })

  it('a VM config without a measurement document (dstack before 0.6) is unchecked, never ok', async () => {
    const result = await verifyQuote({
      quote: quoteBytes(older.quote),
      eventLog: older.event_log,
      vmConfig: older.vm_config,
      at: AT,
    })
    expect(osCheck(result)).toEqual({
      name: 'os-image',
      ok: true,
      skipped: true,
      reason:
        'unchecked: the VM config carries no OS image measurement document (dstack before 0.6)',
    })
    const pinned = await verifyQuote({
      quote: quoteBytes(older.quote),
      eventLog: older.event_log,
      vmConfig: older.vm_config,
      at: AT,
      osImageHashes: [OS_IMAGE],
    })
    expect(osCheck(pinned)).toMatchObject({ ok: false, code: 'os_image_unchecked' })
    expect(osCheck(await verify(undefined))).toMatchObject({
      skipped: true,
      reason: 'unchecked: no vm_config given',
    })
  })

  it('garbage in the VM config or the witness is os_image_invalid, never a crash', async () => {
    const events = parseEventLog(lite.event_log)
    for (const text of [
      'not json',
      '[]',
      JSON.stringify({
        ...config(),
        tdx_measurement: { measurement: '%%', checksum_file: 'AA==' },
      }),
    ]) {
      await expect(measureOsImage(text, events)).rejects.toBeInstanceOf(OsImageError)
    }
    const witness = { ...config(), memory_size: 'a lot' }
    expect(osCheck(await verify(JSON.stringify(witness)))).toMatchObject({
      ok: false,
      code: 'os_image_invalid',
    })
  })
})
