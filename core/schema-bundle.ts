/**
 * Every JSON Schema file of the contract under one flat name — requests', answers', and each
 * capability type's in camelCase — and the two ways they leave the server: as OpenAPI components
 * (each file and each of its `definitions` a component of its own) and as one self-contained
 * schema whose references all point into its own `$defs` (MCP tool schemas, which clients compile
 * alone, with no registry to resolve another file's `$id`).
 */
import { ANSWER_SCHEMAS } from './answers'
import { CAPABILITY_PLUGINS } from './capabilities/registry'
import { SCHEMAS } from './schemas'

export const SCHEMA_FILES: Record<string, { $id: string }> = {
  ...SCHEMAS,
  ...ANSWER_SCHEMAS,
  ...Object.fromEntries(
    CAPABILITY_PLUGINS.map((plugin) => [capabilitySchemaName(plugin.type), plugin.schema]),
  ),
}
const NAME_OF_FILE: Record<string, string> = Object.fromEntries(
  Object.entries(SCHEMA_FILES).map(([name, schema]) => [schema.$id, name]),
)

/** The flat name of a capability type's schema: `api-gateway` → `apiGateway`. */
export function capabilitySchemaName(type: string): string {
  return type.replace(/-(\w)/g, (_, letter: string) => letter.toUpperCase())
}

/**
 * A file as named parts: itself without its `$id` (which would become the base its references
 * resolve against) and each of its definitions (`<name><Definition>`), every reference rewritten
 * to `${prefix}<part name>`.
 */
export function schemaParts(name: string, prefix: string): Record<string, unknown> {
  const {
    $id: _id,
    definitions,
    ...rest
  } = SCHEMA_FILES[name] as {
    $id: string
    definitions?: Record<string, unknown>
  }
  const parts: Record<string, unknown> = { [name]: rewriteRefs(rest, name, prefix) }
  for (const [definition, value] of Object.entries(definitions ?? {}))
    parts[partName(name, definition)] = rewriteRefs(value, name, prefix)
  return parts
}

/**
 * `schema` with every part it reaches, transitively, under its own `$defs`. `schema` may be a
 * file's name or a schema of its own whose references name files (`status-body.schema.json`).
 */
export function selfContainedSchema(schema: string | object): Record<string, unknown> {
  const prefix = '#/$defs/'
  const root =
    typeof schema === 'string'
      ? (schemaParts(schema, prefix)[schema] as Record<string, unknown>)
      : (rewriteRefs(schema, '', prefix) as Record<string, unknown>)
  const defs: Record<string, unknown> = {}
  const pending = [root]
  while (pending.length > 0) {
    for (const ref of refsIn(pending.pop())) {
      const part = ref.slice(prefix.length)
      if (part in defs) continue
      const file = fileOfPart(part)
      const parts = schemaParts(file, prefix)
      defs[part] = parts[part]
      pending.push(parts[part] as Record<string, unknown>)
    }
  }
  return Object.keys(defs).length > 0 ? { ...root, $defs: sortedKeys(defs) } : root
}

function rewriteRefs(value: unknown, name: string, prefix: string): unknown {
  return JSON.parse(JSON.stringify(value), (key, ref) => {
    if (key !== '$ref' || typeof ref !== 'string') return ref
    const [file, pointer = ''] = ref.split('#')
    const target = file ? NAME_OF_FILE[file] : name
    if (!target) throw new Error(`unknown schema file in $ref: ${ref}`)
    const definition = /^\/definitions\/(\w+)$/.exec(pointer)
    return `${prefix}${definition ? partName(target, definition[1]) : target}`
  })
}

function refsIn(value: unknown): string[] {
  const refs: string[] = []
  JSON.stringify(value, (key, ref) => {
    if (key === '$ref' && typeof ref === 'string') refs.push(ref)
    return ref
  })
  return refs
}

/** The file a part belongs to: the longest file name the part name starts with. */
function fileOfPart(part: string): string {
  if (part in SCHEMA_FILES) return part
  const file = Object.keys(SCHEMA_FILES)
    .filter((name) => part.startsWith(name))
    .sort((a, b) => b.length - a.length)[0]
  if (!file) throw new Error(`no schema file holds ${part}`)
  return file
}

const partName = (file: string, definition: string) =>
  `${file}${definition[0].toUpperCase()}${definition.slice(1)}`

function sortedKeys(record: Record<string, unknown>) {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)))
}
