/**
 * The client address behind reverse proxies. `X-Forwarded-For` is written by whoever sends the
 * request, so it is believed only when the peer is one of the operator's proxies, and then read
 * from the right: each hop a trusted proxy appended is skipped, and the first address no trusted
 * proxy vouches for is the client. An agent that sends its own header only adds entries to the
 * left of the ones the proxies appended, which are never reached.
 */
import { BlockList, isIP } from 'node:net'

export interface TrustedProxies {
  /** The CIDRs as given, for the startup line. */
  readonly cidrs: readonly string[]
  has(address: string): boolean
}

export const NO_TRUSTED_PROXIES: TrustedProxies = { cidrs: [], has: () => false }

/** At most this many hops are read from one header (a long header is not walked further). */
const MAX_FORWARDED_HOPS = 32

/** `10.0.0.0/8, fd00::/8, 127.0.0.1` → a matcher; `problem` names what could not be read. */
export function parseTrustedProxies(text: string): { proxies: TrustedProxies; problem?: string } {
  const cidrs = text
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
  if (!cidrs.length) return { proxies: NO_TRUSTED_PROXIES }
  const list = new BlockList()
  for (const cidr of cidrs) {
    const [address, bits, extra] = cidr.split('/')
    const family = isIP(address)
    const prefix = bits === undefined ? (family === 6 ? 128 : 32) : Number(bits)
    const maxPrefix = family === 6 ? 128 : 32
    if (
      !family ||
      extra !== undefined ||
      !Number.isInteger(prefix) ||
      prefix < 0 ||
      prefix > maxPrefix
    )
      return {
        proxies: NO_TRUSTED_PROXIES,
        problem: 'must be a comma-separated list of IP addresses or CIDRs (10.0.0.0/8, fd00::/8)',
      }
    list.addSubnet(address, prefix, family === 6 ? 'ipv6' : 'ipv4')
  }
  return {
    proxies: {
      cidrs,
      has(address) {
        const plain = unmapped(address)
        const family = isIP(plain)
        return family !== 0 && list.check(plain, family === 6 ? 'ipv6' : 'ipv4')
      },
    },
  }
}

/**
 * The client's address: the socket's peer, or — when that peer is a trusted proxy — the
 * right-most address of `X-Forwarded-For` that is not itself a trusted proxy.
 */
export function clientAddressOf(
  peer: string,
  forwardedFor: string | undefined,
  proxies: TrustedProxies,
): string {
  const direct = unmapped(peer)
  if (!forwardedFor || !proxies.has(direct)) return direct
  const hops = forwardedFor.split(',').slice(-MAX_FORWARDED_HOPS)
  let client = direct
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = unmapped(hops[i].trim())
    if (!isIP(hop)) return client
    client = hop
    if (!proxies.has(hop)) return hop
  }
  return client
}

/** `::ffff:10.1.2.3` (an IPv4 client of a dual-stack socket) → `10.1.2.3`. */
function unmapped(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address
}
