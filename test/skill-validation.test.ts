/**
 * The shared skill checks, in process: args schemas run their patterns on RE2, each pattern
 * independently of the others compiled before it.
 */
import { describe, expect, it } from 'vitest'
import { compileArgsSchema } from '../core/skills/args'

describe('args schemas', () => {
  it('keeps every compiled pattern distinct', () => {
    const first = compileArgsSchema({
      type: 'object',
      properties: { a: { type: 'string', pattern: '^[0-9]+$' } },
    })
    const second = compileArgsSchema({
      type: 'object',
      properties: { b: { type: 'string', pattern: '^[a-z]+$' } },
    })
    expect(first({ a: '123' })).toBe(true)
    expect(first({ a: 'abc' })).toBe(false)
    expect(second({ b: 'abc' })).toBe(true)
    expect(second({ b: 'NOT-LOWER' })).toBe(false)
  })

  it('IN-14: evaluates a backtracking-prone pattern in linear time', () => {
    const validate = compileArgsSchema({
      type: 'object',
      properties: { s: { type: 'string', pattern: '^(a|a)*$' } },
    })
    // 2^5000 paths for a backtracking engine: an answer at all proves the linear-time one.
    expect(validate({ s: 'a'.repeat(5000) + '!' })).toBe(false)
  })

  it('refuses patterns RE2 cannot run (lookaround, backreferences)', () => {
    expect(() =>
      compileArgsSchema({
        type: 'object',
        properties: { s: { type: 'string', pattern: '(a)\\1' } },
      }),
    ).toThrow()
    expect(() =>
      compileArgsSchema({
        type: 'object',
        properties: { s: { type: 'string', pattern: 'a(?=b)' } },
      }),
    ).toThrow()
  })
})
