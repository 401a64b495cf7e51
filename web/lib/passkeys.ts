/**
 * Passkey ceremonies from the pages (WebAuthn through @simplewebauthn/browser): the server issues
 * a challenge for one purpose (POST /passkeys/options) and checks the answer.
 */
import {
  startAuthentication,
  startRegistration,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
} from '@simplewebauthn/browser'
import { api } from './api'

interface Challenge<Options> {
  challenge_id: string
  options: Options
}

export interface Owner {
  tenant_id: string
  name: string
}

/** A new owner account (no token), or another passkey for the owner of `ownerToken`/the session. */
export async function registerPasskey(
  name: string | undefined,
  ownerToken?: string,
): Promise<{ owner: Owner; token?: string }> {
  const { challenge_id, options } = await api<Challenge<PublicKeyCredentialCreationOptionsJSON>>(
    'POST',
    '/passkeys/options',
    { purpose: 'register', ...(name ? { name } : {}) },
    { token: ownerToken },
  )
  const response = await startRegistration({ optionsJSON: options })
  return api('POST', '/passkeys/register', { challenge_id, response })
}

export async function signInWithPasskey(): Promise<{ owner: Owner }> {
  const { challenge_id, options } = await api<Challenge<PublicKeyCredentialRequestOptionsJSON>>(
    'POST',
    '/passkeys/options',
    { purpose: 'signin' },
  )
  const response = await startAuthentication({ optionsJSON: options })
  return api('POST', '/passkeys/signin', { challenge_id, response })
}

/** A passkey assertion for exactly this decision: the request, its manifest and the action. */
export async function confirmDecision(decision: {
  request_id: string
  token?: string
  action: 'approve' | 'deny'
  manifest_sha256: string
}): Promise<{ challenge_id: string; response: unknown }> {
  const { challenge_id, options } = await api<Challenge<PublicKeyCredentialRequestOptionsJSON>>(
    'POST',
    '/passkeys/options',
    { purpose: 'decision', ...decision },
  )
  const response = await startAuthentication({ optionsJSON: options })
  return { challenge_id, response }
}

/** The assertion of the passkey `passkeyId` itself, confirming that it is to be removed. */
export async function confirmRemoval(
  passkeyId: string,
): Promise<{ challenge_id: string; response: unknown }> {
  const { challenge_id, options } = await api<Challenge<PublicKeyCredentialRequestOptionsJSON>>(
    'POST',
    '/passkeys/options',
    { purpose: 'remove', passkey_id: passkeyId },
  )
  const response = await startAuthentication({ optionsJSON: options })
  return { challenge_id, response }
}
