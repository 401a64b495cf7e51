/**
 * @oauth3/sdk — the client for OAuth3, and its offline verifier.
 *
 *   import { OAuth3 } from '@oauth3/sdk'
 *   const client = await OAuth3.create()
 *   await client.executeAndWait({ skill_id: 'hello', skill_code: "console.log('hi')" })
 */
export { OAuth3, VERSION, DEFAULT_URL } from './client'
export type { ClientOptions, PendingPermit, VerifyMode, VerifyOptions } from './client'
export { OAuth3Error } from './errors'
export type { ExecutionEvent } from './events'
export type * from './types'
export { verifyQuote, INTEL_SGX_ROOT_CA_SHA256 } from '../../core/attestation/verify-quote'
export type { Check, QuoteVerification } from '../../core/attestation/verify-quote'
export { verifyAttestation } from '../../core/attestation/verify-attestation'
export type { AttestationVerification } from '../../core/attestation/verify-attestation'
export { verifyReceipt } from '../../core/attestation/receipt'
export { parseCollateral } from '../../core/attestation/collateral'
export type { Collateral, TcbReport } from '../../core/attestation/collateral'
export { fetchCollateral } from '../../core/attestation/pccs'
export { verdictOf } from '../../core/attestation/verdict'
export { manifestOfApproval, manifestSha256, permitManifest } from '../../core/manifest'
export type { PermitManifest } from '../../core/manifest'
export type { Verdict, Link } from '../../core/attestation/verdict'
export type { TcbStatus } from '../../core/attestation/tcb'
export { composeHashOf } from '../../core/attestation/compose-hash'
