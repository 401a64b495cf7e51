/**
 * GET /openapi.json, generated from the route index and the JSON Schemas (Nitro's own OpenAPI
 * routes are off in production builds).
 */
import { CAPABILITY_PLUGINS } from '../../core/capabilities/registry'
import { ERROR_CATALOG } from '../../core/errors'
import { SCHEMAS } from '../../core/schemas'
import type { ApiRoute } from './route-index'

/** Component names of every schema: the request schemas' own, and camelCase capability types. */
const COMPONENTS: Record<string, { $id: string }> = {
  ...SCHEMAS,
  ...Object.fromEntries(
    CAPABILITY_PLUGINS.map((plugin) => [camelCase(plugin.type), plugin.schema]),
  ),
}
const FILE_TO_NAME: Record<string, string> = Object.fromEntries(
  Object.entries(COMPONENTS).map(([name, schema]) => [schema.$id, name]),
)
const API_ERROR_CODES = Object.entries(ERROR_CATALOG)
  .filter(([, entry]) => entry.kind === 'api')
  .map(([code]) => code)

export function buildOpenApi(serverUrl: string, routes: ApiRoute[]) {
  const paths: Record<string, Record<string, unknown>> = {}
  for (const route of routes) {
    paths[route.path] ??= {}
    paths[route.path][route.method.toLowerCase()] = describeOperation(route)
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
          Object.entries(COMPONENTS).map(([name, schema]) => [name, asComponent(name, schema)]),
        ),
        error: {
          type: 'object',
          required: ['error', 'code'],
          properties: {
            error: { type: 'string' },
            code: { type: 'string', enum: API_ERROR_CODES },
            details: { type: 'object' },
            request_id: {
              type: 'string',
              description: 'The X-Request-Id of this request: quote it to the operator.',
            },
          },
        },
        capability: {
          oneOf: CAPABILITY_PLUGINS.map((plugin) => ({
            $ref: `#/components/schemas/${camelCase(plugin.type)}`,
          })),
        },
      },
    },
    security: [{ bearer: [] }],
    paths,
  }
}

function describeOperation(route: ApiRoute) {
  const parameters = [...route.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({
    name,
    in: 'path',
    required: true,
    schema: { type: 'string' },
  }))
  const open = route.auth === 'none' || route.auth === 'approval-link'
  const bodySchema = { $ref: `#/components/schemas/${route.body}` }
  return {
    summary: route.summary,
    ...(open ? { security: [] } : {}),
    ...(parameters.length ? { parameters } : {}),
    ...(route.body
      ? {
          requestBody: {
            required: !route.bodyOptional,
            content: { 'application/json': { schema: bodySchema } },
          },
        }
      : {}),
    responses: {
      [String(route.status ?? 200)]: {
        description: route.returns,
        content: { [route.produces ?? 'application/json']: {} },
      },
      default: {
        description: 'Error',
        content: { 'application/json': { schema: { $ref: '#/components/schemas/error' } } },
      },
    },
  }
}

function camelCase(type: string): string {
  return type.replace(/-(\w)/g, (_, letter: string) => letter.toUpperCase())
}

/**
 * A schema as an OpenAPI component: without its `$id` (which would become the base its refs resolve
 * against), and with its refs pointing into components — another file's
 * (`capability-common.schema.json#/definitions/x`) or its own (`#/definitions/x`).
 */
function asComponent(name: string, schema: object): unknown {
  const { $id: _id, ...rest } = schema as { $id?: string }
  return JSON.parse(JSON.stringify(rest), (key, value) => {
    if (key !== '$ref' || typeof value !== 'string') return value
    const [file, pointer = ''] = value.split('#')
    return `#/components/schemas/${file ? FILE_TO_NAME[file] : name}${pointer}`
  })
}
