import { CAPABILITY_PLUGINS } from '../../core/capabilities/registry'
import { defineApiRoute } from '../http/define-route'

export default defineApiRoute(
  {
    auth: 'none',
    summary: 'Capability types with their JSON Schemas.',
    returns: '{ plugins: [{ type, description, schema }] }',
  },
  () => ({
    plugins: CAPABILITY_PLUGINS.map(({ type, description, schema }) => ({
      type,
      description,
      schema,
    })),
  }),
)
