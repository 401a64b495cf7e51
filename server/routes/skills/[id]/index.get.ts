import { getRouterParam } from 'h3'
import { defineApiRoute } from '../../../http/define-route'
import { describeSkill } from '../../../skills/registry'

export default defineApiRoute(
  {
    auth: 'none',
    answers: { 200: 'skillVersions' },
    summary: 'The versions of one skill.',
    returns: '{ id, bundled, versions }',
  },
  ({ event, app }) => describeSkill(app, getRouterParam(event, 'id') ?? ''),
)
