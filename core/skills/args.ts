/**
 * A skill's `args` JSON Schema. It comes from the skill's author: compiled strict, without
 * `$data`, and with patterns on RE2 (IN-14). A bundle is refused unless it compiles; at execute
 * time the agent's args are checked against it before anything runs.
 */
import Ajv, { type ValidateFunction } from 'ajv'
import { RE2JS } from 're2js'
import { fail } from '../errors'
import { describeSchemaErrors } from '../schemas'

const VALIDATORS_MAX = 1000

const argsAjv = new Ajv({
  strict: true,
  allowUnionTypes: true,
  coerceTypes: false,
  useDefaults: false,
  code: { regExp: re2Engine as never },
})

/** Compiled validators by skill code hash (a version's schema never changes). */
const validators = new Map<string, ValidateFunction>()

export function compileArgsSchema(schema: object): ValidateFunction {
  try {
    const { $id: _ignored, ...rest } = schema as { $id?: unknown }
    return argsAjv.compile(rest)
  } catch (error) {
    return fail('SKILL_ARGS_SCHEMA_INVALID', {
      details: {
        check: 'args-schema-compiles',
        reason: String((error as Error).message).slice(0, 300),
      },
    })
  }
}

/** The agent's args against the skill's schema: INVALID_ARGS, and nothing runs. */
export function assertSkillArgs(skill: { sha256: string; args: object }, args: unknown): void {
  let validate = validators.get(skill.sha256)
  if (!validate) {
    validate = compileArgsSchema(skill.args)
    if (validators.size >= VALIDATORS_MAX) validators.clear()
    validators.set(skill.sha256, validate)
  }
  if (!validate(args)) {
    fail('INVALID_ARGS', { details: { errors: describeSchemaErrors(validate.errors) } })
  }
}

function re2Engine(pattern: string) {
  let compiled: RE2JS
  try {
    compiled = RE2JS.compile(pattern)
  } catch {
    throw new Error('pattern is not RE2 syntax (linear-time regular expressions only)')
  }
  // ajv caches compiled patterns by `toString()`: it must name the pattern, as a RegExp's would.
  return {
    test: (value: string) => compiled.matcher(value).find(),
    toString: () => `/${pattern}/re2`,
  }
}
