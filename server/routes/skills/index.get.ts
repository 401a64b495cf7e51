import { defineApiRoute } from '../../http/define-route'
import { listSkills } from '../../skills/registry'

export default defineApiRoute(
  {
    auth: 'none',
    answers: { 200: 'skillList' },
    summary: 'Registry skills: id, latest version, description.',
    returns: '{ skills: [{ id, latest, description, author, versions, bundled }] }',
  },
  ({ app }) => listSkills(app),
)
