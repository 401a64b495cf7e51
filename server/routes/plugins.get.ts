import { CAPABILITY_PLUGINS } from '../../core/capabilities/registry'
import { defineApiRoute } from '../http/define-route'
import { getPublicOrigin } from '../http/origin'
import { servedSchema } from '../http/schemas'

export default defineApiRoute(
  {
    auth: 'none',
    answers: { 200: 'plugins' },
    summary:
      'Capability types with their JSON Schemas; the schemas they reference are served at /schemas/{file}.',
    returns: '{ plugins: [{ type, description, schema }] }',
  },
  ({ event, app }) => ({
    plugins: CAPABILITY_PLUGINS.map(({ type, description, schema }) => ({
      type,
      description,
      schema: servedSchema(getPublicOrigin(event, app), schema),
    })),
  }),
)
