/**
 * Validation of a skill bundle, in two phases shared by the server and the CLI: the structure
 * (skill.yaml against its JSON Schema), then named semantic checks, each failing with its own
 * error: id-matches-path, version-matches-path, code-hash, code-parses, capabilities-valid,
 * args-schema-compiles.
 */
import { createHash } from 'node:crypto'
import Ajv, { type ValidateFunction } from 'ajv'
import { RE2JS } from 're2js'
import { normalizeCapabilities, type NormalizedCapability } from '../capabilities'
import { fail, isCatalogError } from '../errors'
import { assertRunnableCode } from '../executions/code-check'
import { assertSkillManifest } from '../schemas'
import type { SkillManifest } from '../../../schemas/types'
import { parseSkillYaml } from './yaml'

export interface ValidatedSkill {
  manifest: SkillManifest
  capabilities: NormalizedCapability[]
  argsValidator: ValidateFunction
}

export interface BundleExpectation {
  /** From the bundle's folder, skills/<id>/<version>/. */
  id?: string
  version?: string
  allowHttp: boolean
}

// Args schemas come from skill authors: strict, no $data, and patterns on RE2 (IN-14).
const argsAjv = new Ajv({
  strict: true,
  allowUnionTypes: true,
  coerceTypes: false,
  useDefaults: false,
  code: { regExp: re2Engine as never },
})

export function validateSkillBundle(
  manifestText: string,
  code: string,
  expect: BundleExpectation,
): ValidatedSkill {
  const manifest = assertSkillManifest(parseSkillYaml(manifestText))
  if (expect.id !== undefined && manifest.id !== expect.id)
    fail('SKILL_ID_MISMATCH', { details: { check: 'id-matches-path' } })
  if (expect.version !== undefined && manifest.version !== expect.version)
    fail('SKILL_VERSION_MISMATCH', { details: { check: 'version-matches-path' } })
  if (createHash('sha256').update(code).digest('hex') !== manifest.sha256)
    fail('SKILL_CODE_HASH_MISMATCH', { details: { check: 'code-hash' } })
  rethrowAs('SKILL_CODE_INVALID', 'code-parses', () => assertRunnableCode(code))
  const capabilities = rethrowAs('SKILL_CAPABILITY_INVALID', 'capabilities-valid', () =>
    normalizeCapabilities(manifest.capabilities, { allowHttp: expect.allowHttp }),
  )
  const argsValidator = compileArgsSchema(manifest.args)
  return { manifest, capabilities, argsValidator }
}

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

function rethrowAs<T>(
  code: 'SKILL_CODE_INVALID' | 'SKILL_CAPABILITY_INVALID',
  check: string,
  task: () => T,
): T {
  try {
    return task()
  } catch (error) {
    if (!isCatalogError(error)) throw error
    return fail(code, {
      details: { check, cause: error.data!.body.code, ...error.data!.body.details },
    })
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
