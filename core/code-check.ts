/**
 * Code is checked before anything runs. It must parse on its own as an async function body, so
 * that wrapping it cannot be escaped (`})(); … (async () => {` is a syntax error, SB-19), and its
 * bracket nesting is capped before the recursive parser sees it (IN-04).
 */
import { parse } from 'acorn'
import { fail } from './errors'
import { LIMITS } from './limits'

export function assertRunnableCode(code: string): void {
  if (bracketDepth(code) > LIMITS.CODE_MAX_NESTING)
    fail('TOO_DEEP', { details: { max_nesting: LIMITS.CODE_MAX_NESTING } })
  try {
    parse(code, {
      ecmaVersion: 'latest',
      sourceType: 'script',
      allowAwaitOutsideFunction: true,
      allowReturnOutsideFunction: true,
    })
  } catch (error) {
    const { line, column } = (error as { loc?: { line: number; column: number } }).loc ?? {}
    fail('SYNTAX_ERROR', {
      details: {
        line,
        column,
        reason: String((error as Error).message)
          .replace(/\s*\(\d+:\d+\)$/, '')
          .slice(0, 200),
      },
    })
  }
}

/** The deepest nesting of ( [ { — a conservative count that ignores strings and comments. */
function bracketDepth(code: string): number {
  let depth = 0
  let max = 0
  for (let i = 0; i < code.length; i++) {
    const c = code.charCodeAt(i)
    if (c === 40 || c === 91 || c === 123) max = Math.max(max, ++depth)
    else if ((c === 41 || c === 93 || c === 125) && depth > 0) depth--
  }
  return max
}
