import { getRouterParam } from 'h3'
import { defineApiRoute } from '../../../http/define-route'
import { describeSkillVersion } from '../../../skills/registry'

export default defineApiRoute(
  {
    auth: 'none',
    answers: { 200: 'skillVersion' },
    summary: 'One version: manifest, code, sha256, capabilities.',
    returns: '{ id, version, sha256, manifest, code, capabilities, published_at }',
  },
  ({ event, app }) =>
    describeSkillVersion(
      app,
      getRouterParam(event, 'id') ?? '',
      getRouterParam(event, 'version') ?? '',
    ),
)
