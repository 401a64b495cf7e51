/**
 * Connect-time refusal of non-public addresses (rule 6): the name is resolved, every
 * address is checked, and the socket connects only to a checked one, so DNS rebinding and
 * alternative spellings of loopback (decimal, hex, IPv4-mapped, NAT64) all fail.
 */
import { BlockList, isIP } from 'node:net'
import { lookup as dnsLookup, type LookupAddress } from 'node:dns'

// Two lists: Node's BlockList matches IPv4 addresses against IPv6 rules as IPv4-mapped, so the
// ::ffff:0:0/96 rule would block every IPv4 address.
const blockedV4 = new BlockList()
const blockedV6 = new BlockList()
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
  ['255.255.255.255', 32],
] as const)
  blockedV4.addSubnet(network, prefix, 'ipv4')
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96],
  ['64:ff9b:1::', 48],
  ['100::', 64],
  ['2001::', 23],
  ['2001:db8::', 32],
  ['2002::', 16],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const)
  blockedV6.addSubnet(network, prefix, 'ipv6')

export function isPublicAddress(address: string): boolean {
  const family = isIP(address)
  if (family === 4) return !blockedV4.check(address, 'ipv4')
  if (family !== 6) return false
  const mapped = embeddedIPv4(address)
  if (mapped) return !blockedV4.check(mapped, 'ipv4')
  return !blockedV6.check(address, 'ipv6')
}

/** The IPv4 address inside ::ffff:a.b.c.d / ::ffff:hhhh:hhhh (IPv4-mapped), if any. */
function embeddedIPv4(address: string): string | null {
  const lower = address.toLowerCase()
  const dotted =
    /^(?:0{0,4}:){0,5}:?ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower) ??
    /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower)
  if (dotted) return dotted[1]
  const hex = /^(?:0{0,4}:){0,5}:?ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower)
  if (!hex) return null
  const high = parseInt(hex[1], 16)
  const low = parseInt(hex[2], 16)
  return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`
}

/** The lookup error for a refused address, shaped like Node's own (`code` names it). */
export const BLOCKED_ADDRESS = 'EBLOCKEDADDRESS'

function blockedAddress(): NodeJS.ErrnoException {
  return Object.assign(new Error('the upstream host resolves to a non-public address'), {
    code: BLOCKED_ADDRESS,
  })
}

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void

/** A `lookup` for http.request that only ever yields public addresses. */
export function publicOnlyLookup(
  hostname: string,
  options: object,
  callback: LookupCallback,
): void {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) return callback(error, '')
    const list = addresses as LookupAddress[]
    if (list.length === 0 || !list.every((entry) => isPublicAddress(entry.address)))
      return callback(blockedAddress(), '')
    if ((options as { all?: boolean }).all) return callback(null, list)
    callback(null, list[0].address, list[0].family)
  })
}
