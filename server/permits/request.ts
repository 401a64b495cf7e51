/**
 * Permit requests: validate what an agent asks for, derive what the approver must see (function
 * signatures, secrets, networks), hash the canonical manifest, and store one pending record with
 * server-generated ids and an approval token kept only as a hash.
 */
import { canonicalJson } from '../../core/canonical-json'
import { sha256Hex } from '../../core/hash'
import type { NormalizedCapability } from '../../core/capabilities/plugin'
import { normalizeCapabilities, secretOrigins } from '../../core/capabilities/registry'
import { fail } from '../../core/errors'
import { assertVisibleText } from '../../core/json-checks'
import { LIMITS } from '../../core/limits'
import type { PermitRequest } from '../../schemas/types'
import type { Tenant } from '../accounts/tenants'
import { createId, createToken } from '../accounts/tokens'
import type { App } from '../app'
import { statusUrlFor } from '../accounts/status-links'
import { resolveSkill } from '../skills/registry'
import { createPermitRecord, type PermitRecord, type PermitSkill } from './records'
import { permitManifest } from '../../core/manifest'

const APPROVAL_TOKEN_GRACE_S = 30 * 24 * 3600

export async function requestPermit(
  app: App,
  agent: Tenant,
  body: PermitRequest,
  publicOrigin: string,
) {
  // Everything the agent wrote is shown to the approver: it must render as what it is (IN-17).
  assertVisibleText(body)
  const { description, capabilities, skill } = await resolveRequest(app, body)
  const origins = secretOrigins(capabilities)
  const requested = {
    ttl_seconds: body.ttl_seconds ?? LIMITS.PERMIT_TTL_DEFAULT_S,
    max_executions: body.max_executions ?? LIMITS.MAX_EXECUTIONS_DEFAULT,
  }
  const manifest = permitManifest({ description, capabilities, ...requested, skill })
  const now = Date.now()
  const record: PermitRecord = {
    permit_id: createId('permit'),
    request_id: createId('preq'),
    agent_id: agent.tenant_id,
    ...(agent.owner_id ? { owner_id: agent.owner_id } : {}),
    state: 'pending',
    description,
    capabilities,
    ...(skill ? { skill } : {}),
    secrets: [...new Set(capabilities.flatMap((capability) => capability.secrets))].sort(),
    secret_origins: origins,
    networks: [...new Set(capabilities.map((capability) => capability.origin))].sort(),
    requested,
    ...requested,
    manifest_sha256: sha256Hex(canonicalJson(manifest)),
    created_at: now,
    request_expires_at: now + app.settings.approvalTtlSeconds * 1000,
  }
  const approvalToken = createToken('approval')
  // The token outlives the request by a while, so a late click reads 410 (expired), not 403.
  const ttlMs = (app.settings.approvalTtlSeconds + APPROVAL_TOKEN_GRACE_S) * 1000
  await createPermitRecord(app, record, approvalToken, ttlMs)

  return {
    request_id: record.request_id,
    status: 'pending_permit' as const,
    permit_id: record.permit_id,
    approval_url: `${publicOrigin}/approve/${record.request_id}?token=${approvalToken}`,
    status_url: statusUrlFor(app, publicOrigin, record.request_id),
    capabilities: capabilities.map((capability) => ({
      name: capability.name,
      signature: capability.signature,
    })),
    manifest_sha256: record.manifest_sha256,
    message: 'Permit request awaiting approval — poll status_url',
  }
}

/** Capabilities come from the specs given, or from the registry skill named (never both). */
async function resolveRequest(
  app: App,
  body: PermitRequest,
): Promise<{ description: string; capabilities: NormalizedCapability[]; skill?: PermitSkill }> {
  if (body.skill_id !== undefined) {
    if (body.capabilities !== undefined)
      fail('INVALID_BODY', { details: { reason: 'give capabilities or skill_id, not both' } })
    const found = await resolveSkill(app, body.skill_id)
    const skill: PermitSkill = {
      id: found.id,
      version: found.version,
      sha256: found.sha256,
      description: found.description,
      author: found.author,
      code: found.code,
      args: found.manifest.args,
      ...(found.manifest.timeout_ms ? { timeout_ms: found.manifest.timeout_ms } : {}),
    }
    return {
      description: body.description ?? found.description,
      capabilities: found.capabilities,
      skill,
    }
  }
  if (
    body.capabilities === undefined ||
    body.capabilities.length === 0 ||
    body.description === undefined
  ) {
    fail('INVALID_BODY', {
      details: { reason: 'a permit request needs a description and capabilities, or a skill_id' },
    })
  }
  return {
    description: body.description,
    capabilities: normalizeCapabilities(body.capabilities, {
      allowHttp: app.settings.allowHttpEndpoints,
    }),
  }
}
