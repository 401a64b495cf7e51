/**
 * GET /openapi.json (OpenAPI 3.1), generated from the route index and the JSON Schemas: every
 * request body and every answer by status, the query parameters and headers routes read, the three
 * kinds of credential, an operationId per operation. Schemas become components with flat names —
 * a schema's `definitions` are lifted to components of their own — so that no reference points
 * inside a component, which client generators do not follow.
 */
import { CAPABILITY_PLUGINS } from '../../core/capabilities/registry'
import { ERROR_CATALOG } from '../../core/errors'
import { capabilitySchemaName, SCHEMA_FILES, schemaParts } from '../../core/schema-bundle'
import type { RouteAuth } from './define-route'
import { EXAMPLES } from './examples'
import { QUERY_PARAMETERS, REQUEST_HEADERS } from './parameters'
import type { ApiRoute } from './route-index'

const API_ERROR_CODES = Object.entries(ERROR_CATALOG)
  .filter(([, entry]) => entry.kind === 'api')
  .map(([code]) => code)

/** The error body's schema (schemas/error.schema.json), its code narrowed to the catalog's. */
function errorComponent(file: unknown) {
  const schema = file as { properties: Record<string, object> }
  return {
    ...schema,
    properties: { ...schema.properties, code: { type: 'string', enum: API_ERROR_CODES } },
  }
}

const SECURITY: Record<RouteAuth, Array<Record<string, string[]>>> = {
  none: [],
  agent: [{ bearer: [] }],
  owner: [{ bearer: [] }],
  tenant: [{ bearer: [] }],
  'approval-link': [{ approvalLink: [] }],
  'tenant-or-approval-link': [{ bearer: [] }, { approvalLink: [] }],
  'tenant-or-status-link': [{ bearer: [] }, { statusLink: [] }],
  // A decision from our own page carries its passkey instead of a token.
  'owner-or-passkey': [{ bearer: [] }, {}],
  'optional-tenant': [{ bearer: [] }, {}],
  // The extension's upload credential is a bearer token too (oa3_upload_…), good for this alone.
  'owner-or-upload-credential': [{ bearer: [] }],
}

export function buildOpenApi(serverUrl: string, routes: ApiRoute[]) {
  const paths: Record<string, Record<string, unknown>> = {}
  for (const route of routes) {
    paths[route.path] ??= {}
    paths[route.path][route.method.toLowerCase()] = describeOperation(route)
  }
  const components: Record<string, unknown> = {}
  for (const name of Object.keys(SCHEMA_FILES))
    Object.assign(components, schemaParts(name, '#/components/schemas/'))
  typeCapabilitySpecs(components.permitRequest)
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
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: 'An account token (POST /signup, POST /agents).',
        },
        statusLink: {
          type: 'apiKey',
          in: 'query',
          name: 'token',
          description: "A status link's token (the status_url's ?token=): reads that status only.",
        },
        approvalLink: {
          type: 'apiKey',
          in: 'query',
          name: 'token',
          description: "An approval link's token (the approval_url's ?token=): reads that request.",
        },
      },
      schemas: {
        ...components,
        error: errorComponent(components.error),
        capability: {
          oneOf: CAPABILITY_PLUGINS.map((plugin) => ({
            $ref: `#/components/schemas/${capabilitySchemaName(plugin.type)}`,
          })),
        },
      },
    },
    security: [{ bearer: [] }],
    paths,
  }
}

function describeOperation(route: ApiRoute) {
  const parameters = [
    ...[...route.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({
      name,
      in: 'path',
      required: true,
      schema: { type: 'string' },
    })),
    // The link token is a security scheme, not a parameter, where the route takes links.
    ...(route.query ?? [])
      .filter((name) => name !== 'token')
      .map((name) => ({ name, in: 'query', required: false, ...QUERY_PARAMETERS[name] })),
    ...(route.headers ?? []).map((name) => ({
      name,
      in: 'header',
      required: false,
      ...REQUEST_HEADERS[name],
    })),
  ]
  const operationId = operationIdOf(route)
  const examples = EXAMPLES[operationId]
  const body = route.body
    ? {
        requestBody: {
          required: !route.bodyOptional,
          content: {
            'application/json': {
              schema: { $ref: `#/components/schemas/${route.body}` },
              ...(examples?.request ? { example: examples.request } : {}),
            },
          },
        },
      }
    : {}
  return {
    operationId,
    summary: route.summary,
    // Bearer-only routes take the document's default.
    ...(['agent', 'owner', 'tenant'].includes(route.auth)
      ? {}
      : { security: SECURITY[route.auth] }),
    ...(parameters.length ? { parameters } : {}),
    ...body,
    responses: responsesOf(route, examples?.responses ?? {}),
  }
}

function responsesOf(route: ApiRoute, examples: Record<number, unknown>) {
  const error = {
    content: { 'application/json': { schema: { $ref: '#/components/schemas/error' } } },
    headers: {
      'X-Request-Id': { schema: { type: 'string' }, description: "This request's id." },
      'Retry-After': {
        schema: { type: 'integer' },
        description: 'Seconds to wait before retrying (429, 503).',
      },
    },
  }
  const success = route.status ?? 200
  const responses: Record<string, unknown> = {}
  // A route that only ever refuses (410 SCOPE_GONE, 405 on GET /mcp) answers the error body.
  if (success >= 400) responses[success] = { description: route.returns, ...error }
  const declared = route.answers ?? (success >= 400 ? {} : { [success]: undefined })
  for (const [status, answer] of Object.entries(declared)) {
    const waited = route.headers?.includes('Prefer') && status === '200'
    responses[status] = {
      description: Number(status) === success ? route.returns : answerWords(answer),
      ...(waited ? { headers: PREFERENCE_APPLIED } : {}),
      ...(answer === null
        ? {}
        : {
            content: {
              [route.produces ?? 'application/json']: {
                schema: answer ? { $ref: `#/components/schemas/${answer}` } : { type: 'string' },
                ...(examples[Number(status)] ? { example: examples[Number(status)] } : {}),
              },
            },
          }),
    }
  }
  responses['4XX'] = { description: 'A refusal: the error body names its code.', ...error }
  responses['5XX'] = { description: 'The server cannot answer now.', ...error }
  return responses
}

const PREFERENCE_APPLIED = {
  'Preference-Applied': {
    schema: { type: 'string' },
    description: 'wait=N, when the answer waited for the end.',
  },
}

function answerWords(answer: string | null | undefined): string {
  if (answer === null) return 'Accepted, no body.'
  if (!answer) return 'The answer.'
  const schema = SCHEMA_FILES[answer] as { description?: string }
  return schema.description ?? answer
}

/** `GET /execute/{id}/status` → `getExecuteByIdStatus`: unique, stable, from the route alone. */
function operationIdOf(route: ApiRoute): string {
  const words = route.path
    .split('/')
    .filter(Boolean)
    .map((segment) => {
      const parameter = /^\{(\w+)\}$/.exec(segment)
      const word = parameter ? `by-${parameter[1]}` : segment.replace(/\.json$/, '-json')
      return word.replace(/(^|[-_.])(\w)/g, (_, __, letter: string) => letter.toUpperCase())
    })
  return `${route.method.toLowerCase()}${words.join('') || 'Root'}`
}

/**
 * The permit request's capability specs are bare objects in its schema: the server checks each
 * with its type's plugin, for errors that name the field. For clients they are the union of the
 * capability types' schemas.
 */
function typeCapabilitySpecs(permitRequest: unknown): void {
  const capabilities = (permitRequest as { properties?: { capabilities?: { items?: unknown } } })
    .properties?.capabilities
  if (capabilities) capabilities.items = { $ref: '#/components/schemas/capability' }
}
