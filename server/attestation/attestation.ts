/**
 * GET /attestation: the server's signing key and, inside a TEE, a quote whose report_data binds
 * that key and the caller's nonce (core/attestation/report-data.ts), with the event log that
 * replays its RTMRs. Outside a TEE it says so, and claims nothing.
 */
import { version } from '../../package.json'
import { readBuildInfo } from './build-info'
import { keyIdOf } from '../../core/attestation/receipt'
import { attestationReportData, NONCE_MAX_BYTES } from '../../core/attestation/report-data'
import { runtimeEvent, parseEventLog } from '../../core/attestation/event-log'
import { fail } from '../../core/errors'
import type { Environment } from './environment'

export const SERVER_VERSION = version

const NOT_ATTESTED =
  'This server does not run in a TEE: nothing is attested. Its signing key is a local one, and a receipt it signs proves only that this key signed it.'
const SIMULATED =
  'This server talks to a dstack simulator (or an agent whose quote does not bind its key): the quote below proves nothing about it.'

export async function readAttestation(environment: Environment, nonceHex: string | undefined) {
  const nonce = parseNonce(nonceHex)
  const signingKey = environment.keys.signingKey().publicKey
  const reportData = Buffer.from(await attestationReportData(signingKey, nonce))
  const common = {
    tee: environment.tee,
    report_data: reportData.toString('hex'),
    nonce: nonce.toString('hex'),
    signing_key: signingKey.toString('hex'),
    key_id: await keyIdOf(signingKey),
    version: SERVER_VERSION,
    // What runs: the commit and the digest of the build tree (docs/reproduce.md).
    commit: readBuildInfo().commit,
    build_digest: readBuildInfo().build_digest,
  }
  if (environment.tee === 'none' || !environment.dstack) return { ...common, message: NOT_ATTESTED }
  const answer = await environment.dstack.client.getQuote(reportData)
  const events = parseEventLog(answer.event_log)
  return {
    ...common,
    quote: answer.quote,
    event_log: answer.event_log,
    // dstack's VM config: with its OS image measurement document, a verifier recomputes MRTD
    // and RTMR0–2 and learns which OS image booted (core/attestation/os-image.ts).
    ...optional('vm_config', answer.vm_config),
    ...optional('app_id', runtimeEvent(events, 'app-id')),
    ...optional('instance_id', runtimeEvent(events, 'instance-id')),
    ...optional('compose_hash', runtimeEvent(events, 'compose-hash')),
    ...(environment.tee === 'simulated' ? { message: SIMULATED } : {}),
  }
}

function parseNonce(hex: string | undefined): Buffer {
  if (hex === undefined || hex === '') return Buffer.alloc(0)
  if (!/^([0-9a-fA-F]{2}){1,32}$/.test(hex)) {
    fail('INVALID_QUERY', {
      details: { parameter: 'nonce', reason: `hex, at most ${NONCE_MAX_BYTES} bytes` },
    })
  }
  return Buffer.from(hex, 'hex')
}

function optional(name: string, value: string | undefined) {
  return value ? { [name]: value } : {}
}
