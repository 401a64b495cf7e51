/**
 * @oauth3/sdk — the client for OAuth3, and its offline verifier.
 *
 *   import { OAuth3 } from '@oauth3/sdk'
 *   const client = await OAuth3.create()
 *   await client.executeAndWait({ skill_id: 'hello', skill_code: "console.log('hi')" })
 */
export { OAuth3, VERSION, DEFAULT_URL } from './client'
export type { ClientOptions, PendingPermit, VerifyMode } from './client'
export { OAuth3Error } from './errors'
export type { ExecutionEvent } from './events'
export type * from './types'
export { verifyQuote, INTEL_SGX_ROOT_CA_SHA256 } from '../../core/attestation/verify-quote'
export type { Check, QuoteVerification } from '../../core/attestation/verify-quote'
export { verifyAttestation } from '../../core/attestation/verify-attestation'
export type { AttestationVerification } from '../../core/attestation/verify-attestation'
export { verifyReceipt } from '../../core/attestation/receipt'
export { composeHashOf } from '../../core/attestation/compose-hash'
