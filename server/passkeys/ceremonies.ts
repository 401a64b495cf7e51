/**
 * Passkey ceremonies (WebAuthn, with @simplewebauthn/server): register a passkey — creating the
 * owner account, or adding one to an owner who proves itself with its token or session — sign in,
 * and confirm one decision. The relying party is the public origin (never a request header), every
 * assertion needs user verification, and every challenge is used once for its own purpose.
 */
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server'
import { randomBytes } from 'node:crypto'
import { fail } from '../../core/errors'
import type {
  PasskeyOptionsRequest,
  PasskeyRemoveRequest,
  PasskeyVerifyRequest,
} from '../../schemas/types'
import { getTenant, signUp, type Tenant } from '../accounts/tenants'
import type { App } from '../app'
import { assertWithinRate } from '../store/rate-limit'
import { readDecisionRequest } from '../permits/approval'
import {
  consumeChallenge,
  createChallenge,
  deletePasskey,
  listPasskeys,
  readPasskey,
  recordPasskeyUse,
  storePasskey,
  type ChallengeRecord,
  type DecisionBinding,
} from './records'

const RP_NAME = 'OAuth3'
const OPTIONS_PER_MINUTE = 60

/** What a ceremony needs to know of its request (the HTTP edge reads it: http/sessions.ts). */
export interface CeremonyRequest {
  /** This server's public origin: the relying party. */
  publicOrigin: string
  clientAddress: string
  /** The request comes from this server's own pages (Origin / Sec-Fetch-Site). */
  sameOrigin: boolean
}

function relyingParty(request: CeremonyRequest) {
  return { origin: request.publicOrigin, rpID: new URL(request.publicOrigin).hostname }
}

function assertFromOurPages(request: CeremonyRequest) {
  if (!request.sameOrigin) fail('CROSS_SITE_REQUEST')
}

/** POST /passkeys/options: a challenge for one ceremony, with the browser's options. */
export async function passkeyOptions(
  app: App,
  caller: Tenant | null,
  body: PasskeyOptionsRequest,
  request: CeremonyRequest,
) {
  assertFromOurPages(request)
  const rate = { name: 'passkey-options', subject: request.clientAddress, windowMs: 60_000 }
  await assertWithinRate(app.store, rate, OPTIONS_PER_MINUTE)
  const { rpID } = relyingParty(request)
  if (body.purpose === 'register') {
    const owner = caller?.role === 'owner' ? caller : null
    if (caller && !owner) fail('FORBIDDEN_ROLE', { details: { required_role: 'owner' } })
    const { challengeId, challenge } = await createChallenge(app, {
      purpose: 'register',
      ...(owner ? { owner_id: owner.tenant_id } : {}),
      ...(body.name ? { name: body.name } : {}),
    })
    const existing = owner ? await listPasskeys(app, owner.tenant_id) : []
    const options = await generateRegistrationOptions({
      rpName: RP_NAME,
      rpID,
      userName: owner?.name ?? body.name ?? 'owner',
      userID: randomBytes(16),
      challenge: Buffer.from(challenge, 'base64url'),
      attestationType: 'none',
      authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
      excludeCredentials: existing.map((passkey) => ({ id: passkey.id })),
    })
    return { challenge_id: challengeId, options }
  }
  let decision: DecisionBinding | undefined
  let allow: string[] = []
  let removal: { passkey_id: string } | undefined
  if (body.purpose === 'remove') {
    if (caller?.role !== 'owner') fail('UNAUTHORIZED')
    const passkey = body.passkey_id ? await readPasskey(app, body.passkey_id) : null
    if (!passkey || passkey.owner_id !== caller.tenant_id) fail('NOT_FOUND')
    removal = { passkey_id: passkey.id }
    // Only the passkey being removed can answer.
    allow = [passkey.id]
  }
  if (body.purpose === 'decision') {
    if (!body.request_id || !body.action || !body.manifest_sha256) {
      fail('INVALID_BODY', {
        details: { reason: 'a decision needs request_id, action and manifest_sha256' },
      })
    }
    const permit = await readDecisionRequest(app, {
      requestId: body.request_id,
      token: body.token,
      owner: caller,
      manifestSha256: body.manifest_sha256,
      clientAddress: request.clientAddress,
    })
    decision = {
      request_id: body.request_id,
      manifest_sha256: body.manifest_sha256,
      action: body.action,
    }
    // A bound agent's owner alone decides: only that owner's passkeys can answer.
    if (permit.owner_id) allow = (await listPasskeys(app, permit.owner_id)).map((p) => p.id)
  }
  const { challengeId, challenge } = await createChallenge(app, {
    purpose: body.purpose,
    ...(decision ? { decision } : {}),
    ...(removal ?? {}),
  })
  const options = await generateAuthenticationOptions({
    rpID,
    challenge: Buffer.from(challenge, 'base64url'),
    userVerification: 'required',
    allowCredentials: allow.map((id) => ({ id })),
  })
  return { challenge_id: challengeId, options }
}

/**
 * POST /passkeys/register: store the passkey (and the new owner account). The owner it answers is
 * signed in by the route; a new account's owner token is answered once.
 */
export async function registerPasskey(
  app: App,
  body: PasskeyVerifyRequest,
  request: CeremonyRequest,
): Promise<{ owner: Tenant; token?: string }> {
  assertFromOurPages(request)
  const challenge = await consumeChallenge(app, body.challenge_id, 'register')
  const { origin, rpID } = relyingParty(request)
  let verified
  try {
    verified = await verifyRegistrationResponse({
      response: body.response as unknown as RegistrationResponseJSON,
      expectedChallenge: challenge.challenge,
      expectedOrigin: origin,
      expectedRPID: rpID,
      requireUserVerification: true,
    })
  } catch {
    return fail('PASSKEY_REJECTED')
  }
  if (!verified.verified) fail('PASSKEY_REJECTED')
  const { credential } = verified.registrationInfo
  if (await readPasskey(app, credential.id)) fail('PASSKEY_REJECTED')
  let owner: Tenant | null
  let token: string | undefined
  if (challenge.owner_id) {
    owner = await getTenant(app, challenge.owner_id)
  } else {
    const created = await signUp(
      app,
      { role: 'owner', name: challenge.name ?? 'owner' },
      { clientAddress: request.clientAddress, publicOrigin: origin },
    )
    owner = await getTenant(app, created.tenant_id)
    token = created.token
  }
  if (!owner) return fail('PASSKEY_REJECTED')
  await storePasskey(app, {
    id: credential.id,
    owner_id: owner.tenant_id,
    public_key: Buffer.from(credential.publicKey).toString('base64url'),
    counter: credential.counter,
    ...(credential.transports ? { transports: credential.transports } : {}),
    name: challenge.owner_id && challenge.name ? challenge.name : 'passkey',
    created_at: Date.now(),
  })
  return { owner, ...(token ? { token } : {}) }
}

/** POST /passkeys/signin: the owner whose passkey answered (the route signs it in). */
export async function signInWithPasskey(
  app: App,
  body: PasskeyVerifyRequest,
  request: CeremonyRequest,
): Promise<Tenant> {
  assertFromOurPages(request)
  const challenge = await consumeChallenge(app, body.challenge_id, 'signin')
  return verifyAssertion(app, challenge, body.response, request)
}

/**
 * The owner that confirmed this very decision with a passkey: the challenge must have been issued
 * for this request, this manifest and this action.
 */
export async function ownerOfDecision(
  app: App,
  decision: DecisionBinding,
  passkey: { challenge_id: string; response: Record<string, unknown> },
  request: CeremonyRequest,
): Promise<Tenant> {
  assertFromOurPages(request)
  const challenge = await consumeChallenge(app, passkey.challenge_id, 'decision')
  const bound = challenge.decision
  if (
    !bound ||
    bound.request_id !== decision.request_id ||
    bound.manifest_sha256 !== decision.manifest_sha256 ||
    bound.action !== decision.action
  ) {
    fail('PASSKEY_CHALLENGE_INVALID')
  }
  return verifyAssertion(app, challenge, passkey.response, request)
}

async function verifyAssertion(
  app: App,
  challenge: ChallengeRecord,
  response: Record<string, unknown>,
  request: CeremonyRequest,
): Promise<Tenant> {
  const id = typeof response.id === 'string' ? response.id : ''
  const passkey = id ? await readPasskey(app, id) : null
  if (!passkey) {
    return fail('PASSKEY_REJECTED', {
      details: {
        reason:
          'this passkey is not registered here (it may have been removed): sign in with another, or create a new one',
      },
    })
  }
  const { origin, rpID } = relyingParty(request)
  let verified
  try {
    verified = await verifyAuthenticationResponse({
      response: response as unknown as AuthenticationResponseJSON,
      expectedChallenge: challenge.challenge,
      expectedOrigin: origin,
      expectedRPID: rpID,
      requireUserVerification: true,
      credential: {
        id: passkey.id,
        publicKey: new Uint8Array(Buffer.from(passkey.public_key, 'base64url')),
        counter: passkey.counter,
        ...(passkey.transports ? { transports: passkey.transports as never } : {}),
      },
    })
  } catch {
    return fail('PASSKEY_REJECTED')
  }
  if (!verified.verified) fail('PASSKEY_REJECTED')
  await recordPasskeyUse(app, passkey.id, verified.authenticationInfo.newCounter)
  const owner = await getTenant(app, passkey.owner_id)
  if (owner?.role !== 'owner') return fail('PASSKEY_REJECTED')
  return owner
}

/**
 * DELETE /passkeys/:id. Removing one of several passkeys needs the owner only; removing the last
 * one — after which the pages have no way in — needs that passkey's own assertion, for a challenge
 * issued to remove exactly it (LAST_PASSKEY otherwise).
 */
export async function removePasskey(
  app: App,
  owner: Tenant,
  id: string,
  confirmation: PasskeyRemoveRequest['passkey'],
  request: CeremonyRequest,
): Promise<void> {
  const passkeys = await listPasskeys(app, owner.tenant_id)
  if (!passkeys.some((passkey) => passkey.id === id)) fail('NOT_FOUND')
  if (passkeys.length === 1) {
    if (!confirmation) fail('LAST_PASSKEY')
    assertFromOurPages(request)
    const challenge = await consumeChallenge(app, confirmation.challenge_id, 'remove')
    if (challenge.passkey_id !== id) fail('PASSKEY_CHALLENGE_INVALID')
    const response = confirmation.response as Record<string, unknown>
    if (response.id !== id)
      fail('PASSKEY_REJECTED', { details: { reason: 'another passkey answered' } })
    const confirmed = await verifyAssertion(app, challenge, response, request)
    if (confirmed.tenant_id !== owner.tenant_id) fail('PASSKEY_REJECTED')
  }
  await deletePasskey(app, owner.tenant_id, id)
}
