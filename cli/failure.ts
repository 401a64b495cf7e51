/**
 * How a command that did not work says so. People get the code and message on stderr, then what
 * the details say, line by line: each schema error with its path, a syntax error's line and
 * column with the offending line of the code sent, and whatever else the server named. Programs
 * (--json) get one JSON document on stdout, `{ "error": { code, message, status?, details? } }`.
 * Exit codes: 2 wrong usage, 1 anything else.
 */
import { isOAuth3Error } from '../core/errors'
import { OAuth3Error } from '../sdk/src/index'
import { paint } from './colour'

export class UsageError extends Error {}

interface Failure {
  code: string
  message: string
  status?: number
  details?: unknown
}

/** The code the command sent, by name, so that a syntax error can show its line. */
let sentCode: { name: string; text: string } | null = null
export function rememberCode(name: string, text: string): void {
  sentCode = { name, text }
}

export function failureOf(error: unknown): Failure {
  if (error instanceof OAuth3Error) {
    return {
      code: error.code,
      message: error.message,
      ...(error.status ? { status: error.status } : {}),
      ...(error.details !== undefined ? { details: error.details } : {}),
    }
  }
  if (isOAuth3Error(error)) {
    return {
      code: error.code,
      message: error.message,
      ...(error.details ? { details: error.details } : {}),
    }
  }
  if (error instanceof UsageError || (error as Error)?.name === 'CLIError') {
    return { code: 'USAGE', message: (error as Error).message }
  }
  return { code: 'ERROR', message: (error as Error)?.message ?? String(error) }
}

/** Print a failure for people (stderr) or programs (stdout, --json); answer the exit code. */
export function reportFailure(error: unknown, options: { json: boolean; usage?: string }): number {
  const failure = failureOf(error)
  const exit = failure.code === 'USAGE' ? 2 : 1
  if (options.json) {
    console.log(JSON.stringify({ error: failure }, null, 2))
    return exit
  }
  const err = process.stderr
  if (failure.code === 'USAGE') {
    console.error(`oauth3: ${failure.message}`)
    if (options.usage) console.error(options.usage)
    return exit
  }
  console.error(`${paint(err, 'red', failure.code)}: ${failure.message}`)
  for (const line of detailLines(failure.details)) console.error(`  ${line}`)
  return exit
}

/** What details say, as lines: schema errors, a place in the code, other fields. */
export function detailLines(details: unknown): string[] {
  if (!details || typeof details !== 'object') return []
  const lines: string[] = []
  const { errors, line, column, reason, ...rest } = details as {
    errors?: Array<{ path?: string; message?: string; property?: string }>
    line?: number
    column?: number
    reason?: string
  }
  for (const error of Array.isArray(errors) ? errors : []) {
    const property = error.property ? ` (${error.property})` : ''
    lines.push(`at ${error.path ?? '/'}: ${error.message ?? 'invalid'}${property}`)
  }
  if (typeof line === 'number') {
    const where = `line ${line}${typeof column === 'number' ? `, column ${column}` : ''}`
    lines.push(`at ${sentCode ? `${sentCode.name} ` : ''}${where}${reason ? `: ${reason}` : ''}`)
    lines.push(...codeExcerpt(line, column))
  } else if (reason) {
    lines.push(reason)
  }
  for (const [key, value] of Object.entries(rest)) {
    lines.push(`${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}`)
  }
  return lines
}

/** The offending line of the code sent, and a caret under the column. */
function codeExcerpt(line: number, column: number | undefined): string[] {
  const text = sentCode?.text.split('\n')[line - 1]
  if (text === undefined) return []
  const gutter = `${line} | `
  const lines = [`${gutter}${text}`]
  if (typeof column === 'number') lines.push(`${' '.repeat(gutter.length + Math.max(0, column))}^`)
  return lines
}
