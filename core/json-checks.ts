/**
 * Checks over parsed JSON, iterative (no recursion, so hostile nesting cannot overflow the
 * stack): nesting depth and keys that could reach prototypes (rules 15, 17), and text an approver
 * will read that must render as what it is (IN-17).
 */
import { fail } from './errors'
import { LIMITS } from './limits'

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype'])

// C0/C1 controls (but tab, LF, CR), bidi controls and zero-width characters.
const INVISIBLE =
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u00AD\u061C\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u206F\uFEFF\uFFF9-\uFFFB]/

/** Depth cap and forbidden keys over the parsed value. */
export function assertPlainJson(value: unknown, maxDepth: number = LIMITS.JSON_MAX_DEPTH): void {
  const stack: Array<[unknown, number]> = [[value, 1]]
  while (stack.length) {
    const [node, depth] = stack.pop()!
    if (node === null || typeof node !== 'object') continue
    if (depth > maxDepth) fail('TOO_DEEP', { details: { max_depth: maxDepth } })
    if (Array.isArray(node)) {
      for (const item of node) stack.push([item, depth + 1])
      continue
    }
    for (const key of Object.keys(node)) {
      if (FORBIDDEN_KEYS.has(key)) fail('FORBIDDEN_KEY')
      stack.push([(node as Record<string, unknown>)[key], depth + 1])
    }
  }
}

/** Every string (keys too) must be free of control, bidi and zero-width characters. */
export function assertVisibleText(value: unknown): void {
  const stack: unknown[] = [value]
  while (stack.length) {
    const node = stack.pop()
    if (typeof node === 'string') {
      if (INVISIBLE.test(node)) fail('INVISIBLE_CHARACTERS')
    } else if (Array.isArray(node)) {
      stack.push(...node)
    } else if (node && typeof node === 'object') {
      for (const [key, child] of Object.entries(node)) stack.push(key, child)
    }
  }
}
