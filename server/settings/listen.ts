/**
 * Where the API listens: PORT and HOST (or Nitro's NITRO_PORT and NITRO_HOST, which win), or a
 * Unix socket (NITRO_UNIX_SOCKET). Read by the server's entry, checked like every other setting.
 */
import { isIP } from 'node:net'

export type ListenAddress = { path: string } | { port: number; host?: string }

/** The address, or the problem naming the variable. */
export function readListenAddress(
  env: NodeJS.ProcessEnv,
): { address: ListenAddress; problem?: undefined } | { problem: string } {
  if (env.NITRO_UNIX_SOCKET) return { address: { path: env.NITRO_UNIX_SOCKET } }
  const portName = env.NITRO_PORT ? 'NITRO_PORT' : 'PORT'
  const rawPort = env.NITRO_PORT || env.PORT || '3000'
  const port = /^\d{1,5}$/.test(rawPort) ? Number(rawPort) : NaN
  if (!(port >= 0 && port <= 65_535)) {
    return { problem: `${portName} must be a port number from 0 to 65535` }
  }
  const hostName = env.NITRO_HOST ? 'NITRO_HOST' : 'HOST'
  const host = env.NITRO_HOST || env.HOST || undefined
  // A name is resolved when listening; here only its shape is checked.
  if (host && !isIP(host) && !/^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/.test(host)) {
    return { problem: `${hostName} must be an IP address or a host name` }
  }
  return { address: host ? { port, host } : { port } }
}

/** What went wrong, in the words of the setting that caused it. */
export function describeListenError(error: NodeJS.ErrnoException, address: ListenAddress): string {
  if ('path' in address) {
    return `NITRO_UNIX_SOCKET ${address.path}: cannot listen there (${error.code ?? error.message})`
  }
  const where = address.host ? `${address.host}:${address.port}` : `port ${address.port}`
  switch (error.code) {
    case 'EADDRINUSE':
      return `PORT ${address.port} is taken: another process listens on ${where} (EADDRINUSE)`
    case 'EACCES':
      return `PORT ${address.port} needs privileges this process does not have (EACCES)`
    case 'EADDRNOTAVAIL':
      return `HOST ${address.host} is not an address of this machine (EADDRNOTAVAIL)`
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_FAIL':
      return `HOST ${address.host} does not resolve to an address (${error.code})`
    default:
      return `cannot listen on ${where} (${error.code ?? error.message})`
  }
}
