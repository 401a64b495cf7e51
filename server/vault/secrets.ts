/**
 * The owner's secrets vault. Values are validated (bounded, no CR/LF/NUL, so they can never break
 * a header), sealed with AES-256-GCM bound to their owner and name, and never returned by the
 * API. Each secret is bound to one origin: set by the owner, implied by a well-known name, or
 * fixed by the first approval that uses it.
 */
import { parseEndpointTemplate } from '../../core/capabilities/endpoint'
import type { RevealedSecret } from '../../core/capabilities/plugin'
import { fail } from '../../core/errors'
import { LIMITS } from '../../core/limits'
import { isSecretName, KNOWN_SECRET_ORIGINS } from '../../core/secret-names'
import type { App } from '../app'
import type { TransactionStep } from '../store'
import { open, seal } from './crypto'

export interface SecretRecord {
  name: string
  sealed: string
  origin?: string
  /** For uploaded cookies: the site they belong to (their value is a JSON cookie jar). */
  cookie_domain?: string
  /** Who stored it last, when not the owner's own hand: a browser extension. */
  source?: { kind: 'extension'; credential_id: string; label: string }
  created_at: number
  updated_at: number
}

const secretsPrefix = (ownerId: string) => `secret:${ownerId}`
const secretKey = (ownerId: string, name: string) => `${secretsPrefix(ownerId)}:${name}`

export function assertSecretName(name: unknown): asserts name is string {
  if (!isSecretName(name)) fail('INVALID_SECRET')
}

export function assertSecretValue(value: unknown): asserts value is string {
  if (
    typeof value !== 'string' ||
    value.length === 0 ||
    Buffer.byteLength(value) > LIMITS.SECRET_VALUE_MAX_BYTES ||
    /[\r\n\0]/.test(value)
  ) {
    fail('INVALID_SECRET')
  }
}

export async function putSecret(
  app: App,
  ownerId: string,
  input: { name: string; value: string; origin?: string },
) {
  assertSecretName(input.name)
  assertSecretValue(input.value)
  const origin =
    input.origin === undefined
      ? KNOWN_SECRET_ORIGINS[input.name]?.[0]
      : parseOrigin(app, input.origin)
  const known = KNOWN_SECRET_ORIGINS[input.name]
  if (origin && known && !known.includes(origin))
    fail('SECRET_ORIGIN_MISMATCH', { details: { secret: input.name, allowed_origins: [...known] } })
  await storeSealedSecret(app, ownerId, input.name, input.value, (current) =>
    (origin ?? current?.origin) ? { origin: origin ?? current!.origin } : {},
  )
  return { success: true as const, name: input.name }
}

/** Seal and store one secret (the value is already validated); `extra` adds its binding fields. */
export async function storeSealedSecret(
  app: App,
  ownerId: string,
  name: string,
  plaintext: string,
  extra: (current: SecretRecord | null) => Partial<SecretRecord>,
) {
  const key = secretKey(ownerId, name)
  if (
    !(await app.store.get(key)) &&
    (await app.store.keys(secretsPrefix(ownerId))).length >= LIMITS.SECRETS_PER_OWNER_MAX
  ) {
    fail('TOO_MANY_SECRETS', { details: { max: LIMITS.SECRETS_PER_OWNER_MAX } })
  }
  const sealed = seal(app.keys.vaultKey(), plaintext, key)
  const now = Date.now()
  await app.store.update<SecretRecord>(key, (current) => ({
    name,
    sealed,
    ...extra(current),
    created_at: current?.created_at ?? now,
    updated_at: now,
  }))
}

/**
 * GET /secrets: the names (as older clients read them) and, per secret, where it may go and when
 * it was stored — never its value.
 */
export async function listSecrets(app: App, ownerId: string) {
  const names = await listSecretNames(app, ownerId)
  const records = await Promise.all(
    names.map((name) => app.store.get<SecretRecord>(secretKey(ownerId, name))),
  )
  const entries = records
    .filter((record): record is SecretRecord => record !== null)
    .map((record) => ({
      name: record.name,
      ...(record.origin ? { origin: record.origin } : {}),
      ...(record.cookie_domain ? { cookie_domain: record.cookie_domain } : {}),
      ...(record.source ? { source: record.source } : {}),
      created_at: record.created_at,
      updated_at: record.updated_at,
    }))
  return { secrets: names, entries }
}

export async function listSecretNames(app: App, ownerId: string): Promise<string[]> {
  const prefix = `${secretsPrefix(ownerId)}:`
  return (await app.store.keys(secretsPrefix(ownerId)))
    .map((key) => key.slice(prefix.length))
    .sort()
}

export async function deleteSecret(app: App, ownerId: string, name: string) {
  assertSecretName(name)
  const key = secretKey(ownerId, name)
  if (!(await app.store.get(key))) fail('NOT_FOUND')
  await app.store.remove(key)
  return { success: true as const, name }
}

/**
 * An approval's steps on the owner's secrets (see Store.transact), so that they are written only
 * if the approval wins (rule 12): every secret the permit uses is bound to the origin that will
 * receive it — unbound ones now (first use decides), a mismatch refuses the approval — and the
 * secrets given with the approval are stored, sealed.
 */
export async function approvalSecretSteps(
  app: App,
  ownerId: string,
  origins: Record<string, string>,
  given: Record<string, string>,
): Promise<TransactionStep<SecretRecord>[]> {
  const names = [...new Set([...Object.keys(origins), ...Object.keys(given)])]
  const existing = new Set(await listSecretNames(app, ownerId))
  const added = Object.keys(given).filter((name) => !existing.has(name)).length
  if (added && existing.size + added > LIMITS.SECRETS_PER_OWNER_MAX) {
    fail('TOO_MANY_SECRETS', { details: { max: LIMITS.SECRETS_PER_OWNER_MAX } })
  }
  const now = Date.now()
  return names.map((name) => {
    const key = secretKey(ownerId, name)
    const origin = origins[name]
    const sealed =
      given[name] === undefined ? undefined : seal(app.keys.vaultKey(), given[name], key)
    return {
      key,
      apply(current) {
        if (current?.origin && origin && current.origin !== origin) {
          fail('SECRET_ORIGIN_MISMATCH', {
            details: { secret: name, bound_origin: current.origin },
          })
        }
        if (sealed !== undefined) {
          const bound = origin ?? KNOWN_SECRET_ORIGINS[name]?.[0] ?? current?.origin
          return {
            name,
            sealed,
            ...(bound ? { origin: bound } : {}),
            created_at: current?.created_at ?? now,
            updated_at: now,
          }
        }
        return current && !current.origin && origin ? { ...current, origin } : undefined
      },
    }
  })
}

/** Which of `names` this owner has not stored yet. */
export async function missingSecrets(
  app: App,
  ownerId: string | undefined,
  names: string[],
): Promise<string[]> {
  if (!ownerId) return [...names]
  const have = new Set(await listSecretNames(app, ownerId))
  return names.filter((name) => !have.has(name))
}

/**
 * Of `names`, the stored cookie jars that a browser extension keeps: which extension, and when it
 * last synced — what the approval page shows beside such a secret.
 */
export async function syncedCookieSecrets(
  app: App,
  ownerId: string,
  names: string[],
): Promise<Record<string, { extension: string; synced_at: number }>> {
  const synced: Record<string, { extension: string; synced_at: number }> = {}
  for (const name of names) {
    if (!isSecretName(name)) continue
    const record = await app.store.get<SecretRecord>(secretKey(ownerId, name))
    if (record?.source)
      synced[name] = { extension: record.source.label, synced_at: record.updated_at }
  }
  return synced
}

/** Decrypts an owner's secret for the gateway. Never pass the result to anything that leaves the host. */
export async function unsafeRevealSecret(
  app: App,
  ownerId: string,
  name: string,
): Promise<RevealedSecret | null> {
  const key = secretKey(ownerId, name)
  const record = await app.store.get<SecretRecord>(key)
  if (!record) return null
  return {
    value: open(app.keys.vaultKey(), record.sealed, key),
    ...(record.origin ? { origin: record.origin } : {}),
    ...(record.cookie_domain ? { cookie_domain: record.cookie_domain } : {}),
  }
}

function parseOrigin(app: App, origin: string): string {
  let url: URL
  try {
    url = new URL(origin)
  } catch {
    return fail('UNSAFE_ENDPOINT', { details: { reason: 'origin is not a URL' } })
  }
  if (url.pathname !== '/' || url.search || url.hash || url.username || url.password)
    fail('UNSAFE_ENDPOINT', {
      details: { reason: 'give an origin only, such as https://api.example.com' },
    })
  return parseEndpointTemplate(`${url.origin}/`, {
    allowHttp: app.settings.allowHttpEndpoints,
    pathParams: new Set(),
  }).origin
}
