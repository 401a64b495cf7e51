/**
 * What a running execution's capability calls share: its permit, the owner's secrets for that
 * permit (decrypted once, kept in this process, never sent to the guest), the redactor built
 * from every form of them, and the calls recorded so far.
 */
import { cookieValuesOf } from '../../core/capabilities/cookie-jar'
import type { Credentials, RevealedSecret } from '../../core/capabilities/plugin'
import { pluginFor } from '../../core/capabilities/registry'
import type { App } from '../app'
import type { PermitRecord } from '../permits/records'
import { unsafeRevealSecret } from '../vault/secrets'
import { createRedactor, type Redactor } from './redact'
import type { CallRecord } from '../../schemas/types'

/** One capability call as the activity feed shows it. */
/** One call an execution made, as its result lists it (schemas/call-record.schema.json). */
export type { CallRecord }

export interface GatewayContext {
  app: App
  permit: PermitRecord
  credentials: Credentials
  redact: Redactor
  calls: CallRecord[]
}

export async function openGatewayContext(app: App, permit: PermitRecord): Promise<GatewayContext> {
  const credentials = new Map<string, RevealedSecret>()
  for (const name of permit.secrets) {
    const secret = permit.owner_id ? await unsafeRevealSecret(app, permit.owner_id, name) : null
    if (secret) credentials.set(name, secret)
  }
  const values: string[] = []
  for (const secret of credentials.values()) {
    values.push(secret.value)
    // A cookie jar is one secret holding many: every cookie value is redacted on its own.
    if (secret.cookie_domain) values.push(...cookieValuesOf(secret.value))
  }
  for (const capability of permit.capabilities) {
    values.push(...(pluginFor(capability).derivedSecrets?.(capability, credentials) ?? []))
  }
  return { app, permit, credentials, redact: createRedactor(values), calls: [] }
}
