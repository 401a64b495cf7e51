/**
 * GET /openapi.json, generated from API_ROUTES and the JSON Schemas (Nitro's own OpenAPI routes
 * are off in production builds).
 */
import { API_ROUTES } from './api-routes'
import { CAPABILITY_TYPES } from './capabilities'
import { ERROR_CATALOG } from './errors'
import { SCHEMAS } from './schemas'

export function buildOpenApi(serverUrl: string) {
  const paths: Record<string, Record<string, unknown>> = {}
  for (const route of API_ROUTES) {
    const parameters = [...route.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({
      name,
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }))
    paths[route.path] ??= {}
    paths[route.path][route.method.toLowerCase()] = {
      summary: route.summary,
      ...(route.auth === 'none' || route.auth === 'approval-token' ? { security: [] } : {}),
      ...(parameters.length ? { parameters } : {}),
      ...(route.body
        ? {
            requestBody: {
              required: true,
              content: {
                'application/json': { schema: { $ref: `#/components/schemas/${route.body}` } },
              },
            },
          }
        : {}),
      responses: {
        [String(route.status ?? 200)]: { description: 'Success' },
        default: {
          description: 'Error',
          content: { 'application/json': { schema: { $ref: '#/components/schemas/error' } } },
        },
      },
    }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'OAuth3',
      version: '0.1.0',
      description:
        'Attested execution for AI agents: TEE-sandboxed, human-approved, capability-scoped.',
    },
    servers: [{ url: serverUrl }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: {
        ...Object.fromEntries(
          Object.entries(SCHEMAS).map(([name, schema]) => [name, rewriteRefs(schema)]),
        ),
        error: {
          type: 'object',
          required: ['error', 'code'],
          properties: {
            error: { type: 'string' },
            code: { type: 'string', enum: Object.keys(ERROR_CATALOG) },
            details: { type: 'object' },
          },
        },
        capability: {
          oneOf: Object.keys(CAPABILITY_TYPES).map((type) => ({
            $ref: `#/components/schemas/${schemaNameOf(type)}`,
          })),
        },
      },
    },
    security: [{ bearer: [] }],
    paths,
  }
}

const FILE_TO_NAME: Record<string, string> = Object.fromEntries(
  Object.entries(SCHEMAS).map(([name, schema]) => [schema.$id, name]),
)

function schemaNameOf(type: string): string {
  return FILE_TO_NAME[`capability-${type}.schema.json`]
}

/** File-relative $refs (capability-common.schema.json#/definitions/x) become component refs. */
function rewriteRefs(schema: unknown): unknown {
  return JSON.parse(JSON.stringify(schema), (key, value) => {
    if (key !== '$ref' || typeof value !== 'string') return value
    const [file, pointer = ''] = value.split('#')
    return `#/components/schemas/${file ? FILE_TO_NAME[file] : ''}${pointer}`
  })
}
