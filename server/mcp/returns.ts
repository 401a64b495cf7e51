/**
 * A skill's `returns` schema, for typing its tool's result. The manifest calls it documentation:
 * nothing made the code keep to it. A client checks structuredContent against the output schema,
 * so the server checks first (compiled as args are: strict, RE2 patterns), and a value the schema
 * does not describe is left out of the structured result and shown in the text instead.
 */
import type { ValidateFunction } from 'ajv'
import { describeSchemaErrors } from '../../core/schemas'
import { compileArgsSchema } from '../../core/skills/args'

const VALIDATORS_MAX = 1000
/** By skill code hash: a version's manifest never changes. `null`: it does not compile. */
const validators = new Map<string, ValidateFunction | null>()

export function returnsValidator(skill: {
  sha256: string
  returns?: Record<string, unknown>
}): ValidateFunction | null {
  if (!skill.returns || JSON.stringify(skill.returns).includes('"$ref"')) return null
  let validate = validators.get(skill.sha256)
  if (validate === undefined) {
    try {
      validate = compileArgsSchema(skill.returns)
    } catch {
      validate = null
    }
    if (validators.size >= VALIDATORS_MAX) validators.clear()
    validators.set(skill.sha256, validate)
  }
  return validate
}

/** Where `value` departs from the schema, in words; undefined when it fits. */
export function valueMismatch(validate: ValidateFunction, value: unknown): string | undefined {
  if (validate(value)) return undefined
  return describeSchemaErrors(validate.errors)
    .map((error) => `${error.path} ${error.message}`)
    .join('; ')
}
