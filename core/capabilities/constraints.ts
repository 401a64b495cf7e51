/**
 * Param constraints, checked at permit time (is the constraint well-formed?) and at call time
 * (does the value satisfy it?). Regex patterns must compile on RE2 (re2js: linear time, no
 * backreferences or lookaround), so no pattern an agent proposes can backtrack (rule 10); the
 * server anchors every pattern.
 */
import { RE2JS } from 're2js'
import { fail } from '../errors'
import type { Param } from '../../schemas/types'

type Constraint = NonNullable<Param['constraint']>

const COMPILED_MAX = 1000
const compiled = new Map<string, RE2JS>()

export function assertConstraint(param: Param): void {
  const constraint = param.constraint
  if (!constraint) return
  if (constraint.type === 'regex') compileAnchored(constraint.pattern)
  if (constraint.type !== 'predicate') return
  const reject = (reason: string) => fail('INVALID_CAPABILITY', { details: { reason } })
  const numeric = ['>=', '<=', '>', '<'].includes(constraint.op)
  if (numeric && typeof constraint.value !== 'number') {
    reject('numeric predicates need a number value')
  }
  if (constraint.op === 'in' && !Array.isArray(constraint.value)) {
    reject('the in predicate needs an array value')
  }
  const affix = constraint.op === 'prefix' || constraint.op === 'suffix'
  if (affix && typeof constraint.value !== 'string') {
    reject('prefix and suffix predicates need a string value')
  }
}

/** The whole value must match: `^(?:pattern)$`, on RE2. */
export function compileAnchored(pattern: string): RE2JS {
  try {
    return RE2JS.compile(`^(?:${pattern})$`)
  } catch {
    return fail('UNSAFE_PATTERN')
  }
}

/** Call time: does `value` satisfy the approved constraint? */
export function satisfiesConstraint(constraint: Constraint, value: unknown): boolean {
  switch (constraint.type) {
    case 'regex': {
      const isText = typeof value === 'string' || typeof value === 'number'
      return isText && patternOf(constraint.pattern).matches(String(value))
    }
    case 'enum':
      return (constraint.values as unknown[]).includes(value)
    case 'predicate':
      return predicate(constraint.op, value, constraint.value)
    default:
      // natural_language rules are shown to the approver, not machine-enforced.
      return true
  }
}

function patternOf(pattern: string): RE2JS {
  let regex = compiled.get(pattern)
  if (!regex) {
    if (compiled.size >= COMPILED_MAX) compiled.clear()
    compiled.set(pattern, (regex = compileAnchored(pattern)))
  }
  return regex
}

function predicate(op: string, value: unknown, expected: unknown): boolean {
  if (op === 'in') return Array.isArray(expected) && expected.includes(value as never)
  if (op === '==') return value === expected
  if (op === '!=') return value !== expected
  if (op === 'prefix' || op === 'suffix') {
    if (typeof value !== 'string' || typeof expected !== 'string') return false
    return op === 'prefix' ? value.startsWith(expected) : value.endsWith(expected)
  }
  if (typeof value !== 'number' || typeof expected !== 'number') return false
  if (op === '>=') return value >= expected
  if (op === '<=') return value <= expected
  return op === '>' ? value > expected : value < expected
}
