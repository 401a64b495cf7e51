/**
 * The permit manifest: what a human approves, exactly — the description, every capability in its
 * normalized form, the requested lifetime and budget, and the registry skill (id, version, code
 * hash) when the permit runs one. Its hash (SHA-256 of its canonical JSON) is what a decision is
 * bound to. Pure, so the server, the CLI, the SDK and the approval page build the same manifest
 * from what they show, and recompute the hash instead of trusting the one they are given.
 */
import type { ApprovalView, NormalizedCapability } from '../schemas/types'
import { sha256, toHex, utf8 } from './attestation/bytes'
import { canonicalJson } from './canonical-json'

export interface PermitManifest {
  version: 1
  description: string
  capabilities: NormalizedCapability[]
  ttl_seconds: number
  max_executions: number
  skill?: { id: string; version: string; sha256: string }
}

export function permitManifest(parts: {
  description: string
  capabilities: NormalizedCapability[]
  ttl_seconds: number
  max_executions: number
  skill?: { id: string; version: string; sha256: string }
}): PermitManifest {
  const { skill } = parts
  return {
    version: 1,
    description: parts.description,
    capabilities: parts.capabilities,
    ttl_seconds: parts.ttl_seconds,
    max_executions: parts.max_executions,
    ...(skill ? { skill: { id: skill.id, version: skill.version, sha256: skill.sha256 } } : {}),
  }
}

/** The manifest an approval view shows (GET /approve/:id). */
export function manifestOfApproval(view: ApprovalView): PermitManifest {
  return permitManifest(view.scope_request)
}

/** SHA-256 (hex) of the manifest's canonical JSON, on WebCrypto: in Node and in a browser. */
export async function manifestSha256(manifest: PermitManifest): Promise<string> {
  return toHex(await sha256(utf8(canonicalJson(manifest))))
}
