/**
 * A permit as TypeScript declarations: each capability function with its positional parameters
 * (names, types, constraints and where each goes, as doc comments) and what it resolves to, plus
 * `args` (typed from a skill's args schema) and the sandbox's own globals (sandbox.d.ts). An agent type-checks its
 * code against them before sending it: wrap the code in an async function and run
 * `tsc --lib es2022` (no `dom`, no Node types: the sandbox has neither) with this file beside it.
 */
import { constraintSentence } from './describe'
import { SANDBOX_DTS } from './sandbox-typings'
import type { NormalizedCapability, NormalizedParam } from './plugin'

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/

export function capabilityTypings(
  capabilities: NormalizedCapability[],
  options: { argsSchema?: unknown; header?: string } = {},
): string {
  const lines = [
    `// ${options.header ?? 'Capability functions of an OAuth3 permit'} (generated; do not edit).`,
    '',
    SANDBOX_DTS,
    '',
    '/** The JSON data the execution was given. */',
    `declare const args: ${schemaType(options.argsSchema, 0)}`,
    '',
  ]
  for (const capability of capabilities) lines.push(...declareFunction(capability), '')
  return lines.join('\n')
}

function declareFunction(capability: NormalizedCapability): string[] {
  const entries = Object.entries(capability.params)
  // An optional parameter followed by a required one is typed `T | undefined`, not `?`.
  const lastRequired = entries.reduce((last, [, param], i) => (param.required ? i : last), -1)
  const params = entries.map(([name, param], i) => {
    const type = paramType(param)
    const safe = IDENTIFIER.test(name) ? name : `_${name.replace(/\W/g, '_')}`
    if (param.required) return `${safe}: ${type}`
    return i > lastRequired ? `${safe}?: ${type}` : `${safe}: ${type} | undefined`
  })
  const docs = [
    capability.description ?? capability.name,
    `${capability.method} ${capability.endpoint}`,
    ...entries.map(([name, param]) => {
      const rule = param.constraint ? ` ${constraintSentence(name, param)}` : ''
      const about = param.description ? ` ${param.description}` : ''
      return `@param ${IDENTIFIER.test(name) ? name : `_${name.replace(/\W/g, '_')}`} (${param.in}).${about}${rule}`
    }),
  ]
  return [
    '/**',
    ...docs.map((line) => ` * ${line.replace(/\*\//g, '*\\/')}`),
    ' */',
    `declare function ${capability.function}(${params.join(', ')}): Promise<${resultType(capability)}>`,
  ]
}

function paramType(param: NormalizedParam): string {
  const constraint = param.constraint
  if (constraint?.type === 'enum') {
    return (constraint.values as unknown[]).map((value) => JSON.stringify(value)).join(' | ')
  }
  if (
    constraint?.type === 'predicate' &&
    constraint.op === 'in' &&
    Array.isArray(constraint.value)
  ) {
    return constraint.value.map((value) => JSON.stringify(value)).join(' | ')
  }
  return SCALARS[param.type] ?? 'unknown'
}

const SCALARS: Record<string, string> = {
  string: 'string',
  number: 'number',
  integer: 'number',
  boolean: 'boolean',
  object: 'Record<string, unknown>',
  array: 'unknown[]',
}

function resultType(capability: NormalizedCapability): string {
  // JSON answers are parsed; text comes as a string; binary as base64 text.
  return capability.response === 'json' ? 'unknown' : 'string'
}

/** A JSON Schema (the subset skill args use) as a TypeScript type. */
function schemaType(schema: unknown, depth: number): string {
  if (!schema || typeof schema !== 'object' || depth > 6) return 'Record<string, unknown>'
  const s = schema as Record<string, unknown>
  if (Array.isArray(s.enum)) return s.enum.map((value) => JSON.stringify(value)).join(' | ')
  const type = Array.isArray(s.type) ? s.type : [s.type]
  const parts = type.map((one) => {
    if (one === 'object') {
      const properties = (s.properties ?? {}) as Record<string, unknown>
      const required = new Set(Array.isArray(s.required) ? (s.required as string[]) : [])
      const fields = Object.entries(properties).map(
        ([name, inner]) =>
          `${IDENTIFIER.test(name) ? name : JSON.stringify(name)}${required.has(name) ? '' : '?'}: ${schemaType(inner, depth + 1)}`,
      )
      return fields.length ? `{ ${fields.join('; ')} }` : 'Record<string, unknown>'
    }
    if (one === 'array') return `Array<${schemaType(s.items, depth + 1)}>`
    if (one === 'null') return 'null'
    return SCALARS[String(one)] ?? 'unknown'
  })
  return parts.join(' | ')
}
