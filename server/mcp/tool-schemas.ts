/**
 * What each MCP tool is, as a client reads it from tools/list: a title, annotations, an input
 * schema and an output schema. Every schema is self-contained (`$defs`, no other file's `$id`), so
 * a client compiles it alone. Outputs are the API's own answers, the same schemas as GET
 * /openapi.json's; an execution's `result.value` is typed by its skill's `returns` schema when the
 * skill's text is trusted (rule 21).
 */
import { CAPABILITY_PLUGINS } from '../../core/capabilities/registry'
import { capabilitySchemaName, SCHEMA_FILES, selfContainedSchema } from '../../core/schema-bundle'

export type JsonSchemaObject = { type: 'object'; [keyword: string]: unknown }

export interface ToolAnnotations {
  title: string
  readOnlyHint: boolean
  destructiveHint?: boolean
  idempotentHint?: boolean
  openWorldHint: boolean
}

export interface Tool {
  name: string
  title: string
  description: string
  inputSchema: JsonSchemaObject
  outputSchema: JsonSchemaObject
  annotations: ToolAnnotations
}

/** How a tool call's input becomes a skill's args: its own properties (flat) or under `args`. */
export type ArgsShape = 'flat' | 'nested'

/** How long a tool waits for a decision or an execution: well under a client's 60 s default. */
export const TOOL_WAIT_MS = 25_000

const ID = { type: 'string', minLength: 1, maxLength: 64 }
const REQUEST_ID = { ...ID, description: 'The request_id a previous tool call answered.' }

/** wait_for_permit and get_result: one request id. */
const BY_REQUEST_ID: JsonSchemaObject = {
  type: 'object',
  properties: { request_id: REQUEST_ID },
  required: ['request_id'],
  additionalProperties: false,
}

const STATUS_BODY = selfContainedSchema('statusBody') as JsonSchemaObject

const READ_ONLY = { readOnlyHint: true, openWorldHint: false } as const

export const FIXED_TOOLS: readonly Tool[] = [
  {
    name: 'list_skills',
    title: 'List skills',
    description: 'The skills published on this server: id, latest version, description.',
    inputSchema: { type: 'object', properties: {}, additionalProperties: false },
    outputSchema: selfContainedSchema('skillList') as JsonSchemaObject,
    annotations: { title: 'List skills', ...READ_ONLY },
  },
  {
    name: 'describe_skill',
    title: 'Describe a skill',
    description: "A skill's manifest, code, capabilities and args schema.",
    inputSchema: {
      type: 'object',
      properties: {
        id: { ...ID, description: 'The skill id.' },
        version: { type: 'string', minLength: 1, maxLength: 64, description: 'Default: latest.' },
      },
      required: ['id'],
      additionalProperties: false,
    },
    outputSchema: selfContainedSchema('skillVersion') as JsonSchemaObject,
    annotations: { title: 'Describe a skill', ...READ_ONLY },
  },
  {
    name: 'request_permit',
    title: 'Request a permit',
    description:
      'Ask your human for a permit: a registry skill (skill_id) or capability specs. Answers approval_url — give it to your human — and request_id for wait_for_permit.',
    inputSchema: permitRequestInput(),
    outputSchema: selfContainedSchema('permitAnswer') as JsonSchemaObject,
    annotations: {
      title: 'Request a permit',
      readOnlyHint: false,
      destructiveHint: false,
      idempotentHint: false,
      openWorldHint: false,
    },
  },
  {
    name: 'wait_for_permit',
    title: 'Wait for a permit decision',
    description: `Wait up to ${TOOL_WAIT_MS / 1000} s for your human to decide a permit request. Answers its status: still "pending" means call again.`,
    inputSchema: BY_REQUEST_ID,
    outputSchema: STATUS_BODY,
    annotations: { title: 'Wait for a permit decision', ...READ_ONLY, idempotentHint: true },
  },
  {
    name: 'execute_code',
    title: 'Execute code',
    description: `Run JavaScript (an async function body; \`return x\` sets result.value) under a permit, whose capability functions are its only powers. Waits up to ${TOOL_WAIT_MS / 1000} s; a status still "executing" means call get_result.`,
    inputSchema: {
      type: 'object',
      properties: {
        code: {
          type: 'string',
          minLength: 1,
          maxLength: 100_000,
          description: 'An async function body.',
        },
        permit_id: { ...ID, description: 'The approved permit whose capabilities the code calls.' },
        args: { description: 'JSON data, the hardened global `args` of the code.' },
      },
      required: ['code'],
      additionalProperties: false,
    },
    outputSchema: STATUS_BODY,
    annotations: {
      title: 'Execute code',
      readOnlyHint: false,
      destructiveHint: true,
      idempotentHint: false,
      openWorldHint: true,
    },
  },
  {
    name: 'get_result',
    title: 'Get a result',
    description: `The status and result of an execution, waiting up to ${TOOL_WAIT_MS / 1000} s for it to end.`,
    inputSchema: BY_REQUEST_ID,
    outputSchema: STATUS_BODY,
    annotations: { title: 'Get a result', ...READ_ONLY, idempotentHint: true },
  },
]

/** The permit request's schema, its capability specs typed by the capability types' schemas. */
function permitRequestInput(): JsonSchemaObject {
  const schema = selfContainedSchema({
    ...(SCHEMA_FILES.permitRequest as object),
    $id: undefined,
  }) as JsonSchemaObject & { properties: { capabilities: { items: unknown } } }
  const { $defs = {}, ...rest } = schema as { $defs?: Record<string, unknown> }
  const capabilityDefs: Record<string, unknown> = {}
  for (const plugin of CAPABILITY_PLUGINS) {
    const name = capabilitySchemaName(plugin.type)
    const { $defs: inner = {}, ...capability } = selfContainedSchema(name) as {
      $defs?: Record<string, unknown>
    }
    Object.assign(capabilityDefs, inner, { [name]: capability })
  }
  const capabilities = schema.properties.capabilities
  return {
    ...rest,
    type: 'object',
    properties: {
      ...schema.properties,
      capabilities: {
        ...capabilities,
        items: {
          anyOf: CAPABILITY_PLUGINS.map((plugin) => ({
            $ref: `#/$defs/${capabilitySchemaName(plugin.type)}`,
          })),
        },
      },
    },
    $defs: { ...$defs, ...capabilityDefs },
  }
}

/**
 * A skill's args schema as a tool's parameters. Flat when it is a plain object schema whose
 * properties do not collide with permit_id or args: the model fills the skill's own fields.
 * Anything else (a union, a pattern of keys, a non-object) stays nested under `args`.
 */
export function skillToolInput(
  argsSchema: Record<string, unknown> | undefined,
  needsPermit: boolean,
): { inputSchema: JsonSchemaObject; argsShape: ArgsShape } {
  const permit = needsPermit
    ? { permit_id: { ...ID, description: 'The approved permit bound to this skill.' } }
    : {}
  const permitRequired = needsPermit ? ['permit_id'] : []
  const args = argsSchema ?? { type: 'object' }
  if (isFlattenable(args)) {
    const {
      type: _type,
      properties = {},
      required = [],
      ...rest
    } = args as {
      type: 'object'
      properties?: Record<string, unknown>
      required?: string[]
    }
    return {
      argsShape: 'flat',
      inputSchema: {
        ...rest,
        type: 'object',
        properties: { ...properties, ...permit },
        required: [...required, ...permitRequired],
      },
    }
  }
  return {
    argsShape: 'nested',
    inputSchema: {
      type: 'object',
      properties: { ...permit, args },
      required: [...permitRequired, 'args'],
      additionalProperties: false,
    },
  }
}

const FLATTENABLE_KEYWORDS = new Set([
  'type',
  'properties',
  'required',
  'additionalProperties',
  'title',
  'description',
  '$schema',
])

function isFlattenable(args: Record<string, unknown>): boolean {
  if (args.type !== 'object') return false
  if (!Object.keys(args).every((keyword) => FLATTENABLE_KEYWORDS.has(keyword))) return false
  const properties = (args.properties ?? {}) as Record<string, unknown>
  return !('permit_id' in properties) && !('args' in properties)
}

/**
 * The status body with `result.value` typed by the skill's `returns` schema — unless that schema
 * refers to parts of itself, which do not resolve once it sits inside another.
 */
export function skillToolOutput(returns: Record<string, unknown> | undefined): JsonSchemaObject {
  if (!returns || JSON.stringify(returns).includes('"$ref"')) return STATUS_BODY
  const { $defs, ...body } = STATUS_BODY as JsonSchemaObject & {
    $defs: Record<string, { properties: Record<string, unknown> }>
  }
  const result = $defs.executionResult
  return {
    ...body,
    $defs: {
      ...$defs,
      executionResult: {
        ...result,
        properties: { ...result.properties, value: stripIds(returns) },
      },
    },
  } as JsonSchemaObject
}

/** A `returns` schema from a manifest, its `$id`/`$schema` dropped: it lives inside another. */
function stripIds(schema: Record<string, unknown>) {
  const { $id: _id, $schema: _schema, ...rest } = schema
  return rest
}
