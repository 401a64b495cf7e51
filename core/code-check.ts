/**
 * Code is checked before anything runs, so that what the sandbox cannot run is refused at submit
 * with a 400 and a reason, never accepted and failed later. It must parse on its own as an async
 * function body, so that wrapping it cannot be escaped (`})(); … (async () => {` is a syntax
 * error, SB-19); its bracket nesting is capped before the recursive parser sees it (IN-04); and the
 * text SES rejects anywhere in the source — `import(`, direct `eval(`, HTML comments — is refused
 * here with the same rule (SB-03, SB-07).
 */
import { parse } from 'acorn'
import { fail, type ApiErrorCode } from './errors'
import { LIMITS } from './limits'

// The patterns SES applies to the whole source text (strings and comments included).
const SES_REJECTIONS: Array<[RegExp, ApiErrorCode]> = [
  [/(^|[^.]|\.\.\.)\bimport(\s*(?:\(|\/[/*]))/, 'SES_IMPORT_REJECTED'],
  [/(^|[^.])\beval(\s*\()/, 'SES_EVAL_REJECTED'],
  [/<!--|-->/, 'SES_HTML_COMMENT_REJECTED'],
]

export function assertRunnableCode(code: string): void {
  if (bracketDepth(code) > LIMITS.CODE_MAX_NESTING) {
    fail('TOO_DEEP', { details: { max_nesting: LIMITS.CODE_MAX_NESTING } })
  }
  try {
    parse(code, {
      ecmaVersion: 'latest',
      sourceType: 'script',
      allowAwaitOutsideFunction: true,
      allowReturnOutsideFunction: true,
    })
  } catch (error) {
    const { line, column } = (error as { loc?: { line: number; column: number } }).loc ?? {}
    const reason = String((error as Error).message)
      .replace(/\s*\(\d+:\d+\)$/, '')
      .slice(0, 200)
    fail('SYNTAX_ERROR', { details: { line, column, reason } })
  }
  for (const [pattern, rejection] of SES_REJECTIONS) {
    const match = pattern.exec(code)
    if (match) fail(rejection, { details: { line: lineOf(code, match.index) } })
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

function lineOf(text: string, index: number): number {
  let line = 1
  for (let i = 0; i < index; i++) if (text.charCodeAt(i) === 10) line++
  return line
}
