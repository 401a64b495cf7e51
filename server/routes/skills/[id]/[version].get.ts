import { defineEventHandler, getRouterParam } from 'h3'
import { useApp } from '../../../utils/app'
import { readSkillVersion } from '../../../utils/skills/registry'

export default defineEventHandler(async (event) => {
  const skill = await readSkillVersion(
    await useApp(),
    getRouterParam(event, 'id') ?? '',
    getRouterParam(event, 'version') ?? '',
  )
  return {
    id: skill.id,
    version: skill.version,
    sha256: skill.sha256,
    manifest: skill.manifest_text,
    code: skill.code,
    capabilities: skill.capabilities,
    published_at: skill.published_at,
  }
})
