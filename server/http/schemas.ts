/**
 * The JSON Schemas as served (requests' and answers'): GET /schemas/:file, and the capability types' schemas in
 * GET /plugins. Each carries an absolute `$id` on this server, so that its relative references
 * (`capability-common.schema.json#/definitions/…`) resolve to a schema this server serves too.
 */
import { ANSWER_SCHEMAS } from '../../core/answers'
import { CAPABILITY_PLUGINS } from '../../core/capabilities/registry'
import { fail } from '../../core/errors'
import { SCHEMAS } from '../../core/schemas'

const BY_FILE = new Map<string, { $id: string }>(
  [
    ...Object.values(SCHEMAS),
    ...Object.values(ANSWER_SCHEMAS),
    ...CAPABILITY_PLUGINS.map((plugin) => plugin.schema),
  ].map((schema) => [schema.$id, schema]),
)

export function schemaUrl(publicOrigin: string, file: string): string {
  return `${publicOrigin}/schemas/${file}`
}

/** A schema with its `$id` made absolute on this server. */
export function servedSchema(publicOrigin: string, schema: { $id: string }) {
  return { ...schema, $id: schemaUrl(publicOrigin, schema.$id) }
}

/** GET /schemas/:file */
export function readSchema(publicOrigin: string, file: string) {
  const schema = BY_FILE.get(file)
  if (!schema) fail('NOT_FOUND')
  return servedSchema(publicOrigin, schema)
}

/** Every schema file this server serves. */
export function schemaFiles(): string[] {
  return [...BY_FILE.keys()].sort()
}
