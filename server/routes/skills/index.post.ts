import { defineApiRoute } from '../../http/define-route'
import { publishSkill } from '../../skills/registry'

export default defineApiRoute(
  {
    auth: 'tenant',
    answers: { 201: 'skillPublished' },
    summary:
      'Publish a skill version { manifest: skill.yaml text, code: index.js text }; the first publisher owns the id; versions are immutable.',
    body: 'skillPublish',
    status: 201,
    returns: '{ id, version, sha256, published_at }',
  },
  ({ app, caller, body }) => publishSkill(app, caller, body.manifest, body.code),
)
