/**
 * The dstack OS image, checked offline. dstack ≥ 0.6 puts in its `vm_config` a measurement
 * document for the OS image it booted (CBOR: the firmware's MRTD for one- and two-pass page adding,
 * the kernel's Authenticode hash, the SHA-384 of the command line and of the initrd, and a compact
 * witness of the firmware's TD HOB), with a checksum file whose SHA-256 is `os_image_hash`.
 * From that document, the VM's memory size and QEMU version, and the three ACPI digests RTMR0's
 * event log carries, MRTD and RTMR0–2 are recomputed here as dstack's own verifier recomputes them;
 * when all four equal the quote's, the quote proves that OS image booted, named by its hash.
 *
 * What stays unproved: the ACPI tables are taken as the log gives them (QEMU generates them at
 * launch; only their digests are measured), and which image a hash stands for is the user's pin.
 */
import { decode } from 'cbor2'
import { concat, fromBase64, sha256, sha384, toHex, utf8 } from './bytes'
import type { EventLogEntry } from './event-log'

export interface OsImageMeasurement {
  /** sha256 of the checksum file: the hash dstack names the OS image by. */
  osImageHash: string
  /** The image name the VM config states (the host's word, not proved). */
  imageName?: string
  expected: { mrTd: string; rtmrs: [string, string, string] }
}

/** Why the OS image could not be checked, or does not match: with a stable kind. */
export class OsImageError extends Error {
  constructor(
    /**
     * `absent`: no document (dstack before 0.6) — nothing claimed; `unsupported`: a document this
     * verifier cannot check (another version or firmware, a memory size its hashes do not hold
     * for); `invalid`: a document that does not hold together.
     */
    readonly kind: 'absent' | 'unsupported' | 'invalid',
    message: string,
  ) {
    super(message)
  }
}

const MEASUREMENT_FILE = 'measurement.tdx.cbor'
const DOCUMENT_VERSION = 3
const PAGE = 0x1000
/** RAM at or above this is placed high by QEMU (and split around the 32-bit hole in the TD HOB). */
const HIGH_MEMORY = 0xb000_0000
/** The one smaller size whose QEMU-patched kernel equals the high-memory one the document hashes. */
const TWO_GIB = 0x8000_0000

/** Fixed digests of the OVMF build dstack names `pre202505` (the only layout this checks). */
const PRE_202505 = {
  cfv: '344bc51c980ba621aaa00da3ed7436f7d6e549197dfe699515dfa2c6583d95e6412af21c097d473155875ffd561d6790',
  boot0000:
    '23ada07f5261f12f34a0bd8e46760962d6b4d576a416f1fea1c64bc656b1d28eacf7047ae6e967c58fd2a98bfa74c298',
}
const EFI_GLOBAL_VARIABLE = '8be4df61-93ca-11d2-aa0d-00e098032b8c'
const EFI_IMAGE_SECURITY_DATABASE = 'd719b2cb-3d3a-4596-a3bc-dad00e67656f'
/** EV_PLATFORM_CONFIG_FLAGS: how OVMF logs the ACPI loader, RSDP and tables in RTMR0. */
const ACPI_EVENT_TYPE = 0x0a

export interface VmConfig {
  os_image_hash?: string
  image?: string
  memory_size?: number
  qemu_version?: string
  qemu_single_pass_add_pages?: boolean
  tdx_measurement?: { measurement?: string; checksum_file?: string }
}

/**
 * Recompute MRTD and RTMR0–2 for the VM config's OS image; throws OsImageError when that cannot be
 * done (`unchecked`: no document; `invalid`: a document that does not hold together).
 */
export async function measureOsImage(
  vmConfigText: string,
  events: EventLogEntry[],
): Promise<OsImageMeasurement> {
  const config = parseVmConfig(vmConfigText)
  const document = config.tdx_measurement
  if (!document?.measurement || !document.checksum_file)
    throw new OsImageError(
      'absent',
      'the VM config carries no OS image measurement document (dstack before 0.6)',
    )
  const measurementBytes = base64Field(document.measurement, 'the measurement document')
  const checksumFile = base64Field(document.checksum_file, 'the checksum file')
  const osImageHash = toHex(await sha256(checksumFile))
  if (config.os_image_hash !== undefined && config.os_image_hash.toLowerCase() !== osImageHash)
    throw new OsImageError(
      'invalid',
      `the checksum file hashes to ${osImageHash}, not the os_image_hash ${config.os_image_hash}`,
    )
  const listed = checksumOf(new TextDecoder().decode(checksumFile), MEASUREMENT_FILE)
  if (listed !== toHex(await sha256(measurementBytes)))
    throw new OsImageError(
      'invalid',
      `the checksum file does not list the measurement document's SHA-256 for ${MEASUREMENT_FILE}`,
    )
  const measurement = parseMeasurement(measurementBytes)
  const memory = config.memory_size
  if (typeof memory !== 'number' || !Number.isSafeInteger(memory) || memory <= 0)
    throw new OsImageError('invalid', 'the VM config has no valid memory_size')
  if (memory !== TWO_GIB && memory < HIGH_MEMORY)
    throw new OsImageError(
      'unsupported',
      `the document's kernel hash holds for 2 GiB or at least 2.75 GiB of memory, not ${memory} bytes`,
    )
  const mrTd = twoPassPageAdding(config) ? measurement.mrtd.twoPass : measurement.mrtd.singlePass
  const rtmr0 = await replay([
    await tdHobDigest(measurement.tdHobWitness, memory),
    fromHexFixed(PRE_202505.cfv),
    ...(await secureBootVariables()),
    await sha384(new Uint8Array(4)), // separator
    ...acpiDigests(events),
    await sha384(new Uint8Array(2)), // BootOrder
    fromHexFixed(PRE_202505.boot0000),
  ])
  const rtmr1 = await replay([
    measurement.kernelAuthenticode,
    await sha384(utf8('Calling EFI Application from Boot Option')),
    await sha384(new Uint8Array(4)), // separator
    await sha384(utf8('Exit Boot Services Invocation')),
    await sha384(utf8('Exit Boot Services Returned with Success')),
  ])
  const rtmr2 = await replay([measurement.cmdlineSha384, measurement.initrdSha384])
  return {
    osImageHash,
    ...(typeof config.image === 'string' ? { imageName: config.image } : {}),
    expected: {
      mrTd: toHex(mrTd),
      rtmrs: [rtmr0, rtmr1, rtmr2].map(toHex) as [string, string, string],
    },
  }
}

/** Which registers differ between what the OS image implies and what the quote carries. */
export function osImageDifferences(
  expected: OsImageMeasurement['expected'],
  quote: { mrTd: string; rtmrs: string[] },
): string[] {
  const differ: string[] = []
  if (expected.mrTd !== quote.mrTd) differ.push('MRTD')
  expected.rtmrs.forEach((value, i) => value !== quote.rtmrs[i] && differ.push(`RTMR${i}`))
  return differ
}

function parseVmConfig(text: string): VmConfig {
  let config: unknown
  try {
    config = JSON.parse(text)
  } catch {
    throw new OsImageError('invalid', 'the VM config is not JSON')
  }
  if (!config || typeof config !== 'object' || Array.isArray(config))
    throw new OsImageError('invalid', 'the VM config is not an object')
  return config as VmConfig
}

function base64Field(value: unknown, what: string): Uint8Array {
  if (typeof value !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(value))
    throw new OsImageError('invalid', `${what} is not base64`)
  return fromBase64(value)
}

/** The SHA-256 a `sha256sum`-style file lists for one name. */
function checksumOf(file: string, name: string): string | undefined {
  for (const line of file.split('\n')) {
    const match = /^([0-9a-f]{64}) [ *](.+)$/.exec(line)
    if (match && match[2] === name) return match[1]
  }
  return undefined
}

interface Measurement {
  cmdlineSha384: Uint8Array
  kernelAuthenticode: Uint8Array
  initrdSha384: Uint8Array
  mrtd: { singlePass: Uint8Array; twoPass: Uint8Array }
  tdHobWitness: Uint8Array
}

function parseMeasurement(bytes: Uint8Array): Measurement {
  let document: Record<string, unknown>
  try {
    document = decode(bytes) as Record<string, unknown>
  } catch (error) {
    throw new OsImageError(
      'invalid',
      `the measurement document is not CBOR: ${(error as Error).message}`,
    )
  }
  const field = (path: string, size?: number): unknown => {
    let value: unknown = document
    for (const key of path.split('.'))
      value =
        value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined
    if (size !== undefined && !(value instanceof Uint8Array && value.length === size))
      throw new OsImageError('invalid', `the measurement document's ${path} is not ${size} bytes`)
    return value
  }
  if (field('version') !== DOCUMENT_VERSION)
    throw new OsImageError(
      'unsupported',
      `measurement document version ${String(field('version'))} is not ${DOCUMENT_VERSION}`,
    )
  if (field('tdvf.ovmf') !== 'pre202505')
    throw new OsImageError(
      'unsupported',
      `OVMF variant ${String(field('tdvf.ovmf'))} is not one this verifier knows (pre202505)`,
    )
  const witness = field('tdvf.td_hob')
  if (!(witness instanceof Uint8Array))
    throw new OsImageError('invalid', "the measurement document's tdvf.td_hob is not bytes")
  return {
    cmdlineSha384: field('image.cmdline_sha384', 48) as Uint8Array,
    kernelAuthenticode: field('image.kernel_authenticode', 48) as Uint8Array,
    initrdSha384: field('image.initrd_sha384', 48) as Uint8Array,
    mrtd: {
      singlePass: field('tdvf.mrtd.single_pass', 48) as Uint8Array,
      twoPass: field('tdvf.mrtd.two_pass', 48) as Uint8Array,
    },
    tdHobWitness: witness,
  }
}

/**
 * QEMU 8 adds the firmware's pages in two passes, QEMU 9 and later in one. A VM config that says
 * so explicitly is followed the way dstack's verifier reads it (the field switches two-pass adding).
 */
function twoPassPageAdding(config: VmConfig): boolean {
  if (typeof config.qemu_single_pass_add_pages === 'boolean')
    return config.qemu_single_pass_add_pages
  const version = config.qemu_version ?? '9.1.0'
  const match = /^(\d+)\.(\d+)\.(\d+)$/.exec(version)
  if (!match) throw new OsImageError('invalid', `QEMU version ${version} is not major.minor.patch`)
  const major = Number(match[1])
  if (major < 8) throw new OsImageError('unsupported', `QEMU ${version} is older than 8.0`)
  return major === 8
}

/** The three ACPI digests (loader, RSDP, tables) OVMF logged in RTMR0, in log order. */
function acpiDigests(events: EventLogEntry[]): Uint8Array[] {
  const acpi = events.filter((event) => event.imr === 0 && event.event_type === ACPI_EVENT_TYPE)
  if (acpi.length !== 3)
    throw new OsImageError('invalid', `RTMR0's event log has ${acpi.length} ACPI events, not 3`)
  return acpi.map((event) => fromHexFixed(event.digest))
}

async function secureBootVariables(): Promise<Uint8Array[]> {
  const variables: Array<[string, string]> = [
    [EFI_GLOBAL_VARIABLE, 'SecureBoot'],
    [EFI_GLOBAL_VARIABLE, 'PK'],
    [EFI_GLOBAL_VARIABLE, 'KEK'],
    [EFI_IMAGE_SECURITY_DATABASE, 'db'],
    [EFI_IMAGE_SECURITY_DATABASE, 'dbx'],
  ]
  return Promise.all(variables.map(([guid, name]) => efiVariableDigest(guid, name)))
}

/** An empty UEFI variable as OVMF measures it: GUID, name length, data length 0, UTF-16 name. */
function efiVariableDigest(guid: string, name: string): Promise<Uint8Array> {
  const lengths = new Uint8Array(16)
  new DataView(lengths.buffer).setBigUint64(0, BigInt(name.length), true)
  const utf16 = new Uint8Array(name.length * 2)
  for (let i = 0; i < name.length; i++) utf16[i * 2] = name.charCodeAt(i)
  return sha384(concat(guidBytes(guid), lengths, utf16))
}

/** A GUID in its mixed-endian binary form: the first three groups little-endian. */
function guidBytes(guid: string): Uint8Array {
  const groups = guid.split('-').map((group) => fromHexFixed(group))
  for (const group of groups.slice(0, 3)) group.reverse()
  return concat(...groups)
}

/**
 * The TD HOB the firmware hands the guest, rebuilt from the witness (LEB128 page numbers: a base
 * page, the HOB's page, then the accepted ranges) and the VM's memory size, and hashed.
 */
async function tdHobDigest(witness: Uint8Array, memory: number): Promise<Uint8Array> {
  let offset = 0
  const next = (): number => {
    let value = 0
    for (let shift = 0; ; shift += 7) {
      if (offset >= witness.length || shift > 49)
        throw new OsImageError('invalid', 'the TD HOB witness is truncated or too large')
      const byte = witness[offset++]
      value += (byte & 0x7f) * 2 ** shift
      if (!(byte & 0x80)) return value
    }
  }
  const base = next()
  const hobAddress = (base + next()) * PAGE
  const count = next()
  if (count > 64) throw new OsImageError('invalid', 'the TD HOB witness lists too many ranges')
  let ranges: Array<{ accepted: boolean; start: number; end: number }> = [
    { accepted: false, start: 0, end: memory },
  ]
  for (let i = 0; i < count; i++) {
    const start = (base + next()) * PAGE
    const end = start + next() * PAGE
    if (start >= end) continue
    const split: typeof ranges = []
    for (const range of ranges) {
      if (range.accepted || range.end <= start || range.start >= end) split.push(range)
      else {
        if (range.start < start) split.push({ accepted: false, start: range.start, end: start })
        if (range.end > end) split.push({ accepted: false, start: end, end: range.end })
      }
    }
    split.push({ accepted: true, start, end })
    ranges = split.sort((a, b) => a.start - b.start)
  }
  if (offset !== witness.length)
    throw new OsImageError('invalid', 'the TD HOB witness has trailing bytes')

  const hobs: Uint8Array[] = []
  const handoff = new Uint8Array(56)
  const handoffView = new DataView(handoff.buffer)
  handoffView.setUint16(0, 0x0001, true) // EFI_HOB_TYPE_HANDOFF
  handoffView.setUint16(2, 56, true)
  handoffView.setUint32(8, 9, true) // version
  hobs.push(handoff)
  const resource = (type: number, start: number, length: number) => {
    const hob = new Uint8Array(48)
    const view = new DataView(hob.buffer)
    view.setUint16(0, 0x0003, true) // EFI_HOB_TYPE_RESOURCE_DESCRIPTOR
    view.setUint16(2, 48, true)
    hob[24] = type
    view.setUint32(28, 7, true) // present, initialized, tested
    view.setBigUint64(32, BigInt(start), true)
    view.setBigUint64(40, BigInt(length), true)
    hobs.push(hob)
  }
  const last = ranges.pop()!
  for (const range of ranges)
    resource(range.accepted ? 0x00 : 0x07, range.start, range.end - range.start)
  if (memory >= HIGH_MEMORY) {
    // QEMU maps RAM above 2 GiB past the 32-bit hole, at 4 GiB.
    if (last.start < TWO_GIB) resource(0x07, last.start, TWO_GIB - last.start)
    if (last.end > TWO_GIB) resource(0x07, 0x1_0000_0000, last.end - TWO_GIB)
  } else resource(0x07, last.start, last.end - last.start)
  const hob = concat(...hobs)
  // EfiEndOfHobList: just past the list and its 8-byte end marker.
  new DataView(hob.buffer).setBigUint64(48, BigInt(hobAddress + hob.length + 8), true)
  return sha384(hob)
}

async function replay(digests: Uint8Array[]): Promise<Uint8Array> {
  let register = new Uint8Array(48)
  for (const digest of digests) register = await sha384(concat(register, digest))
  return register
}

function fromHexFixed(hex: string): Uint8Array {
  if (!/^([0-9a-fA-F]{2})+$/.test(hex)) throw new OsImageError('invalid', 'a digest is not hex')
  return new Uint8Array(hex.match(/../g)!.map((pair) => parseInt(pair, 16)))
}
