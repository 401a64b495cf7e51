/**
 * Validation of a skill bundle, in two phases shared by the server and the CLI: the structure
 * (skill.yaml against its JSON Schema), then named semantic checks, each failing with its own
 * error: id-matches-path, version-matches-path, code-hash, code-parses, capabilities-valid,
 * args-schema-compiles.
 */
import { createHash } from 'node:crypto'
import { normalizeCapabilities } from '../capabilities/registry'
import type { NormalizedCapability } from '../capabilities/plugin'
import { assertRunnableCode } from '../code-check'
import { fail, isOAuth3Error } from '../errors'
import { assertSkillManifest } from '../schemas'
import type { SkillManifest } from '../../schemas/types'
import { compileArgsSchema } from './args'
import { parseSkillYaml } from './yaml'

export interface ValidatedSkill {
  manifest: SkillManifest
  capabilities: NormalizedCapability[]
}

export interface BundleExpectation {
  /** From the bundle's folder, skills/<id>/<version>/. */
  id?: string
  version?: string
  allowHttp: boolean
}

export function validateSkillBundle(
  manifestText: string,
  code: string,
  expect: BundleExpectation,
): ValidatedSkill {
  const manifest = assertSkillManifest(parseSkillYaml(manifestText))
  if (expect.id !== undefined && manifest.id !== expect.id) {
    fail('SKILL_ID_MISMATCH', { details: { check: 'id-matches-path' } })
  }
  if (expect.version !== undefined && manifest.version !== expect.version) {
    fail('SKILL_VERSION_MISMATCH', { details: { check: 'version-matches-path' } })
  }
  if (createHash('sha256').update(code).digest('hex') !== manifest.sha256) {
    fail('SKILL_CODE_HASH_MISMATCH', { details: { check: 'code-hash' } })
  }
  rethrowAs('SKILL_CODE_INVALID', 'code-parses', () => assertRunnableCode(code))
  const capabilities = rethrowAs('SKILL_CAPABILITY_INVALID', 'capabilities-valid', () =>
    normalizeCapabilities(manifest.capabilities, { allowHttp: expect.allowHttp }),
  )
  compileArgsSchema(manifest.args)
  return { manifest, capabilities }
}

function rethrowAs<T>(
  code: 'SKILL_CODE_INVALID' | 'SKILL_CAPABILITY_INVALID',
  check: string,
  task: () => T,
): T {
  try {
    return task()
  } catch (error) {
    if (!isOAuth3Error(error)) throw error
    return fail(code, { details: { check, cause: error.code, ...error.details } })
  }
}
