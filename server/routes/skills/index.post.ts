import { defineEventHandler, setResponseStatus } from 'h3'
import { useApp } from '../../utils/app'
import { requireTenant } from '../../utils/auth'
import { readJsonBody } from '../../utils/body'
import { assertSkillPublishRequest } from '../../utils/schemas'
import { publishSkill } from '../../utils/skills/registry'

export default defineEventHandler(async (event) => {
  const app = await useApp()
  const publisher = await requireTenant(event, app)
  const body = await readJsonBody(event, assertSkillPublishRequest)
  const published = await publishSkill(app, publisher, body.manifest, body.code)
  setResponseStatus(event, 201)
  return published
})
