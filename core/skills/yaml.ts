/**
 * skill.yaml is parsed with the `yaml` package, safely (rule 16): size and nesting
 * are capped before parsing, duplicate keys and custom tags (`!!js/function`, `!!binary`) are
 * errors, and aliases are refused (no billion laughs).
 */
import { parseDocument, visit } from 'yaml'
import { fail } from '../errors'
import { assertPlainJson } from '../json-checks'

export const SKILL_YAML_MAX_BYTES = 64 * 1024
const MAX_NESTING = 32

export function parseSkillYaml(text: string): unknown {
  const reject = (reason: string): never => fail('SKILL_YAML_INVALID', { details: { reason } })
  if (Buffer.byteLength(text) > SKILL_YAML_MAX_BYTES)
    reject(`skill.yaml is over ${SKILL_YAML_MAX_BYTES} bytes`)
  if (nesting(text) > MAX_NESTING) reject(`skill.yaml is nested more than ${MAX_NESTING} levels`)
  let document
  try {
    document = parseDocument(text, {
      uniqueKeys: true,
      prettyErrors: false,
      strict: true,
      schema: 'core',
      customTags: [],
    })
  } catch {
    return reject('skill.yaml could not be parsed')
  }
  const problem = document.errors[0] ?? document.warnings[0]
  if (problem)
    reject(
      problem.code === 'DUPLICATE_KEY'
        ? 'a key appears twice'
        : problem.code === 'TAG_RESOLVE_FAILED'
          ? 'custom tags are not allowed'
          : `invalid YAML (${problem.code})`,
    )
  let anchored = false
  let tagged = false
  visit(document, {
    Alias: () => void (anchored = true),
    Node: (_, node) => {
      anchored ||= Boolean((node as { anchor?: string }).anchor)
      // Any explicit tag, even a known one such as !!binary (which would become a Buffer).
      tagged ||= Boolean((node as { tag?: string }).tag)
    },
  })
  if (anchored) reject('anchors and aliases are not allowed')
  if (tagged) reject('custom tags are not allowed')
  let value: unknown
  try {
    value = document.toJS({ maxAliasCount: 0 })
  } catch {
    return reject('aliases are not allowed')
  }
  assertPlainJson(value, MAX_NESTING)
  return value
}

/** The deepest of bracket nesting and indentation (two spaces a level), counted without parsing. */
function nesting(text: string): number {
  let depth = 0
  let max = 0
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (c === '[' || c === '{') max = Math.max(max, ++depth)
    else if ((c === ']' || c === '}') && depth > 0) depth--
  }
  for (const line of text.split('\n'))
    max = Math.max(max, Math.floor((line.length - line.trimStart().length) / 2))
  return max
}
