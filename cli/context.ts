/**
 * What every API command shares: the server and token (flags, then the environment, then the
 * saved config — never a signup behind the user's back), printing a result for people or, with
 * --json, for programs, and a spinner on stderr only when both streams are a terminal.
 */
import { OAuth3, OAuth3Error, type ExecutionStatus } from '../sdk/src/index'

export const COMMON_ARGS = {
  url: { type: 'string', description: 'the server (default: OAUTH3_URL, then the saved config)' },
  token: {
    type: 'string',
    description: 'a bearer token (default: OAUTH3_TOKEN, then the saved config)',
  },
  json: { type: 'boolean', description: 'print JSON for programs' },
} as const

export interface CommonArgs {
  url?: string
  token?: string
  json?: boolean
}

export class UsageError extends Error {}

export async function clientFor(args: CommonArgs): Promise<OAuth3> {
  try {
    return await OAuth3.create({
      ...(args.url ? { url: args.url } : {}),
      ...(args.token ? { token: args.token } : {}),
      signup: false,
    })
  } catch (error) {
    if (error instanceof OAuth3Error && error.code === 'NO_TOKEN') {
      throw new UsageError('no token: run `oauth3 signup` or `oauth3 login --token …` first')
    }
    throw error
  }
}

/** Print `value` as JSON (--json) or as the lines `human` gives. */
export function print(args: CommonArgs, value: unknown, human: () => string): void {
  console.log(args.json ? JSON.stringify(value, null, 2) : human())
}

/** An execution's end for people: its output, its value, its failure. Exit 0 only if completed. */
export function printExecution(
  args: CommonArgs,
  status: ExecutionStatus,
  options = { stdout: true },
) {
  print(args, status, () => {
    const lines: string[] = []
    const result = status.result
    if (options.stdout && result?.stdout) lines.push(result.stdout.replace(/\n$/, ''))
    if (result?.value !== undefined) lines.push(`→ ${JSON.stringify(result.value)}`)
    if (status.error) lines.push(`error: ${status.error}`)
    lines.push(`${status.status} (${status.request_id})`)
    return lines.join('\n')
  })
  return status.status === 'completed' ? 0 : 1
}

/** A waiting line on stderr: a spinner with the elapsed time on a terminal, one line elsewhere. */
export function waiting(label: string): { stop(): void } {
  const interactive = Boolean(process.stderr.isTTY && process.stdout.isTTY)
  if (!interactive) {
    console.error(`${label}…`)
    return { stop() {} }
  }
  const frames = '⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏'
  const started = Date.now()
  let frame = 0
  const timer = setInterval(() => {
    const seconds = Math.floor((Date.now() - started) / 1000)
    process.stderr.write(`\r${frames[frame++ % frames.length]} ${label} (${seconds}s)`)
  }, 100)
  return {
    stop() {
      clearInterval(timer)
      process.stderr.write('\r\x1b[K')
    },
  }
}

export function parseJsonArg(text: string | undefined, name: string): Record<string, unknown> {
  if (text === undefined) return {}
  try {
    const value = JSON.parse(text)
    if (!value || typeof value !== 'object' || Array.isArray(value))
      throw new Error('not an object')
    return value
  } catch {
    throw new UsageError(`${name} must be a JSON object`)
  }
}
