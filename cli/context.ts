/**
 * What every API command shares: the server and token (flags, then the environment, then the
 * saved config — never a signup behind the user's back), printing a result for people or, with
 * --json, for programs, and a spinner on stderr only when both streams are a terminal.
 */
import { OAuth3, OAuth3Error, type ExecutionStatus } from '../sdk/src/index'
import { paint, statusStyle } from './colour'
import { UsageError } from './failure'

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

export { UsageError }

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

/**
 * An execution's end for people: its output (stderr always, on stderr), its value, its failure
 * and each call that failed, by capability. Exit 0 only if completed.
 */
export function printExecution(
  args: CommonArgs,
  status: ExecutionStatus,
  options = { stdout: true, stderr: true },
) {
  const result = status.result
  if (options.stderr && result?.stderr) process.stderr.write(result.stderr)
  print(args, status, () => {
    const lines: string[] = []
    if (options.stdout && result?.stdout) lines.push(result.stdout.replace(/\n$/, ''))
    if (result?.value !== undefined) lines.push(`→ ${JSON.stringify(result.value)}`)
    if (status.error) lines.push(`${paint(process.stdout, 'red', 'error')}: ${status.error}`)
    for (const call of result?.calls ?? []) {
      if (call.error)
        lines.push(`  call ${call.capability} (${call.method} ${call.url}): ${call.error}`)
    }
    lines.push(
      `${paint(process.stdout, statusStyle(status.status), status.status)} (${status.request_id})`,
    )
    return lines.join('\n')
  })
  return status.status === 'completed' ? 0 : 1
}

/**
 * A wait on stderr. On a terminal, a spinner with the elapsed time once it has lasted a second;
 * elsewhere, with `announce`, one line saying what is awaited (a pipe gets no animation).
 */
export function waiting(label: string, options: { announce?: boolean } = {}): { stop(): void } {
  const interactive = Boolean(process.stderr.isTTY)
  if (!interactive) {
    if (options.announce) console.error(`${label}…`)
    return { stop() {} }
  }
  const frames = '⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏'
  const started = Date.now()
  let frame = 0
  let drawn = false
  const timer = setInterval(() => {
    const waited = Date.now() - started
    if (waited < 1000) return
    drawn = true
    process.stderr.write(
      `\r${frames[frame++ % frames.length]} ${label} (${Math.floor(waited / 1000)}s)`,
    )
  }, 100)
  return {
    stop() {
      clearInterval(timer)
      if (drawn) process.stderr.write('\r\x1b[K')
    },
  }
}

/** An integer option in [min, max], or a usage error naming the option and the range. */
export function integerOption(
  value: string | undefined,
  name: string,
  range: { min: number; max: number; fallback: number },
): number {
  if (value === undefined || value === '') return range.fallback
  if (!/^\d+$/.test(value.trim()) || Number(value) < range.min || Number(value) > range.max) {
    throw new UsageError(
      `${name} must be a whole number from ${range.min} to ${range.max}, not ${JSON.stringify(value)}`,
    )
  }
  return Number(value)
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
