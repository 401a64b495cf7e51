/**
 * Constraint checks at permit time. Regex patterns must compile on RE2 (re2js: linear time, no
 * backreferences or lookaround), so no pattern an agent proposes can backtrack (SECURITY.md rule 10).
 */
import { RE2JS } from 're2js'
import { fail } from '../errors'
import type { Param } from '../../../schemas/types'

export function assertConstraint(param: Param): void {
  const constraint = param.constraint
  if (!constraint) return
  if (constraint.type === 'regex') compileAnchored(constraint.pattern)
  if (constraint.type === 'predicate') {
    const numeric = ['>=', '<=', '>', '<'].includes(constraint.op)
    if (numeric && typeof constraint.value !== 'number')
      fail('INVALID_CAPABILITY', { details: { reason: 'numeric predicates need a number value' } })
    if (constraint.op === 'in' && !Array.isArray(constraint.value))
      fail('INVALID_CAPABILITY', { details: { reason: 'the in predicate needs an array value' } })
    if (
      (constraint.op === 'prefix' || constraint.op === 'suffix') &&
      typeof constraint.value !== 'string'
    ) {
      fail('INVALID_CAPABILITY', {
        details: { reason: 'prefix and suffix predicates need a string value' },
      })
    }
  }
}

/** The server anchors every pattern: the whole value must match. */
export function compileAnchored(pattern: string): RE2JS {
  try {
    return RE2JS.compile(`^(?:${pattern})$`)
  } catch {
    return fail('UNSAFE_PATTERN')
  }
}
