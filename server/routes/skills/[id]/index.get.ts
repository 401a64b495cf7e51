import { getRouterParam } from 'h3'
import { defineApiRoute } from '../../../http/define-route'
import { describeSkill } from '../../../skills/registry'

export default defineApiRoute(
  { auth: 'none', summary: 'The versions of one skill.', returns: '{ id, bundled, versions }' },
  ({ event, app }) => describeSkill(app, getRouterParam(event, 'id') ?? ''),
)
