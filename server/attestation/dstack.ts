/**
 * The dstack guest agent: where it is, whether it answers, and the app keys it derives. Its client
 * is created only once an endpoint is known (the SDK throws at construction when no socket
 * exists). `DSTACK_SIMULATOR_ENDPOINT` names the dstack simulator: whatever it answers is never
 * taken for TDX.
 */
import { existsSync } from 'node:fs'
import { DstackClient } from '@phala/dstack-sdk'
import { KEY_PURPOSES, type KeyRoots } from '../vault/keys'

export interface Dstack {
  client: DstackClient
  endpoint: string
  /** The endpoint is the dstack simulator's. */
  simulator: boolean
}

const SOCKETS = [
  '/var/run/dstack.sock',
  '/run/dstack.sock',
  '/var/run/dstack/dstack.sock',
  '/run/dstack/dstack.sock',
]
const PROBE_TIMEOUT_MS = 1000

export type DstackProbe = { found: Dstack } | { found: null; reason: string }

/** The guest agent, if one is configured or present and answers; else why not. */
export async function findDstack(configured: string | null): Promise<DstackProbe> {
  const simulatorEndpoint = process.env.DSTACK_SIMULATOR_ENDPOINT || null
  const endpoint =
    configured ?? simulatorEndpoint ?? SOCKETS.find((path) => existsSync(path)) ?? null
  if (!endpoint) return { found: null, reason: 'no dstack guest agent socket or endpoint' }
  if (endpoint.startsWith('/') && !existsSync(endpoint))
    return { found: null, reason: `no socket at ${endpoint}` }
  const client = new DstackClient(endpoint)
  const failure = await Promise.race([
    client.info().then(
      () => null,
      (error: Error) => error.message,
    ),
    new Promise<string>((resolve) =>
      setTimeout(() => resolve('no answer within 1 s'), PROBE_TIMEOUT_MS).unref(),
    ),
  ])
  if (failure !== null)
    return { found: null, reason: `the guest agent at ${endpoint} does not answer (${failure})` }
  const simulator = endpoint === simulatorEndpoint && configured === null
  return { found: { client, endpoint, simulator } }
}

/** The app's key roots, derived by the guest agent (deterministic per app, never on disk). */
export async function dstackKeyRoots(dstack: Dstack): Promise<KeyRoots> {
  const entries = await Promise.all(
    (Object.entries(KEY_PURPOSES) as Array<[keyof KeyRoots, string]>).map(async ([root, path]) => {
      const { key } = await dstack.client.getKey(path, 'oauth3')
      if (key.length < 32)
        throw new Error(`the guest agent derived a ${key.length}-byte key for ${path}`)
      return [root, Buffer.from(key.subarray(0, 32))] as const
    }),
  )
  return Object.fromEntries(entries) as unknown as KeyRoots
}
