/**
 * GET /sessions/:id/types: the permit's capability functions (and a skill's args) as TypeScript
 * declarations (core/capabilities/typings.ts), for whoever may see the permit.
 */
import { capabilityTypings } from '../../core/capabilities/typings'
import type { Tenant } from '../accounts/tenants'
import type { App } from '../app'
import { readSkillVersion } from '../skills/registry'
import { readPermitFor } from './access'

export async function readPermitTypings(app: App, tenant: Tenant, permitId: string) {
  const permit = await readPermitFor(app, { tenant }, permitId, 'view')
  const skill = permit.skill
    ? await readSkillVersion(app, permit.skill.id, permit.skill.version).catch(() => null)
    : null
  return capabilityTypings(permit.capabilities, {
    header: `Permit ${permit.permit_id}: ${permit.description.replace(/[\r\n]/g, ' ')}`,
    ...(skill?.manifest.args ? { argsSchema: skill.manifest.args } : {}),
  })
}
