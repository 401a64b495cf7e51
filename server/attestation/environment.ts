/**
 * Where this server runs, said honestly. `tdx` only when a dstack guest agent answers and the
 * quote it produces verifies offline — signed, chained to Intel's root, and binding this server's
 * signing key and a fresh nonce. The dstack simulator, or an agent whose quote does not prove that,
 * is `simulated`. With no guest agent: `none`. Inside TDX the keys must come from dstack and the
 * development upstream map is refused.
 */
import { randomBytes } from 'node:crypto'
import { attestationReportData } from '../../core/attestation/report-data'
import { verifyQuote } from '../../core/attestation/verify-quote'
import type { Settings } from '../settings/resolve'
import { StartupError, startupStep } from '../settings/startup-error'
import { createKeyProvider, createLocalKeyProvider, type KeyProvider } from '../vault/keys'
import { dstackKeyRoots, findDstack, type Dstack } from './dstack'

export type TeeMode = 'tdx' | 'simulated' | 'none'

export interface Environment {
  tee: TeeMode
  /** Why this mode, in plain words (logged at startup). */
  reason: string
  dstack: Dstack | null
  keys: KeyProvider
}

export async function openEnvironment(settings: Settings): Promise<Environment> {
  // Probed whatever the key provider: a local key file inside TDX must be refused.
  const probe = await findDstack(settings.dstackEndpoint)
  const dstack = probe.found
  if (settings.keyProvider === 'dstack' && !probe.found) {
    throw new StartupError(`NITRO_KEY_PROVIDER=dstack, but ${probe.reason}`)
  }
  const keys =
    dstack && settings.keyProvider !== 'local'
      ? createKeyProvider('dstack', await dstackKeyRoots(dstack))
      : await startupStep('NITRO_KEY_FILE', settings.keyFile, () =>
          createLocalKeyProvider(settings.keyFile),
        )
  const { tee, reason } = probe.found
    ? await classify(probe.found, keys)
    : { tee: 'none' as const, reason: probe.reason }
  if (tee === 'tdx') refuseOutsideKeysInTdx(keys, settings)
  if (dstack && tee !== 'none') {
    // Record the signing key in RTMR3 too: the event log then names the key the quote vouches for.
    await dstack.client.emitEvent('oauth3-signing-key', keys.signingKey().publicKey)
  }
  return { tee, reason, dstack, keys }
}

/** Inside TDX, nothing a host operator could set may stand in for dstack's keys or the internet. */
export function refuseOutsideKeysInTdx(
  keys: Pick<KeyProvider, 'kind'>,
  settings: Pick<Settings, 'upstreamMap'>,
): void {
  if (keys.kind !== 'dstack')
    throw new StartupError(
      'inside TDX the keys come from dstack: NITRO_KEY_PROVIDER=local is refused',
    )
  if (Object.keys(settings.upstreamMap).length)
    throw new StartupError('NITRO_UPSTREAM_MAP is for tests and demos: it is refused inside TDX')
}

async function classify(
  dstack: Dstack,
  keys: KeyProvider,
): Promise<{ tee: TeeMode; reason: string }> {
  if (dstack.simulator)
    return { tee: 'simulated', reason: 'DSTACK_SIMULATOR_ENDPOINT names the dstack simulator' }
  const reportData = await attestationReportData(keys.signingKey().publicKey, randomBytes(32))
  let verification
  try {
    const answer = await dstack.client.getQuote(Buffer.from(reportData))
    verification = await verifyQuote({
      quote: Buffer.from(answer.quote, 'hex'),
      eventLog: answer.event_log,
      // The same checks a remote verifier runs, the OS image recomputation included.
      ...(answer.vm_config ? { vmConfig: answer.vm_config } : {}),
      reportData,
    })
  } catch (error) {
    return {
      tee: 'simulated',
      reason: `the guest agent gave no usable quote (${(error as Error).message})`,
    }
  }
  if (verification.ok) {
    const image = verification.quote?.osImage
    return {
      tee: 'tdx',
      reason: `the guest agent quote verifies and binds this server key${image ? ` (OS image ${image.hash})` : ''}`,
    }
  }
  const failed = verification.checks.find((check) => !check.ok)
  return {
    tee: 'simulated',
    reason: `the guest agent quote does not prove TDX (${failed?.code}: ${failed?.reason})`,
  }
}
